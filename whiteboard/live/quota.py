"""Storage caps: ``--board-mb`` for one board, ``--disk-mb`` for the whole store (issue 12).

Why caps at all: every op stays in the log for ever (history needs it), so nothing else stops
one board, or all of them, from filling the disk. A board counts what its users put in it:
its log rows and its pictures (``LoadedBoard.stored_bytes``, then each committed row).
Checkpoints are the server's own and stay in proportion (they list live state only). The
store's total is what the store says it takes (``Store.total_bytes``: the SQLite files, or
Redis's memory), read at most every ``CHECK_S`` seconds, never on an op's path; between two
readings every byte committed is added to the last one (``wrote``), so a fast writer cannot
outrun the reading and overshoot the cap by a second's worth of ops.

Refusals lose nothing acknowledged: a cap is checked before a tick judges its ops, so ops are
refused (``board_full``, with a sentence) or committed as always; HTTP routes that would add
bytes (create, fork, import, picture upload) answer 507 with a sentence.
"""

from __future__ import annotations

import asyncio
import logging
import time

from whiteboard.config import Settings
from whiteboard.store.base import Store, StoreError

log = logging.getLogger(__name__)

CHECK_S = 1.0
MB = 1 << 20


class Quota:
    """The caps of one process, and the store's last measured total."""

    def __init__(self, store: Store, settings: Settings) -> None:
        self.store = store
        self.board_cap = settings.board_mb * MB
        self.total_cap = settings.disk_mb * MB  # 0: no total cap
        self.total = 0
        self._checked = float("-inf")
        self._checking: asyncio.Task[None] | None = None

    def board_refusal(self, stored_bytes: int, adding: int = 0) -> str | None:
        """Why a board holding ``stored_bytes`` may not take ``adding`` more, or None."""
        if stored_bytes + adding <= self.board_cap and (adding or stored_bytes < self.board_cap):
            return self.total_refusal()
        cap = f"a board may take at most {self.board_cap // MB} MB on this server"
        if stored_bytes < self.board_cap:
            return f"That would make the board {(stored_bytes + adding) / MB:.1f} MB, and {cap}."
        return (
            f"This board is full: it takes {stored_bytes / MB:.1f} MB, and {cap}. "
            "Fork it to go on drawing."
        )

    def total_refusal(self) -> str | None:
        """Why nothing may be added to the store now, or None (also starts a fresh reading of
        the total when the last one is older than ``CHECK_S``)."""
        if not self.total_cap:
            return None
        self._check_soon()
        if self.total < self.total_cap:
            return None
        return (
            f"The server's storage is full ({self.total / MB:.0f} MB of "
            f"{self.total_cap // MB} MB): nothing can be added now."
        )

    def wrote(self, size: int) -> None:
        """``size`` bytes were just committed: counted until the next reading includes them."""
        if self.total_cap:
            self.total += size

    async def refresh(self) -> None:
        """Read the store's total now (at start, and by tests)."""
        if not self.total_cap:
            return
        try:
            self.total = await self.store.total_bytes()
        except StoreError as exc:
            log.warning("could not measure the store: %s", exc)
        self._checked = time.monotonic()

    def _check_soon(self) -> None:
        if self._checking is not None or time.monotonic() - self._checked < CHECK_S:
            return
        task = asyncio.ensure_future(self.refresh())
        self._checking = task
        task.add_done_callback(self._checked_now)

    def _checked_now(self, _: asyncio.Task[None]) -> None:
        self._checking = None
