"""Deleting, restoring and purging boards, and the retention rule: what the admin API, the admin
command and the server's periodic job share.

The store keeps the flag (``store/meta.py``); this adds what a live server must do about it: a
deleted board's clients are closed (1008, with a sentence) in this process, and in every other
process serving it (a ``gone`` event on the board's presence channel, ``registry.GONE``). A purge
closes the board first, so that no tick in flight writes to it after its rows are gone.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import re
import time
from dataclasses import dataclass, field
from typing import Any

from whiteboard.cluster.base import Cluster
from whiteboard.live.registry import GONE, Hub
from whiteboard.protocol import BOARD_ID_PATTERN
from whiteboard.store.base import Store, StoreError

log = logging.getLogger(__name__)

DELETED = "This board was deleted by its owner or an administrator."
DAY_MS = 86_400_000
BOARD_ID = re.compile(BOARD_ID_PATTERN)


def now_ms() -> int:
    return int(time.time() * 1000)


@dataclass
class Swept:
    """What one run of the retention rule did."""

    deleted: list[str] = field(default_factory=list)
    purged: list[str] = field(default_factory=list)


class Lifecycle:
    """``hub`` is this process's boards (None in the admin command, which serves none);
    ``cluster`` reaches the other processes (None when there are none)."""

    def __init__(self, store: Store, hub: Hub | None, cluster: Cluster | None) -> None:
        self.store = store
        self.hub = hub
        self.cluster = cluster

    async def delete(self, board: str) -> bool:
        """Soft-delete: kept, restorable, refused everywhere. False for an unknown board."""
        if not await self.store.set_deleted(board, now_ms()):
            return False
        await self._close(board)
        return True

    async def restore(self, board: str) -> bool:
        return await self.store.set_deleted(board, None)

    async def purge(self, board: str) -> bool:
        """Gone, as if it never existed. False when there was nothing to purge."""
        await self._close(board)
        return await self.store.purge_board(board)

    async def _close(self, board: str) -> None:
        if self.hub is not None:
            await self.hub.evict(board, DELETED)
        if self.cluster is not None and self.cluster.shared:
            await self.cluster.publish_presence(board, {GONE: DELETED})

    async def sweep(self, trash_days: float, idle_days: float) -> Swept:
        """Purge what has been in the trash ``trash_days``; soft-delete boards unchanged for
        ``idle_days`` (0: never) unless someone is on them now."""
        swept = Swept()
        now = now_ms()
        boards, _ = await self.store.list_boards()
        for summary in boards:
            if summary.deleted is not None:
                if now - summary.deleted >= trash_days * DAY_MS:
                    await self.purge(summary.board)
                    swept.purged.append(summary.board)
            elif idle_days > 0 and now - summary.active >= idle_days * DAY_MS:
                live = self.hub.loaded(summary.board) if self.hub is not None else None
                if live is not None and live.peers:
                    continue
                await self.delete(summary.board)
                swept.deleted.append(summary.board)
        if swept.deleted or swept.purged:
            log.info(
                "retention: %d idle boards deleted, %d purged from the trash",
                len(swept.deleted),
                len(swept.purged),
            )
        return swept


async def keep_retention(
    lifecycle: Lifecycle, trash_days: float, idle_days: float, every_s: float
) -> None:
    """The server's periodic job: the retention rule at start, then every ``every_s``. Every
    process of a Redis deployment runs it; running it twice deletes nothing twice."""
    while True:
        try:
            await lifecycle.sweep(trash_days, idle_days)
        except StoreError as exc:
            log.warning("retention could not run: %s", exc)
        await asyncio.sleep(every_s)


COMMANDS = ("list", "delete", "restore", "purge")


async def command(lifecycle: Lifecycle, request: dict[str, Any]) -> dict[str, Any]:
    """One admin command (``python -m whiteboard.admin``), run by the server that holds the
    database or by the command itself: ``{"ok": ...}`` or ``{"error": sentence}``."""
    name, board = request.get("admin"), request.get("board")
    if name == "list":
        q = request.get("q") or ""
        found, _ = await lifecycle.store.list_boards(q if isinstance(q, str) else "")
        return {"ok": [dataclasses.asdict(s) for s in found]}
    if name not in COMMANDS or not isinstance(board, str) or not BOARD_ID.fullmatch(board):
        return {"error": "bad request"}
    done = await getattr(lifecycle, name)(board)
    return {"ok": board} if done else {"error": f"there is no board {board}"}
