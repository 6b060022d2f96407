"""The SQLite store's schema and queries, as plain functions of a connection.

They run on the store's writer thread or on one of its readers (``sqlite.py`` says why there
are both); keeping them apart leaves ``sqlite.py`` about threads and transactions only.
"""

from __future__ import annotations

import os
import sqlite3
import urllib.parse
from collections.abc import Iterable, Iterator
from typing import Any

from whiteboard.store.base import Blob, BlobPut, Checkpoint, LogRow

SCHEMA = """
CREATE TABLE IF NOT EXISTS log (
    board TEXT NOT NULL,
    first_seq INTEGER NOT NULL,
    last_seq INTEGER NOT NULL,
    ts INTEGER NOT NULL,
    ops BLOB NOT NULL,
    PRIMARY KEY (board, first_seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS checkpoints (
    board TEXT NOT NULL,
    seq INTEGER NOT NULL,
    state BLOB NOT NULL,
    PRIMARY KEY (board, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS checkpoint_layouts (
    board TEXT NOT NULL,
    seq INTEGER NOT NULL,
    layout BLOB NOT NULL,
    PRIMARY KEY (board, seq)
) WITHOUT ROWID;
-- First-add seqs of deleted ids (Checkpoint.firsts): one row per id ever deleted, written with
-- the checkpoint that first leaves the id out, so that checkpoints list live ids only.
CREATE TABLE IF NOT EXISTS first_adds (
    board TEXT NOT NULL,
    id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    PRIMARY KEY (board, id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS boards (
    board TEXT PRIMARY KEY,
    key_hash TEXT,
    created INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS clients (
    board TEXT NOT NULL,
    id INTEGER NOT NULL,
    name TEXT NOT NULL,
    color TEXT NOT NULL,
    PRIMARY KEY (board, id)
) WITHOUT ROWID;
-- The highest client id given out on a board (Store.reserve_client_id): one row per board,
-- where a row per connection in `clients` would grow with every reader who never edits.
CREATE TABLE IF NOT EXISTS client_ids (
    board TEXT PRIMARY KEY,
    top INTEGER NOT NULL
) WITHOUT ROWID;
-- A rowid table: SQLite keeps large rows badly WITHOUT ROWID. `data` last, so reading `bytes`
-- or `type` never touches its overflow pages.
CREATE TABLE IF NOT EXISTS blobs (
    board TEXT NOT NULL,
    name TEXT NOT NULL,
    type TEXT NOT NULL,
    bytes INTEGER NOT NULL,
    data BLOB NOT NULL,
    PRIMARY KEY (board, name)
);
"""

IDS_PER_QUERY = 500
"""Bound parameters per ``IN (...)`` query, well under SQLite's limit."""


def connect(path: str) -> sqlite3.Connection:
    """A connection through the ``unix-excl`` VFS: the first one takes a lock on the file that
    no other process can share, and the WAL index lives in this process's heap instead of a
    memory-mapped ``-shm`` file. A mapped file is what killed the server with SIGBUS when the
    data directory's disk went read-only or away; connections of this process still share the
    index, so readers run beside the writer as before. Other processes reach the database
    through the server (``whiteboard/store/control.py``, used by ``python -m whiteboard.backup``).
    """
    uri = f"file:{urllib.parse.quote(os.path.abspath(path))}?vfs=unix-excl"
    conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False, timeout=30)
    conn.execute("PRAGMA journal_mode=WAL")
    # NORMAL in WAL mode survives a crash of the process (kill -9), which is the promise of
    # PROTOCOL.md; only a power cut can lose the last commits.
    conn.execute("PRAGMA synchronous=NORMAL")
    return conn


