"""Long passes in worker threads that hand the event loop its GIL back often.

Why: a thread that runs Python without pause keeps the GIL until the interpreter's switch
interval (5 ms) makes it let go. The event loop gives the GIL up at every syscall (each send to
a client, each select), and each time it must then wait for that thread's interval to end to
take it back: a fan-out of 200 writes took a second while a big board was decoded beside it
(a convoy; docs/scaling.md, "Loading"). A pass that calls ``offer()`` every few items lets the
loop in within a few items' work instead (tens of microseconds).

An offer is a ``sleep(0)``, which here costs 58 us (the kernel's timer slack): offered after
each of a 100,000-element board's elements, twice, it made the board's first welcome 15 s
instead of 1. So while the loop is idle in its ``select`` (``watch``), offers are rationed to
one every ``IDLE_OFFER_EVERY_S``: the loop wants no GIL then, but the store's threads (the
group commit, a board's read) want it after every blocking call, and skipping offers made
each of those wait a whole switch interval (200 short calls: 30 -> 250 ms). The loop's first
wake-up after idling waits at most the switch interval, 1 ms while a pass is offering.

``offer()`` does nothing outside ``offering()``: the same code (``checkpoint.load``,
``Document.from_state``) also runs on the loop and in worker processes, where there is nobody
to hand the GIL to.
"""

from __future__ import annotations

import asyncio
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

OFFERING_SWITCH_S = 0.001
IDLE_OFFER_EVERY_S = 0.0005

_here = threading.local()
_loop_idle = False
"""True while the watched loop blocks in its ``select`` (it holds no GIL and wants none)."""
_lock = threading.Lock()
_offering = 0
"""Passes offering now, in all threads: the switch interval is short while there is one."""
_interval = 0.0


def offer() -> None:
    """Let another thread that waits for the GIL have it now (if this thread is offering)."""
    here = _here
    if not getattr(here, "offering", 0):
        return
    if _loop_idle:
        now = time.perf_counter()
        if now < here.next_idle_offer:
            return
        here.next_idle_offer = now + IDLE_OFFER_EVERY_S
    time.sleep(0)  # releases the GIL; a waiting thread takes it before this one returns


@contextmanager
def offering() -> Iterator[None]:
    """Make ``offer()`` hand over the GIL in this thread, for the block's duration."""
    global _offering, _interval
    with _lock:
        if _offering == 0:
            _interval = sys.getswitchinterval()
            sys.setswitchinterval(min(_interval, OFFERING_SWITCH_S))
        _offering += 1
    depth = getattr(_here, "offering", 0)
    _here.offering = depth + 1
    _here.next_idle_offer = 0.0
    try:
        yield
    finally:
        _here.offering = depth
        with _lock:
            _offering -= 1
            if _offering == 0:
                sys.setswitchinterval(_interval)


def watch(loop: asyncio.AbstractEventLoop) -> None:
    """Note when ``loop`` waits in its selector, so that offers skip those times. (asyncio's
    selector loops keep it as ``_selector``; another loop is left alone: offers always.)"""
    selector = getattr(loop, "_selector", None)
    if selector is None:
        return
    select: Callable[..., Any] = selector.select

    def watched(timeout: float | None = None) -> Any:
        global _loop_idle
        _loop_idle = timeout != 0  # a select with ready callbacks only polls
        try:
            return select(timeout)
        finally:
            _loop_idle = False

    selector.select = watched
