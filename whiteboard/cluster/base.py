"""How the processes serving the same boards agree: the ``Cluster`` interface.

The store (``whiteboard/store/``) keeps data and nothing else. When several processes serve one
board (``--redis``), a process no longer owns its boards: it must take a board's lock before
judging ops, hear of the rows and presence of the other processes, and tell them of its own
clients, and a client that reconnects to another process must be able to take its place. That is
this interface. ``solo.py`` is the one-process case, where all of it is trivial; ``redis.py``
coordinates over the Redis that also holds the boards.

A cluster that cannot reach its backend raises ``StoreError``, as the store does: for a board
both are the same outage (Redis away), handled the same way (read-only for a while, or dropped).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any

from whiteboard.store.base import LogRow

RowListener = Callable[[str, LogRow], None]
"""Called with (board, row) for every row committed to a subscribed board, by any process."""

PresenceListener = Callable[[str, dict[str, Any]], None]
"""Called with (board, event) for presence published by another process: ``{"j": [id, name,
color]}``, ``{"l": [ids]}``, or any of ``{"c": [[id, x, y], ...], "v": [[id, x0, y0, x1, y1], ...],
"k": [[id, x, y], ...], "s": [[by, x0, y0, x1, y1], ...]}`` (cursors, views, laser points,
summons), with ``"p"`` naming the process."""


class Cluster(ABC):
    shared: bool
    """Whether other processes may serve the same boards: a board then takes the lock before
    judging ops and catches up with what others committed. False only for ``SoloCluster``."""

    process: str
    """This process's name in locks and presence."""

    @abstractmethod
    async def start(self) -> None:
        """Join the cluster (and keep saying this process is alive until ``close``)."""

    @abstractmethod
    async def close(self) -> None:
        """Leave: stop listening and beating, so the others soon count this process gone."""

    @abstractmethod
    async def lock(
        self, board: str, after: int, authors: list[int]
    ) -> tuple[list[LogRow], set[int]]:
        """Take the board's short lock; the rows after ``after`` that this process lacks, and
        which of ``authors`` a reconnect on another process has retired (``retire``).

        The lock is given back by the store's next append on the board, or by ``unlock``.
        """

    @abstractmethod
    async def unlock(self, board: str) -> None:
        """Give the lock back when a tick ends without an append (append releases it)."""

    @abstractmethod
    async def retire(self, board: str, client_id: int, token: str) -> bool:
        """A client reconnected elsewhere and proved (``token``) it held ``client_id``: that
        connection's process must drop its queued ops. False when the proof fails."""

    @abstractmethod
    def listen(
        self,
        on_row: RowListener,
        on_presence: PresenceListener,
        on_revive: Callable[[], None] | None = None,
    ) -> None:
        """Where rows committed and presence published by other processes are delivered, and
        who re-announces this process's clients after it was taken for dead."""

    @abstractmethod
    async def subscribe(self, board: str) -> None:
        """Hear of the board's rows and presence from now on (before reading it, so that no
        row committed meanwhile is missed)."""

    @abstractmethod
    async def unsubscribe(self, board: str) -> None: ...

    @abstractmethod
    async def peer_joined(self, board: str, info: dict[str, Any], token: str) -> None:
        """A client connected here: record it (with its reconnect ``token``, so that another
        process can ``retire`` this connection) and tell the other processes."""

    @abstractmethod
    async def peers_left(self, board: str, ids: list[int]) -> None:
        """Clients of this process left the board: forget them and tell the others."""

    @abstractmethod
    async def publish_presence(self, board: str, event: dict[str, Any]) -> None:
        """Send a presence event (cursors, views, laser points, summons) to the other processes
        serving the board."""

    @abstractmethod
    async def remote_peers(self, board: str) -> dict[int, tuple[dict[str, Any], str]]:
        """Clients of this board connected to other live processes: id -> (info, process)."""

    @abstractmethod
    async def live_processes(self) -> set[str]:
        """The processes whose heartbeat is recent (this one included)."""

    @abstractmethod
    async def forget_peers(self, board: str, ids: list[int]) -> None:
        """Remove clients' entries and reconnect tokens (theirs, or a dead process's)."""
