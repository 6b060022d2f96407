"""The past of a board: its state at any sequence number, and the log page by page.

A state at ``S`` costs one checkpoint read plus the ops between that checkpoint and ``S``
(fewer than ``checkpoint_every``), never a replay from the start.
"""

from __future__ import annotations

from typing import Any

import msgpack

from whiteboard.document import Document
from whiteboard.protocol import Limits
from whiteboard.store.base import Store


async def state_at(store: Store, board: str, at: int, limits: Limits) -> Document:
    """The document after op ``at`` (0 is the empty board)."""
    doc = Document(limits)
    if at <= 0:
        return doc
    cp = await store.checkpoint_at_or_before(board, at)
    if cp is not None:
        doc = Document.from_state(msgpack.unpackb(cp.state), limits)
    if doc.seq >= at:
        return doc
    for row in await store.read_log(board, doc.seq, at):
        for sop in msgpack.unpackb(row.ops):
            s = sop["s"]
            if doc.seq < s <= at:
                doc.apply_sop(sop)
    return doc


async def ops_page(
    store: Store, board: str, after: int, limit: int, head: int
) -> tuple[list[dict[str, Any]], int | None]:
    """Up to ``limit`` ops after ``after``, each with its ``ts``; and the ``after`` of the next
    page, or None when this page reaches ``head``."""
    out: list[dict[str, Any]] = []
    for row in await store.read_log_page(board, after, limit):
        for sop in msgpack.unpackb(row.ops):
            if sop["s"] > after and len(out) < limit:
                sop["ts"] = row.ts
                out.append(sop)
    last = out[-1]["s"] if out else after
    return out, (last if last < head else None)
