"""The running server copies its own database for ``python -m whiteboard.backup``.

Why through the server: the database is opened with the ``unix-excl`` VFS (``sql.connect`` says
why), so no other process can open it while the server runs, the backup tool included. The
server listens on a Unix socket in the abstract namespace (no file in the data directory to go
stale or to be refused by a read-only disk), named after the data directory, and accepts only
processes of its own user (or root), checked with ``SO_PEERCRED``. The tool sends the path of
its temporary file; the server writes one consistent snapshot there with SQLite's online backup
API, from a connection of its own process (which shares the lock), in a thread, and answers
one line of JSON. The tool then checks, syncs and renames the copy as before.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import os
import socket
import sqlite3
import struct
import urllib.parse
from collections.abc import Awaitable, Callable
from typing import Any

from whiteboard.store.base import StoreError

log = logging.getLogger(__name__)

_PEERCRED = struct.Struct("3i")  # pid, uid, gid
AdminCommand = Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]


def address(data_dir: str) -> str:
    """The socket's abstract name for a data directory (a hash: names are limited to 107
    bytes, paths are not)."""
    digest = hashlib.sha256(os.path.realpath(data_dir).encode()).hexdigest()[:32]
    return f"\0whiteboard-control-{digest}"


def copy_database(db_path: str, target: str) -> None:
    """One consistent snapshot of ``db_path`` into ``target`` (a single file, no WAL)."""
    uri = f"file:{urllib.parse.quote(os.path.abspath(db_path))}?vfs=unix-excl"
    source = sqlite3.connect(uri, uri=True, timeout=30)
    try:
        with contextlib.closing(sqlite3.connect(target)) as copy:
            source.backup(copy)  # one step: see whiteboard/backup.py
            copy.execute("PRAGMA journal_mode=DELETE")
    finally:
        source.close()


class Control:
    """The server's side: started with the store, closed with it."""

    def __init__(self, data_dir: str, db_path: str, admin: AdminCommand | None = None) -> None:
        self._name = address(data_dir)
        self._db_path = db_path
        self._admin = admin  # runs ``python -m whiteboard.admin``'s commands in the server
        self._server: asyncio.AbstractServer | None = None

    async def start(self) -> None:
        try:
            self._server = await asyncio.start_unix_server(self._serve, path=self._name)
        except OSError as exc:  # backups through the server are unavailable; serving is not
            log.warning("backup control socket unavailable: %s", exc)

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            answer = await self._answer(reader, writer)
            writer.write(json.dumps(answer).encode() + b"\n")
            await writer.drain()
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass
        finally:
            writer.close()

    async def _answer(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> dict[str, Any]:
        sock: socket.socket = writer.get_extra_info("socket")
        _, uid, _ = _PEERCRED.unpack(
            sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, _PEERCRED.size)
        )
        if uid not in (0, os.getuid()):
            return {"error": "only the server's own user may ask for a backup"}
        try:
            request = json.loads(await asyncio.wait_for(reader.readline(), 10))
            if isinstance(request, dict) and "admin" in request and self._admin is not None:
                return await self._admin(request)
            target = request["copy_to"]
        except (ValueError, KeyError, TypeError, TimeoutError):
            return {"error": "bad request"}
        except StoreError as exc:
            return {"error": str(exc)}
        if not isinstance(target, str) or not os.path.isabs(target):
            return {"error": "copy_to must be an absolute path"}
        try:
            await asyncio.to_thread(copy_database, self._db_path, target)
        except (sqlite3.Error, OSError) as exc:
            return {"error": f"backup failed: {exc}"}
        log.info("backup copied to %s", target)
        return {"ok": target}


def request_copy(data_dir: str, target: str, timeout: float = 600) -> dict[str, Any] | None:
    """The tool's side: ask the server of ``data_dir`` to copy into ``target``; ``None`` if no
    server is running there (then the tool opens the database itself)."""
    return ask(data_dir, {"copy_to": target}, timeout)


def ask(data_dir: str, request: dict[str, Any], timeout: float = 600) -> dict[str, Any] | None:
    """Send one request to the server of ``data_dir``; ``None`` if none is running there."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        try:
            sock.connect(address(data_dir))
        except (ConnectionRefusedError, FileNotFoundError):
            return None
        sock.settimeout(timeout)
        sock.sendall(json.dumps(request).encode() + b"\n")
        data = b""
        while not data.endswith(b"\n"):
            chunk = sock.recv(4096)
            if not chunk:
                break
            data += chunk
    answer: dict[str, Any] = json.loads(data) if data else {"error": "no answer"}
    return answer