def insert_checkpoint(
    conn: sqlite3.Connection, board: str, checkpoint: Checkpoint, index: bytes | None = None
) -> None:
    conn.execute(
        "INSERT OR REPLACE INTO checkpoints (board, seq, state) VALUES (?, ?, ?)",
        (board, checkpoint.seq, checkpoint.state),
    )
    # A layout always describes the very bytes stored beside it: a replaced state drops it.
    conn.execute(
        "DELETE FROM checkpoint_layouts WHERE board = ? AND seq = ?", (board, checkpoint.seq)
    )
    if index is not None:
        conn.execute(
            "INSERT INTO checkpoint_layouts (board, seq, layout) VALUES (?, ?, ?)",
            (board, checkpoint.seq, index),
        )
    if checkpoint.firsts:
        # OR IGNORE: an id deleted, re-added and deleted again keeps its one first-add seq.
        conn.executemany(
            "INSERT OR IGNORE INTO first_adds (board, id, seq) VALUES (?, ?, ?)",
            [(board, id, seq) for id, seq in checkpoint.firsts],
        )


def first_adds(
    conn: sqlite3.Connection, board: str, ids: list[str] | None, upto: int
) -> dict[str, int]:
    rows: Iterable[Any]
    if ids is None:
        rows = conn.execute("SELECT id, seq FROM first_adds WHERE board = ?", (board,))
    else:
        rows = _rows_in(
            conn, "SELECT id, seq FROM first_adds WHERE board = ? AND id IN", board, ids
        )
    return {str(i): int(s) for i, s in rows if s <= upto}


def last_seq(conn: sqlite3.Connection, board: str) -> int:
    row = conn.execute(
        "SELECT last_seq FROM log WHERE board = ? ORDER BY first_seq DESC LIMIT 1", (board,)
    ).fetchone()
    return int(row[0]) if row else 0


def max_client_id(conn: sqlite3.Connection, board: str) -> int:
    """The highest client id stored or given out on the board."""
    (found,) = conn.execute(
        "SELECT MAX(COALESCE((SELECT MAX(id) FROM clients WHERE board = ?), 0),"
        " COALESCE((SELECT top FROM client_ids WHERE board = ?), 0))",
        (board, board),
    ).fetchone()
    return int(found)


def reserve_client_id(conn: sqlite3.Connection, board: str, client_id: int) -> None:
    conn.execute(
        "INSERT INTO client_ids (board, top) VALUES (?, ?)"
        " ON CONFLICT (board) DO UPDATE SET top = MAX(top, excluded.top)",
        (board, client_id),
    )


def checkpoint_before(conn: sqlite3.Connection, board: str, seq: int | None) -> Checkpoint | None:
    if seq is None:
        row = conn.execute(
            "SELECT seq, state FROM checkpoints WHERE board = ? ORDER BY seq DESC LIMIT 1",
            (board,),
        ).fetchone()
    else:
        row = conn.execute(
            "SELECT seq, state FROM checkpoints WHERE board = ? AND seq <= ?"
            " ORDER BY seq DESC LIMIT 1",
            (board, seq),
        ).fetchone()
    return Checkpoint(int(row[0]), bytes(row[1])) if row else None


ROWS_PER_INSERT = 1000  # 5 parameters each: far below SQLite's cap of 32,766 per statement
_LOG_COLUMNS = 5


def insert_rows(conn: sqlite3.Connection, values: list[Any]) -> None:
    """Log rows, their columns flat in ``values`` (board, first_seq, last_seq, ts, ops each),
    in as few statements as SQLite allows: one ``VALUES (...), (...)`` per chunk."""
    step = ROWS_PER_INSERT * _LOG_COLUMNS
    for start in range(0, len(values), step):
        chunk = values[start : start + step]
        n = len(chunk) // _LOG_COLUMNS
        conn.execute(
            "INSERT INTO log (board, first_seq, last_seq, ts, ops) VALUES "
            + ",".join(["(?,?,?,?,?)"] * n),
            chunk,
        )


def start_of(conn: sqlite3.Connection, board: str, after: int) -> int:
    """first_seq of the row holding op ``after + 1``: an index seek, not a scan of the board."""
    row = conn.execute(
        "SELECT first_seq FROM log WHERE board = ? AND first_seq <= ?"
        " ORDER BY first_seq DESC LIMIT 1",
        (board, after + 1),
    ).fetchone()
    return int(row[0]) if row else 0


