"""Boards created per client address: create, fork and import share one allowance.

Why: each creation writes to disk (a fork or an import, megabytes) and none needs an account,
so one address could fill the disk in a loop. A token bucket per address (``--creations-per-min``
a minute, as a burst too) bounds that without getting in the way of a person. Addresses whose
bucket is full again are forgotten, so the table stays small.
"""

from __future__ import annotations

import time

_FORGET_AT = 10_000
"""Entries kept before full buckets are swept out."""


class CreationLimiter:
    def __init__(self, per_min: int) -> None:
        self.per_min = per_min
        self._rate = per_min / 60.0
        self._buckets: dict[str, tuple[float, float]] = {}  # ip -> (tokens, at)

    def allow(self, ip: str) -> bool:
        now = time.monotonic()
        tokens, at = self._buckets.get(ip, (float(self.per_min), now))
        tokens = min(float(self.per_min), tokens + (now - at) * self._rate)
        allowed = tokens >= 1
        self._buckets[ip] = (tokens - 1 if allowed else tokens, now)
        if len(self._buckets) > _FORGET_AT:
            self._sweep(now)
        return allowed

    def retry_after(self) -> int:
        """Seconds until one more creation is allowed, at most (for ``Retry-After``)."""
        return max(1, round(1 / self._rate))

    def _sweep(self, now: float) -> None:
        full = [
            ip
            for ip, (tokens, at) in self._buckets.items()
            if tokens + (now - at) * self._rate >= self.per_min
        ]
        for ip in full:
            del self._buckets[ip]
