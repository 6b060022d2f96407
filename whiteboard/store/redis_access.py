"""Access data and logins of the Redis store (``access.py``): their keys.

A board's access data is one JSON string, ``access``, under the board's hash tag like its other
keys (``redis.py``); its edit key stays in the board's ``meta`` hash, where ``load`` reads it.
A login is ``wb:login:<sid>``, a hash that Redis expires itself when the login does.
"""

from __future__ import annotations

from whiteboard.store.access import BoardAccess, Login


def access_key(board: str) -> str:
    return f"wb:{{{board}}}:access"


def meta_key(board: str) -> str:
    return f"wb:{{{board}}}:meta"


def login_key(sid: str) -> str:
    return f"wb:login:{sid}"


def access_from(raw: bytes | None) -> BoardAccess | None:
    return BoardAccess.from_json(raw) if raw else None


def login_from(raw: dict[bytes, bytes], now: int) -> Login | None:
    if not raw or int(raw[b"expires"]) <= now:
        return None
    return Login(raw[b"email"].decode(), raw[b"name"].decode(), int(raw[b"expires"]))
