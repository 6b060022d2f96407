"""When a board ticks: only when woken, at most once every ``tick_ms``, one tick at a time.

Wakes between two ticks coalesce into one tick, which is what makes a board's cost per tick
rather than per op: a hundred ops sent within ``tick_ms`` are judged, stored and broadcast once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any


class Ticker:
    """Runs ``tick`` when woken; after each tick, runs again if ``pending()`` says so."""

    __slots__ = ("_handle", "_last", "_pending", "_task", "_tick", "closed", "interval", "ticking")

    def __init__(
        self,
        interval_s: float,
        tick: Callable[[], Coroutine[Any, Any, None]],
        pending: Callable[[], bool],
    ) -> None:
        self.interval = interval_s
        self._tick = tick  # never raises: the board handles its own failures
        self._pending = pending
        self._handle: asyncio.TimerHandle | None = None
        self._task: asyncio.Future[None] | None = None
        self._last = 0.0
        self.ticking = False  # a tick is in flight (it awaits the store)
        self.closed = False  # no more ticks (shutdown, or the board was dropped)

    def wake(self) -> None:
        if self._handle is not None or self.ticking or self.closed:
            return
        loop = asyncio.get_running_loop()
        delay = max(0.0, self._last + self.interval - loop.time())
        self._handle = loop.call_later(delay, self._start)

    def _start(self) -> None:
        self._handle = None
        self.ticking = True
        self._task = asyncio.ensure_future(self._run())

    async def _run(self) -> None:
        try:
            await self._tick()
        finally:
            self.ticking = False
            self._last = asyncio.get_running_loop().time()
            if self._pending():
                self.wake()

    async def flush(self, max_ticks: int) -> None:
        """Run what is pending now rather than after the interval, awaiting each tick, until
        nothing is (or ``max_ticks`` ran: clients may still be sending)."""
        for _ in range(max_ticks):
            if self._handle is not None:
                self._handle.cancel()
                self._start()
            if self._task is None or self._task.done():
                break
            await asyncio.wait([self._task])

    async def drain(self, max_ticks: int) -> None:
        """``flush``, then stop: no tick after this one."""
        await self.flush(max_ticks)
        self.closed = True