def rows(conn: sqlite3.Connection, board: str, after: int, upto: int | None) -> list[LogRow]:
    start = start_of(conn, board, after)
    if upto is None:
        cursor = conn.execute(
            "SELECT first_seq, last_seq, ts, ops FROM log"
            " WHERE board = ? AND first_seq >= ? AND last_seq > ? ORDER BY first_seq",
            (board, start, after),
        )
    else:
        cursor = conn.execute(
            "SELECT first_seq, last_seq, ts, ops FROM log WHERE board = ? AND first_seq >= ?"
            " AND last_seq > ? AND first_seq <= ? ORDER BY first_seq",
            (board, start, after, upto),
        )
    return list(map(LogRow._make, cursor))  # INTEGER and BLOB columns come back as int, bytes


def client_names(conn: sqlite3.Connection, board: str, ids: list[int] | None) -> dict[int, str]:
    rows: Iterable[Any]
    if ids is None:
        rows = conn.execute("SELECT id, name FROM clients WHERE board = ?", (board,))
    else:
        # Every connection gets a client id, so a long-lived board has many thousands: look
        # up only the authors asked for (an ops page names ten, not the board's whole past).
        rows = _rows_in(conn, "SELECT id, name FROM clients WHERE board = ? AND id IN", board, ids)
    return {int(i): str(n) for i, n in rows}


def _rows_in(
    conn: sqlite3.Connection, select: str, board: str, keys: Iterable[Any]
) -> Iterator[Any]:
    """``select ... IN (keys)`` for one board, in chunks of ``IDS_PER_QUERY`` (SQLite caps the
    number of parameters of one statement)."""
    wanted = sorted(set(keys))
    for start in range(0, len(wanted), IDS_PER_QUERY):
        chunk = wanted[start : start + IDS_PER_QUERY]
        yield from conn.execute(f"{select} ({','.join('?' * len(chunk))})", (board, *chunk))


def log_bytes(conn: sqlite3.Connection, board: str) -> int:
    """Bytes of the board's log rows (``length()`` of a blob reads its size, not its pages)."""
    (total,) = conn.execute(
        "SELECT COALESCE(SUM(LENGTH(ops)), 0) FROM log WHERE board = ?", (board,)
    ).fetchone()
    return int(total)


def blob_total(conn: sqlite3.Connection, board: str) -> int:
    (total,) = conn.execute(
        "SELECT COALESCE(SUM(bytes), 0) FROM blobs WHERE board = ?", (board,)
    ).fetchone()
    return int(total)


def blob_names(conn: sqlite3.Connection, board: str) -> set[str]:
    return {str(n) for (n,) in conn.execute("SELECT name FROM blobs WHERE board = ?", (board,))}


def put_blob(
    conn: sqlite3.Connection, board: str, name: str, blob: Blob, max_total: int
) -> tuple[BlobPut, int]:
    """On the writer thread: the check and the insert in one transaction."""
    total = blob_total(conn, board)
    if conn.execute("SELECT 1 FROM blobs WHERE board = ? AND name = ?", (board, name)).fetchone():
        return BlobPut.EXISTS, total
    if total + len(blob.data) > max_total:
        return BlobPut.FULL, total
    insert_blobs(conn, board, {name: blob})
    return BlobPut.STORED, total + len(blob.data)


def insert_blobs(conn: sqlite3.Connection, board: str, blobs: dict[str, Blob]) -> None:
    conn.executemany(
        "INSERT OR IGNORE INTO blobs (board, name, type, bytes, data) VALUES (?, ?, ?, ?, ?)",
        [(board, n, b.type, len(b.data), b.data) for n, b in blobs.items()],
    )


def get_blobs(conn: sqlite3.Connection, board: str, names: Iterable[str]) -> dict[str, Blob]:
    select = "SELECT name, type, data FROM blobs WHERE board = ? AND name IN"
    rows = _rows_in(conn, select, board, names)
    return {str(n): Blob(str(t), bytes(d)) for n, t, d in rows}
