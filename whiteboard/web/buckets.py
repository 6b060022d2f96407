"""Rates with a burst: what a connection and an address may send (ops, bytes, presence).

Apart from the socket because both sides of a budget use the same bucket: a connection's own
and its address's, shared by its connections (``web/socket.py``).
"""

from __future__ import annotations

import time


class TokenBucket:
    """A rate with a burst: ``take()`` is true while tokens remain."""

    __slots__ = ("burst", "last", "rate", "tokens")

    def __init__(self, rate: float, burst: float) -> None:
        self.rate = rate
        self.burst = burst
        self.tokens = burst
        self.last = time.monotonic()

    def _refill(self) -> None:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.last) * self.rate)
        self.last = now

    def take(self, n: float = 1.0) -> bool:
        self._refill()
        if self.tokens >= n:
            self.tokens -= n
            return True
        return False

    def charge(self, n: float) -> bool:
        """Take ``n`` whether or not they are there: true if they were. What was not there
        becomes a debt (at most one burst) repaid before anything passes again, so that frames
        refused for the budget cost their bytes too (bytes received are work done)."""
        self._refill()
        ok = self.tokens >= n
        self.tokens = max(self.tokens - n, -self.burst)
        return ok

    def take_up_to(self, n: int) -> int:
        """As many of ``n`` single tokens as are left: one clock read per frame, not per op."""
        self._refill()
        granted = min(n, int(self.tokens))
        self.tokens -= granted
        return granted
