"""The embedded store: one SQLite database in WAL mode, written by one thread.

Why one writer thread with group commit: SQLite allows one writer at a time, and a commit costs
a disk sync. Queuing every board's writes to one thread and committing whatever has queued up in
one transaction keeps the IOLoop free of disk waits and makes the cost per op fall as load
rises. Reads run on a small thread pool with their own connections; WAL lets them proceed while
the writer commits, and they only ever see committed data.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import queue
import sqlite3
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from whiteboard.store.base import (
    Checkpoint,
    Client,
    LoadedBoard,
    LogRow,
    Store,
    StoreError,
    layout_of,
)

log = logging.getLogger(__name__)

T = TypeVar("T")

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
"""

DB_NAME = "whiteboard.sqlite3"
_IDS_PER_QUERY = 500
"""Bound parameters per ``IN (...)`` query, well under SQLite's limit."""

_Job = Callable[[sqlite3.Connection], Any]
_STOP = object()


def _connect(path: str) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
    conn.execute("PRAGMA journal_mode=WAL")
    # NORMAL in WAL mode survives a crash of the process (kill -9), which is the promise of
    # PROTOCOL.md; only a power cut can lose the last commits.
    conn.execute("PRAGMA synchronous=NORMAL")
    return conn


class SQLiteStore(Store):
    def __init__(self, data_dir: str) -> None:
        self.path = os.path.join(data_dir, DB_NAME)
        self._data_dir = data_dir
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._writer: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._readers = ThreadPoolExecutor(max_workers=2, thread_name_prefix="sqlite-read")
        self._local = threading.local()
        self._closed = False
        self.commits = 0  # transactions committed (for tests and metrics)

    async def start(self) -> None:
        os.makedirs(self._data_dir, exist_ok=True)
        self._loop = asyncio.get_running_loop()
        conn = _connect(self.path)
        conn.executescript(SCHEMA)
        self._writer = threading.Thread(
            target=self._write_loop, args=(conn,), name="sqlite-writer", daemon=True
        )
        self._writer.start()

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._queue.put(_STOP)
        if self._writer is not None:
            await asyncio.get_running_loop().run_in_executor(None, self._writer.join)
        self._readers.shutdown(wait=True)

    # -- writes ------------------------------------------------------------------------------

    def _submit(self, job: _Job) -> asyncio.Future[Any]:
        if self._closed or self._loop is None:
            raise StoreError("the store is closed")
        fut: asyncio.Future[Any] = self._loop.create_future()
        self._queue.put((job, fut))
        return fut

    def _write_loop(self, conn: sqlite3.Connection) -> None:
        """Commit everything queued in one transaction, then wake the waiters on the IOLoop."""
        stopping = False
        while not stopping:
            batch = [self._queue.get()]
            while True:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            jobs = []
            for item in batch:
                if item is _STOP:
                    stopping = True
                else:
                    jobs.append(item)
            if jobs:
                self._commit(conn, jobs)
        conn.close()

    def _commit(
        self, conn: sqlite3.Connection, jobs: list[tuple[_Job, asyncio.Future[Any]]]
    ) -> None:
        results: list[tuple[asyncio.Future[Any], Any, BaseException | None]] = []
        try:
            conn.execute("BEGIN IMMEDIATE")
            for i, (job, fut) in enumerate(jobs):
                # A savepoint per job: one job's failure (a constraint, say) fails only its waiter.
                conn.execute(f"SAVEPOINT j{i}")
                try:
                    results.append((fut, job(conn), None))
                    conn.execute(f"RELEASE j{i}")
                except sqlite3.Error as exc:
                    if not conn.in_transaction:
                        raise  # SQLite rolled the whole transaction back (disk full, I/O)
                    conn.execute(f"ROLLBACK TO j{i}")
                    conn.execute(f"RELEASE j{i}")
                    results.append((fut, None, StoreError(str(exc))))
            conn.execute("COMMIT")
            self.commits += 1
        except sqlite3.Error as exc:
            # Operational, not a bug: the boards concerned go read-only until writes work again.
            log.warning("commit failed: %s", exc)
            if conn.in_transaction:
                with contextlib.suppress(sqlite3.Error):
                    conn.execute("ROLLBACK")
            error = StoreError(f"the database could not be written: {exc}")
            results = [(fut, None, error) for _, fut in jobs]
        assert self._loop is not None
        self._loop.call_soon_threadsafe(_resolve_all, results)

    async def append(self, board: str, row: LogRow, checkpoint: Checkpoint | None = None) -> None:
        index = await layout_of(checkpoint) if checkpoint is not None else None

        def job(conn: sqlite3.Connection) -> None:
            conn.execute(
                "INSERT INTO log (board, first_seq, last_seq, ts, ops) VALUES (?, ?, ?, ?, ?)",
                (board, row.first_seq, row.last_seq, row.ts, row.ops),
            )
            if checkpoint is not None:
                _insert_checkpoint(conn, board, checkpoint, index)

        await self._submit(job)

    async def add_client(self, board: str, client: Client) -> None:
        def job(conn: sqlite3.Connection) -> None:
            conn.execute(
                "INSERT INTO clients (board, id, name, color) VALUES (?, ?, ?, ?)",
                (board, client.id, client.name, client.color),
            )

        await self._submit(job)

    async def create_board(self, board: str, key_hash: str | None) -> bool:
        def job(conn: sqlite3.Connection) -> bool:
            if conn.execute("SELECT 1 FROM log WHERE board = ? LIMIT 1", (board,)).fetchone():
                return False
            cur = conn.execute(
                "INSERT OR IGNORE INTO boards (board, key_hash, created)"
                " VALUES (?, ?, CAST(strftime('%s','now') AS INTEGER))",
                (board, key_hash),
            )
            return cur.rowcount == 1

        created: bool = await self._submit(job)
        return created

    async def set_max_page_count(self, pages: int) -> int:
        """Cap the database size (tests simulate a full disk with it); returns the cap in force."""

        def job(conn: sqlite3.Connection) -> int:
            (value,) = conn.execute(f"PRAGMA max_page_count = {int(pages)}").fetchone()
            return int(value)

        result: int = await self._submit(job)
        return result

    async def save_checkpoint(self, board: str, checkpoint: Checkpoint) -> None:
        index = await layout_of(checkpoint)
        await self._submit(lambda conn: _insert_checkpoint(conn, board, checkpoint, index))

    # -- reads -------------------------------------------------------------------------------

    def _reader(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = _connect(self.path)
            self._local.conn = conn
        return conn

    async def _read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        if self._closed:
            raise StoreError("the store is closed")
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._readers, lambda: fn(self._reader()))
        except sqlite3.Error as exc:
            raise StoreError(f"the database could not be read: {exc}") from exc

    async def load(self, board: str) -> LoadedBoard:
        def read(conn: sqlite3.Connection) -> LoadedBoard:
            cp = _checkpoint_before(conn, board, None)
            after = cp.seq if cp else 0
            rows = _rows(conn, board, after, None)
            (max_id,) = conn.execute(
                "SELECT COALESCE(MAX(id), 0) FROM clients WHERE board = ?", (board,)
            ).fetchone()
            key = conn.execute("SELECT key_hash FROM boards WHERE board = ?", (board,)).fetchone()
            return LoadedBoard(
                checkpoint=cp,
                rows=rows,
                next_client_id=int(max_id) + 1,
                key_hash=key[0] if key else None,
            )

        return await self._read(read)

    async def head(self, board: str) -> int:
        def read(conn: sqlite3.Connection) -> int:
            row = conn.execute(
                "SELECT last_seq FROM log WHERE board = ? ORDER BY first_seq DESC LIMIT 1",
                (board,),
            ).fetchone()
            return int(row[0]) if row else 0

        return await self._read(read)

    async def checkpoint_at_or_before(self, board: str, seq: int) -> Checkpoint | None:
        return await self._read(lambda conn: _checkpoint_before(conn, board, seq))

    async def checkpoint_layout(self, board: str, seq: int) -> bytes | None:
        def read(conn: sqlite3.Connection) -> bytes | None:
            row = conn.execute(
                "SELECT layout FROM checkpoint_layouts WHERE board = ? AND seq = ?", (board, seq)
            ).fetchone()
            return bytes(row[0]) if row else None

        return await self._read(read)

    async def read_log(self, board: str, after: int, upto: int | None = None) -> list[LogRow]:
        return await self._read(lambda conn: _rows(conn, board, after, upto))

    async def read_log_page(self, board: str, after: int, max_ops: int) -> list[LogRow]:
        # Rows hold contiguous seqs, so the rows starting at or before after + max_ops are
        # exactly those covering the next max_ops ops: one range query, no counting in Python
        # (history pages read thousands of rows per request).
        return await self._read(lambda conn: _rows(conn, board, after, after + max_ops))

    async def client_names(self, board: str, ids: list[int] | None = None) -> dict[int, str]:
        def read(conn: sqlite3.Connection) -> dict[int, str]:
            if ids is None:
                rows = conn.execute("SELECT id, name FROM clients WHERE board = ?", (board,))
                return {int(i): str(n) for i, n in rows}
            # Every connection gets a client id, so a long-lived board has many thousands: look
            # up only the authors asked for (an ops page names ten, not the board's whole past).
            names: dict[int, str] = {}
            wanted = sorted(set(ids))
            for start in range(0, len(wanted), _IDS_PER_QUERY):
                chunk = wanted[start : start + _IDS_PER_QUERY]
                marks = ",".join("?" * len(chunk))
                rows = conn.execute(
                    f"SELECT id, name FROM clients WHERE board = ? AND id IN ({marks})",
                    (board, *chunk),
                )
                names.update((int(i), str(n)) for i, n in rows)
            return names

        return await self._read(read)

    async def create_board_with_history(
        self,
        board: str,
        clients: list[Client],
        rows: list[LogRow],
        checkpoints: list[Checkpoint],
    ) -> bool:
        layouts = [await layout_of(cp) for cp in checkpoints]

        def job(conn: sqlite3.Connection) -> bool:
            for table in ("log", "clients"):
                taken = conn.execute(
                    f"SELECT 1 FROM {table} WHERE board = ? LIMIT 1", (board,)
                ).fetchone()
                if taken:
                    return False
            conn.executemany(
                "INSERT INTO clients (board, id, name, color) VALUES (?, ?, ?, ?)",
                [(board, c.id, c.name, c.color) for c in clients],
            )
            conn.executemany(
                "INSERT INTO log (board, first_seq, last_seq, ts, ops) VALUES (?, ?, ?, ?, ?)",
                [(board, r.first_seq, r.last_seq, r.ts, r.ops) for r in rows],
            )
            for cp, cp_layout in zip(checkpoints, layouts, strict=True):
                _insert_checkpoint(conn, board, cp, cp_layout)
            return True

        created: bool = await self._submit(job)
        return created


def _resolve_all(results: list[tuple[asyncio.Future[Any], Any, BaseException | None]]) -> None:
    for fut, value, error in results:
        if fut.done():
            continue
        if error is not None:
            fut.set_exception(error)
        else:
            fut.set_result(value)


def _insert_checkpoint(
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


def _checkpoint_before(conn: sqlite3.Connection, board: str, seq: int | None) -> Checkpoint | None:
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


def _start_of(conn: sqlite3.Connection, board: str, after: int) -> int:
    """first_seq of the row holding op ``after + 1``: an index seek, not a scan of the board."""
    row = conn.execute(
        "SELECT first_seq FROM log WHERE board = ? AND first_seq <= ?"
        " ORDER BY first_seq DESC LIMIT 1",
        (board, after + 1),
    ).fetchone()
    return int(row[0]) if row else 0


def _rows(conn: sqlite3.Connection, board: str, after: int, upto: int | None) -> list[LogRow]:
    start = _start_of(conn, board, after)
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
