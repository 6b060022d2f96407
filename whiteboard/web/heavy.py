"""Requests whose work grows with the board (export.svg, JSON ``?at=`` snapshots, JSON ops
pages) run in a few threads of their own, never on the IOLoop.

Why: one ``export.svg`` of a 10M-value board took the loop for 4.5 s, freezing every live board
of the process; four at once, 18 s. In a thread the loop keeps ticking (the work is pure Python,
so it still shares the GIL, but the interpreter switches threads every few milliseconds). At
most ``--heavy-requests`` run at once, so a crowd of them cannot starve the loop of the GIL
either: one more is refused at once with 503 and ``Retry-After`` rather than queued.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")

RETRY_AFTER_S = 2


class Busy(Exception):
    """Every heavy-request thread is taken."""


class HeavyWork:
    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.running = 0
        self._pool = ThreadPoolExecutor(max_workers=cap, thread_name_prefix="heavy")

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
        return await asyncio.get_running_loop().run_in_executor(self._pool, fn)
