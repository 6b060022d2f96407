"""The WebSockets open in this process: all of them (to close at shutdown, to count for
``/metrics``) and how many each address holds (``connections_per_ip``)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Protocol, TypeVar

T = TypeVar("T")


class Closable(Protocol):
    def close(self, code: int, reason: str) -> None: ...


class Connections:
    """Shared by every socket of one app (``make_app``); sockets add and remove themselves."""

    def __init__(self) -> None:
        self.open: set[Closable] = set()
        self.per_ip: Counter[str] = Counter()
        self._shared: dict[str, object] = {}

    def __len__(self) -> int:
        return len(self.open)

    def add(self, sock: Closable) -> None:
        self.open.add(sock)

    def discard(self, sock: Closable) -> None:
        self.open.discard(sock)

    def count_ip(self, ip: str, limit: int) -> bool:
        """One more connection from ``ip``; False (and not counted) past ``limit``."""
        if self.per_ip[ip] >= limit:
            return False
        self.per_ip[ip] += 1
        return True

    def uncount_ip(self, ip: str) -> None:
        self.per_ip[ip] -= 1
        if self.per_ip[ip] <= 0:
            del self.per_ip[ip]
            self._shared.pop(ip, None)

    def shared(self, ip: str, make: Callable[[], T]) -> T:
        """One object shared by the connections of ``ip`` (its byte budget), made by the first
        and forgotten with the last (``uncount_ip``)."""
        found = self._shared.get(ip)
        if found is None:
            found = self._shared[ip] = make()
        return found  # type: ignore[return-value]

    def close_all(self, code: int, reason: str) -> None:
        for sock in list(self.open):
            sock.close(code, reason)
