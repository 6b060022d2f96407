"""Requests whose work grows with the board (export.svg and .pdf, JSON ``?at=`` snapshots,
JSON ops pages, forks) run off the IOLoop: at most ``--heavy-requests`` at once, one more is
refused at once with 503 and ``Retry-After`` rather than queued.

Why: one ``export.svg`` of a 10M-value board took the loop for 4.5 s, freezing every live board
of the process; four at once, 18 s. Two places to run them:

- ``compute``: a worker process, for the pure rebuild-and-render jobs (``history/jobs.py``).
  In a thread they still shared the loop's GIL, and msgpack's decoder holds it for a whole
  checkpoint: four exports at once kept an op on another board waiting 0.3-0.65 s. A process
  holds none of it; what crosses the pipe is bytes (pickling bytes is a copy).
- ``run``: a thread, for work that is mostly I/O or must hand a decoded result back to the
  loop (ops pages read in slices, a fork's log written through the store).

The worker processes are spawned (a fresh interpreter: forking the server, with its writer
thread, could copy a held lock), at the first request that needs one, and live as long as the
server; one pool per process, shared by every app in it (the tests start many). Each asks the
kernel to end it with its server (``workers.die_with_parent``): a pool's workers hold both ends
of their own work queue, so after a ``kill -9`` of the server they would wait for work forever,
and a fork server (tried first) stays up as long as any of them does.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import os
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

from whiteboard import workers

T = TypeVar("T")
log = logging.getLogger(__name__)

RETRY_AFTER_S = 2


class Busy(Exception):
    """Every heavy-request slot is taken."""


class WorkerLost(Exception):
    """A worker process died under a job (killed for memory, most likely)."""


_pools: dict[int, ProcessPoolExecutor] = {}


def _pool(size: int) -> ProcessPoolExecutor:
    pool = _pools.get(size)
    if pool is None:
        pool = _pools[size] = ProcessPoolExecutor(
            max_workers=size,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_worker_started,
            initargs=(os.getpid(),),
        )
    return pool


def _worker_started(server: int) -> None:
    """In each worker process: end with the server, and yield the CPU to it. Eight exports
    at once on two cores left the loop a third of a core, so its share of the work (the
    answers' bytes) froze it 10-20 times longer than on a free core."""
    workers.die_with_parent(server)
    os.nice(10)


class HeavyWork:
    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.running = 0
        self._threads = ThreadPoolExecutor(max_workers=cap, thread_name_prefix="heavy")

    @contextlib.contextmanager
    def slot(self) -> Iterator[None]:
        """Held from the request's first read to its answer, so that a refusal costs no work."""
        if self.running >= self.cap:
            raise Busy
        self.running += 1
        try:
            yield
        finally:
            self.running -= 1

    async def run(self, fn: Callable[[], T]) -> T:
        """``fn`` in one of the threads (the caller holds a ``slot``)."""
        return await asyncio.get_running_loop().run_in_executor(self._threads, fn)

    async def compute(self, fn: Callable[..., T], *args: Any) -> T:
        """``fn(*args)`` in a worker process (the caller holds a ``slot``); ``fn`` is a
        module-level function and ``args`` are plain data, since both cross a pipe."""
        pool = _pool(self.cap)
        try:
            return await asyncio.wrap_future(pool.submit(fn, *args))
        except BrokenProcessPool:
            # The pool is useless from here on: the next request gets a new one.
            if _pools.get(self.cap) is pool:
                del _pools[self.cap]
            pool.shutdown(wait=False, cancel_futures=True)
            log.error("a heavy-request worker process died; starting new ones")
            raise WorkerLost from None


def shutdown() -> None:
    """Stop every worker process, at server shutdown: queued jobs are dropped, idle workers
    exit at once, a running job is waited for (its request is already closed).

    Waited for, not left behind: with ``wait=False`` the pool's manager thread closes its
    wake-up pipe while the interpreter's exit hook may be writing to it (a race in Python
    3.11's ``concurrent.futures``), and the server's last log line was an EBADF traceback.
    """
    for pool in _pools.values():
        pool.shutdown(wait=True, cancel_futures=True)
    _pools.clear()
