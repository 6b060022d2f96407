"""The ``welcome`` a joining client gets: the board as the others have just seen it, or only
the ops it missed when it comes back with ``since`` and the resume buffer still holds them."""

from __future__ import annotations

from typing import Any

from whiteboard import protocol
from whiteboard.codec import array_header
from whiteboard.document import Document
from whiteboard.history.checkpoint import packed_parts
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
        self._elements: bytes | None = None  # the elements' msgpack array
        self._first: list[int] = []
        self._gone: list[list[Any]] = []

    def encode(self, session: Session, since: int | None, peers: list[dict[str, Any]]) -> bytes:
        doc = self.doc
        ops = self.recent.ops_since(since, doc.seq) if since is not None else None
        if ops is None and self._elements is None:
            # The elements' bytes come from the checkpoint's cache (repacking only what changed
            # since): a 7 MB board's welcome costs the loop a few ms instead of 360.
            parts = packed_parts(doc)
            self._elements = b"".join((array_header(len(parts) - 2), *parts[1:-1]))
            self._first = doc.stacking()[1]  # C-level loops: a few ms for 100,000 elements
            self._gone = doc.gone()
        return protocol.encode_welcome(
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
        )
