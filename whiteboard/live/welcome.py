"""The ``welcome`` a joining client gets: the board as the others have just seen it, or only
the ops it missed when it comes back with ``since`` and the resume buffer still holds them."""

from __future__ import annotations

from typing import Any

from whiteboard import protocol
from whiteboard.codec import Packed, Pieces, pack
from whiteboard.document import Document
from whiteboard.history.checkpoint import packed_elements
from whiteboard.live.resume import ResumeBuffer
from whiteboard.live.session import Session


class Welcomes:
    """The welcomes of one tick's joiners: the board's elements are listed once for them all."""

    def __init__(
        self, board_id: str, doc: Document, recent: ResumeBuffer, limits: dict[str, int]
    ) -> None:
        self.board_id = board_id
        self.doc = doc
        self.recent = recent
        self.limits = limits
        # The board's state, packed once for every joiner of the tick that needs it.
        self._elements: Pieces | None = None
        self._first = Packed()
        self._gone = Packed()
        self._count = 0
        # The ops after each ``since`` asked in this tick, decoded and packed once for all who
        # asked it (twenty reconnects with since:0 would otherwise each decode the buffer).
        self._since: dict[int, Pieces | None] = {}

    def _ops_since(self, since: int) -> Pieces | None:
        if since not in self._since:
            self._since[since] = self.recent.packed_since(since, self.doc.seq)
        return self._since[since]

    def encode(
        self, session: Session, since: int | None, peers: list[dict[str, Any]]
    ) -> list[bytes]:
        """``session``'s welcome as pieces of one message (``Transport.send_parts``): the
        elements or the ops after ``since`` are one piece, the same object for every joiner."""
        doc = self.doc
        ops = self._ops_since(since) if since is not None else None
        if ops is None and self._elements is None:
            # The elements' bytes come from the checkpoint's cache (repacking only what changed
            # since): a 7 MB board's welcome costs the loop a few ms instead of 360.
            # Its pieces: a header, one per element in stacking order, then the first-adds.
            self._elements, self._count = packed_elements(doc)
            self._first = Packed(pack(doc.stacking()[1]))  # C-level loops: a few ms
            self._gone = Packed(pack(doc.gone()))
        return protocol.welcome_parts(
            board=self.board_id,
            me=session.client_id,
            color=session.color,
            seq=doc.seq,
            peers=peers,
            elements=self._elements if ops is None else None,
            ops=ops,
            limits=self.limits,
            readonly=session.readonly,
            token=session.token,
            first=self._first if ops is None else None,
            gone=self._gone if ops is None else None,
            count=self._count,
        )
