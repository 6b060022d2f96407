"""The cluster of one process (the default, without ``--redis``).

The process owns its boards: nobody else appends, so a lock has nothing to wait for and no row
to catch up with, there are no remote clients, and no reconnect can land on another process.
Every method is therefore trivial; boards need not ask which kind of cluster they run in.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

from whiteboard.cluster.base import Cluster, PresenceListener, RowListener
from whiteboard.store.base import LogRow


class SoloCluster(Cluster):
    shared = False

    def __init__(self) -> None:
        self.process = secrets.token_hex(6)

    async def start(self) -> None:
        pass

    async def close(self) -> None:
        pass

    async def lock(
        self, board: str, after: int, authors: list[int]
    ) -> tuple[list[LogRow], set[int]]:
        return [], set()

    async def unlock(self, board: str) -> None:
        pass

    async def retire(self, board: str, client_id: int, token: str) -> bool:
        """No other process holds any connection: a client to replace is one of ours."""
        return False

    def listen(
        self,
        on_row: RowListener,
        on_presence: PresenceListener,
        on_revive: Callable[[], None] | None = None,
    ) -> None:
        pass

    async def subscribe(self, board: str) -> None:
        pass

    async def unsubscribe(self, board: str) -> None:
        pass

    async def peer_joined(self, board: str, info: dict[str, Any], token: str) -> None:
        pass

    async def peers_left(self, board: str, ids: list[int]) -> None:
        pass

    async def publish_presence(self, board: str, event: dict[str, Any]) -> None:
        pass

    async def remote_peers(self, board: str) -> dict[int, tuple[dict[str, Any], str]]:
        return {}

    async def live_processes(self) -> set[str]:
        return {self.process}

    async def forget_peers(self, board: str, ids: list[int]) -> None:
        pass
