"""The SQLite store's board titles, soft deletion, purge and listing (``meta.py``).

A board's title and deletion time live in their own table, ``board_meta``, so the log's tables
stay as they were. Purge deletes the board's rows from every table; the writer connection runs
with ``secure_delete`` so the freed pages are zeroed, and the store then truncates the WAL
(``sqlite.py``), so the board's bytes are gone from the files, not only from the tables.
"""

from __future__ import annotations

import sqlite3

from whiteboard.store.meta import BoardSummary

SCHEMA = """
CREATE TABLE IF NOT EXISTS board_meta (
    board TEXT PRIMARY KEY,
    title TEXT,
    deleted INTEGER
) WITHOUT ROWID;
"""

BOARD_TABLES = (
    "log",
    "checkpoints",
    "checkpoint_layouts",
    "first_adds",
    "boards",
    "clients",
    "client_ids",
    "blobs",
    "board_meta",
    "board_access",
)
"""Every table with a ``board`` column: what a purge empties of one board."""

# The distinct boards of ``log`` and ``clients`` by skipping from one to the next along their
# primary key (an index seek per board), not by reading every row: ``log`` holds every op.
_LIST = """
WITH RECURSIVE
logged(board) AS (
    SELECT MIN(board) FROM log
    UNION ALL SELECT (SELECT MIN(board) FROM log WHERE board > logged.board) FROM logged
    WHERE logged.board IS NOT NULL
),
visited(board) AS (
    SELECT MIN(board) FROM clients
    UNION ALL SELECT (SELECT MIN(board) FROM clients WHERE board > visited.board) FROM visited
    WHERE visited.board IS NOT NULL
),
ids(board) AS (
    SELECT board FROM boards UNION SELECT board FROM board_meta
    UNION SELECT board FROM logged WHERE board IS NOT NULL
    UNION SELECT board FROM visited WHERE board IS NOT NULL
)
SELECT ids.board, m.title, m.deleted, b.created, b.key_hash IS NOT NULL,
    (SELECT last_seq FROM log WHERE log.board = ids.board ORDER BY first_seq DESC LIMIT 1),
    (SELECT ts FROM log WHERE log.board = ids.board ORDER BY first_seq DESC LIMIT 1),
    (SELECT ts FROM log WHERE log.board = ids.board ORDER BY first_seq LIMIT 1),
    json_extract(a.access, '$.owner')
FROM ids LEFT JOIN board_meta m ON m.board = ids.board LEFT JOIN boards b ON b.board = ids.board
    LEFT JOIN board_access a ON a.board = ids.board
"""


def title(conn: sqlite3.Connection, board: str) -> str | None:
    row = conn.execute("SELECT title FROM board_meta WHERE board = ?", (board,)).fetchone()
    return str(row[0]) if row and row[0] is not None else None


def set_title(conn: sqlite3.Connection, board: str, value: str | None) -> None:
    conn.execute(
        "INSERT INTO board_meta (board, title) VALUES (?, ?)"
        " ON CONFLICT (board) DO UPDATE SET title = excluded.title",
        (board, value),
    )


def deleted_at(conn: sqlite3.Connection, board: str) -> int | None:
    row = conn.execute("SELECT deleted FROM board_meta WHERE board = ?", (board,)).fetchone()
    return int(row[0]) if row and row[0] is not None else None


def exists(conn: sqlite3.Connection, board: str) -> bool:
    return any(
        conn.execute(f"SELECT 1 FROM {table} WHERE board = ? LIMIT 1", (board,)).fetchone()
        for table in ("log", "boards", "board_meta", "clients")
    )


def set_deleted(conn: sqlite3.Connection, board: str, at: int | None) -> bool:
    if not exists(conn, board):
        return False
    conn.execute(
        "INSERT INTO board_meta (board, deleted) VALUES (?, ?)"
        " ON CONFLICT (board) DO UPDATE SET deleted = excluded.deleted",
        (board, at),
    )
    return True


def purge(conn: sqlite3.Connection, board: str) -> bool:
    found = exists(conn, board)
    for table in BOARD_TABLES:
        conn.execute(f"DELETE FROM {table} WHERE board = ?", (board,))
    return found


def summaries(conn: sqlite3.Connection) -> list[BoardSummary]:
    """Every board, without sizes (``sizes`` measures a page's)."""
    found = []
    for row in conn.execute(_LIST):
        board, name, deleted, created, protected, seq, last_ts, first_ts, owner = row
        created_ms = int(created) * 1000 if created is not None else first_ts
        found.append(
            BoardSummary(
                board=str(board),
                title=name,
                owner=owner,
                created=created_ms,
                active=int(last_ts if last_ts is not None else created_ms or 0),
                seq=int(seq or 0),
                bytes=0,
                blobs=0,
                protected=bool(protected),
                deleted=deleted,
            )
        )
    return found


def sizes(conn: sqlite3.Connection, boards: list[str]) -> dict[str, tuple[int, int]]:
    """(bytes stored: log, checkpoints and pictures; number of pictures) of each board."""
    out = {}
    for board in boards:
        (log_bytes,) = conn.execute(
            "SELECT COALESCE(SUM(length(ops)), 0) FROM log WHERE board = ?", (board,)
        ).fetchone()
        (cp_bytes,) = conn.execute(
            "SELECT COALESCE(SUM(length(state)), 0) FROM checkpoints WHERE board = ?", (board,)
        ).fetchone()
        count, blob_bytes = conn.execute(
            "SELECT COUNT(*), COALESCE(SUM(bytes), 0) FROM blobs WHERE board = ?", (board,)
        ).fetchone()
        out[board] = (int(log_bytes) + int(cp_bytes) + int(blob_bytes), int(count))
    return out
