"""What a board does when the store will not take a tick: judge it again after another
process's append (Redis), refuse it and go read-only for a while (disk full), or leave memory
(anything else); and how it stops when deleted.

The rule in every case: nothing anyone was shown is lost, nothing unstored is ever shown. The
document goes back to what the store holds (``_rewind``), which is exactly what was
acknowledged.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from whiteboard import protocol
from whiteboard.config import Settings
from whiteboard.document import Document
from whiteboard.history import state as history
from whiteboard.live.judge import DISK_FULL, Queue, refuse
from whiteboard.live.session import Session
from whiteboard.live.ticker import Ticker
from whiteboard.store.base import Store, StoreConflict, StoreError

log = logging.getLogger(__name__)

CLOSE_FAILED = (protocol.CLOSE_SERVER_ERROR, "the server could not store the board; reconnect")


class Faults:
    """``Board``'s half for a store that failed it (a mixin: it shares the board's state)."""

    id: str
    doc: Document
    store: Store
    settings: Settings
    committed_seq: int
    readonly_until: float
    failed: bool
    peers: dict[int, Session]
    ticker: Ticker
    _queue: Queue
    _joins: list[tuple[Session, int | None]]
    _on_failed: Callable[[Any], None] | None  # given the Board

    async def _conflict(
        self, sops: list[dict[str, Any]], authors: dict[int, Session], exc: StoreConflict
    ) -> None:
        """Another process appended first (our lock had expired): judge the ops again.

        Nothing of the tick was shown to anyone, so the document goes back to the last
        committed state and the ops go back to the front of the queue, as their authors sent
        them; the next tick catches up with the other process's rows and judges them anew.
        """
        log.warning("board %s: %s; judging the tick again", self.id, exc)
        await self._rewind()
        again: dict[int, list[dict[str, Any]]] = {}
        for sop in sops:
            op = {k: v for k, v in sop.items() if k not in ("s", "by")}
            again.setdefault(sop["by"], []).append(op)
        self._queue[:0] = [(authors[cid], ops) for cid, ops in again.items()]

    async def _store_failed(
        self, sops: list[dict[str, Any]], authors: dict[int, Session], exc: StoreError
    ) -> None:
        """The tick could not be stored (disk full): undo it, refuse it, go read-only a while.

        The document is rebuilt from the store, which holds exactly what was acknowledged, so
        nothing anyone has seen is lost and nothing unseen is kept. Edits are refused with
        ``read_only`` until ``readonly_retry_s`` has passed; the next edit after that tries the
        disk again, so the board recovers by itself once space returns.
        """
        self._read_only_for_now(exc)
        await self._rewind()
        for sop in sops:
            session = authors.get(sop["by"])
            if session is not None:
                refuse(session, "read_only", DISK_FULL, sop["c"])

    def _read_only_for_now(self, exc: StoreError) -> None:
        log.warning("board %s is read-only for now: %s", self.id, exc)
        self.readonly_until = asyncio.get_running_loop().time() + self.settings.readonly_retry_s

    async def _rewind(self) -> None:
        """Undo a tick that was not stored: the document as of the last committed op, read
        from the store (which holds exactly what anyone was shown)."""
        blobs, max_mem = self.doc.blobs, self.doc.max_mem
        self.doc = await history.state_at(self.store, self.id, self.committed_seq, self.doc.limits)
        self.doc.blobs, self.doc.max_mem = blobs, max_mem
        if self.doc.seq != self.committed_seq:
            raise StoreError(f"store holds seq {self.doc.seq}, expected {self.committed_seq}")

    def _fail(self) -> None:
        """A tick could not be stored: drop the board so nothing unstored is ever shown.

        Clients are closed with 1011 and reconnect; the board then reloads from the store,
        which holds exactly what was acknowledged.
        """
        self.failed = True
        self.ticker.closed = True  # no more ticks: a reloaded Board takes over
        if self._on_failed is not None:
            self._on_failed(self)
        self._close_all(*CLOSE_FAILED)

    async def shut(self, code: int, reason: str) -> None:
        """Close every client now (the board was deleted), let the tick in flight finish, and
        tick no more. Joiners still storing their id are refused as after a failure."""
        self._close_all(code, reason)
        await self.ticker.drain(1)

    def _close_all(self, code: int, reason: str) -> None:
        """The board takes no more: every client and joiner is closed and forgotten, with any
        ops still queued."""
        self.failed = True
        sessions = [*self.peers.values(), *(session for session, _ in self._joins)]
        self._joins, self._queue = [], []
        self.peers.clear()
        for session in sessions:
            session.close(code, reason)
