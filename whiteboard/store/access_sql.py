"""The SQLite tables of ``access.py`` and their queries (plain functions of a connection)."""

from __future__ import annotations

import sqlite3

from whiteboard.store.access import BoardAccess, Login

SCHEMA = """
CREATE TABLE IF NOT EXISTS board_access (
    board TEXT PRIMARY KEY,
    access TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS logins (
    sid TEXT PRIMARY KEY,
    email TEXT NOT NULL,
    name TEXT NOT NULL,
    expires INTEGER NOT NULL
) WITHOUT ROWID;
"""


def get_access(conn: sqlite3.Connection, board: str) -> BoardAccess | None:
    row = conn.execute("SELECT access FROM board_access WHERE board = ?", (board,)).fetchone()
    return BoardAccess.from_json(row[0]) if row else None


def put_access(conn: sqlite3.Connection, board: str, access: BoardAccess) -> None:
    conn.execute(
        "INSERT INTO board_access (board, access) VALUES (?, ?)"
        " ON CONFLICT (board) DO UPDATE SET access = excluded.access",
        (board, access.to_json()),
    )


def set_key_hash(conn: sqlite3.Connection, board: str, key_hash: str | None) -> None:
    conn.execute("UPDATE boards SET key_hash = ? WHERE board = ?", (key_hash, board))


def key_hash(conn: sqlite3.Connection, board: str) -> str | None:
    row = conn.execute("SELECT key_hash FROM boards WHERE board = ?", (board,)).fetchone()
    return row[0] if row else None


def put_login(conn: sqlite3.Connection, sid: str, login: Login) -> None:
    # Expired logins go when a new one comes: the table stays the size of the signed-in.
    conn.execute("DELETE FROM logins WHERE expires < CAST(strftime('%s','now') AS INTEGER)")
    conn.execute(
        "INSERT OR REPLACE INTO logins (sid, email, name, expires) VALUES (?, ?, ?, ?)",
        (sid, login.email, login.name, login.expires),
    )


def get_login(conn: sqlite3.Connection, sid: str, now: int) -> Login | None:
    row = conn.execute(
        "SELECT email, name, expires FROM logins WHERE sid = ? AND expires > ?", (sid, now)
    ).fetchone()
    return Login(row[0], row[1], row[2]) if row else None


def delete_login(conn: sqlite3.Connection, sid: str) -> None:
    conn.execute("DELETE FROM logins WHERE sid = ?", (sid,))
