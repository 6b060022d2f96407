"""How busy the event loop is: what lets a board's batching grow with load, and only with load.

Why: a tick costs one write per client (a ``send`` to the kernel, 10-20 us each on this
machine, most of it the kernel's), so how often a big board ticks decides what its fan-out
costs. Spaced by its fan-out alone (``SPACING_PER_CLIENT_S`` per client), a board of 200 ticked
for every op or two and its writes took the whole core (issue 16's viewport runs: 100 % of a
core at N=200 with or without views, against 59 % when the same ops went out in 5 ms ticks),
while a board of 100 on an idle server wants every op out at once (p50 < 1.5 ms). The loop's
own CPU time tells the two apart: an idle loop keeps the short spacing, a busy one stretches
it up to ``MAX_STRETCH`` times (still capped at ``tick_ms`` by the board), so the ops of a tick
share its frames instead of the loop running out of time.

The loop thread's CPU (``time.thread_time``) is read at most every ``SAMPLE_S`` and smoothed
over the last few samples; the writer thread and other processes are not counted, so a
starved machine does not make the loop batch more for work it is not doing.
"""

from __future__ import annotations

import time
from collections.abc import Callable

SAMPLE_S = 0.1  # how often the loop's CPU time is read (asked at every wake, read this often)
# A board of 100 with 10 drawing keeps its loop under 15 % busy: its ops go out at once (p50
# 0.65 ms). 200 with 20 drawing at 30 ops/s keep it about half busy: there the same ops in ticks
# three to five times longer cost a quarter less CPU (48 -> 37 % of a core, 120,000 deliveries
# a second; with everyone's cursor moving 53 -> 43 %) for 1-2 ms more latency (p99 4.1 -> 5.5).
IDLE = 0.15  # busy fraction up to which the spacing is not stretched
BUSY = 0.5  # busy fraction from which it is stretched the most
MAX_STRETCH = 5.0


class LoopLoad:
    """The event loop's busy fraction, and the stretch it asks of a board's tick spacing."""

    __slots__ = ("_at", "_cpu", "_cpu_clock", "_wall", "busy")

    def __init__(
        self, wall: Callable[[], float], cpu: Callable[[], float] = time.thread_time
    ) -> None:
        self._wall = wall  # the loop's clock
        self._cpu_clock = cpu  # CPU time of the thread that asks (the loop's)
        self._at = wall()
        self._cpu = cpu()
        self.busy = 0.0  # smoothed fraction of wall time the loop spent on the CPU

    def stretch(self) -> float:
        """1 on an idle loop, rising to ``MAX_STRETCH`` as it gets busy."""
        return 1.0 + (MAX_STRETCH - 1.0) * self.share()

    def share(self) -> float:
        """0 on an idle loop (up to ``IDLE`` busy), rising to 1 at ``BUSY``."""
        now = self._wall()
        elapsed = now - self._at
        if elapsed >= SAMPLE_S:
            cpu = self._cpu_clock()
            fraction = min(1.0, (cpu - self._cpu) / elapsed)
            self.busy = (self.busy + fraction) / 2  # half from this sample, half from before
            self._at, self._cpu = now, cpu
        busy = self.busy
        if busy <= IDLE:
            return 0.0
        return min(1.0, (busy - IDLE) / (BUSY - IDLE))
