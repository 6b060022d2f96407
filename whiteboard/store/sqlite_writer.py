"""The SQLite store's one writer thread and its group commit.

Why a thread of its own: SQLite takes one writer at a time, and a commit waits for the disk.
Every write job queued while the last transaction was being written goes into the next one, so
a burst of ticks from many boards costs one fsync, not one each; each job runs in a savepoint,
so one job's failure (a constraint, say) fails only its own waiter. The waiters are asyncio
Futures, resolved on the IOLoop once the transaction is durable.
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
from typing import Any

from whiteboard.store.base import StoreConflict, StoreError

log = logging.getLogger(__name__)

Job = Callable[[sqlite3.Connection], Any]
"""A write, run on the writer thread inside the group's transaction; its return value is the
waiter's result."""
_STOP = object()


class GroupCommit:
    """Queue write jobs from the IOLoop; commit them in groups on one thread."""

    def __init__(self, on_failure: Callable[[], None]) -> None:
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._on_failure = on_failure  # called on the writer thread when a commit fails
        self.commits = 0  # transactions committed

    def start(self, conn: sqlite3.Connection, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._thread = threading.Thread(
            target=self._write_loop, args=(conn,), name="sqlite-writer", daemon=True
        )
        self._thread.start()

    async def stop(self) -> None:
        """Commit what is queued, then end the thread (and close its connection)."""
        self._queue.put(_STOP)
        if self._thread is not None:
            await asyncio.get_running_loop().run_in_executor(None, self._thread.join)

    def submit(self, job: Job) -> asyncio.Future[Any]:
        if self._loop is None:
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
        self, conn: sqlite3.Connection, jobs: list[tuple[Job, asyncio.Future[Any]]]
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
                except StoreConflict as exc:  # raised before the job wrote anything
                    conn.execute(f"RELEASE j{i}")
                    results.append((fut, None, exc))
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
            if conn.in_transaction:
                with contextlib.suppress(sqlite3.Error):
                    conn.execute("ROLLBACK")
            error = StoreError(f"the database could not be written: {exc}{_cause(conn)}")
            log.warning("commit failed: %s", error)
            results = [(fut, None, error) for _, fut in jobs]
            self._on_failure()
        assert self._loop is not None
        self._loop.call_soon_threadsafe(_resolve_all, results)


def _resolve_all(results: list[tuple[asyncio.Future[Any], Any, BaseException | None]]) -> None:
    for fut, value, error in results:
        if fut.done():
            continue
        if error is not None:
            fut.set_exception(error)
        else:
            fut.set_result(value)


def _cause(conn: sqlite3.Connection) -> str:
    """What the operating system says of writing to the data directory: SQLite reports a full
    disk and a directory remounted read-only alike as "disk I/O error", which tells an operator
    nothing. Asked only after a commit failed."""
    try:
        path = conn.execute("PRAGMA database_list").fetchone()[2]
    except sqlite3.Error:
        return ""
    if not path:
        return ""  # an in-memory database (tests): no directory
    probe = os.path.join(os.path.dirname(path), ".write-probe")
    try:
        fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
        try:
            os.write(fd, b"x")
            os.fsync(fd)
        finally:
            os.close(fd)
            with contextlib.suppress(OSError):
                os.unlink(probe)
    except OSError as exc:
        return f" (writing to {os.path.dirname(path)}: {exc.strerror or exc})"
    return ""
