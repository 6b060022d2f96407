"""The past of a board: its state at any sequence number, and the log page by page.

A state at ``S`` costs one checkpoint read plus the ops between that checkpoint and ``S``
(fewer than ``checkpoint_every``), never a replay from the start.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
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


@dataclass
class OpsPage:
    """One page of the log: the ops (each with its ``ts``), the ``after`` of the next page (None
    at the head), and the names of the page's authors.

    Names travel with the page because a history view shows who drew each op as it plays: one
    lookup per page costs nothing, one per author per op would be a request storm.
    """

    ops: list[dict[str, Any]]
    next: int | None
    names: dict[str, str]

    def body(self) -> dict[str, Any]:
        """The API answer. Names are keyed by the client id as a string: JSON keys are strings,
        and msgpack answers use the same keys so a client decodes both the same way."""
        return {"ops": self.ops, "next": self.next, "names": self.names}


async def ops_page(store: Store, board: str, after: int, limit: int, head: int) -> OpsPage:
    """Up to ``limit`` ops after ``after``, each with its ``ts``."""
    out: list[dict[str, Any]] = []
    for row in await store.read_log_page(board, after, limit):
        sops = msgpack.unpackb(row.ops)
        if row.first_seq <= after or len(out) + len(sops) > limit:
            sops = [sop for sop in sops if sop["s"] > after][: limit - len(out)]
        ts = row.ts
        for sop in sops:
            sop["ts"] = ts
        out += sops
    last = out[-1]["s"] if out else after
    names = await store.client_names(board, list({sop["by"] for sop in out}))
    return OpsPage(out, last if last < head else None, {str(i): n for i, n in names.items()})


async def iter_ops(
    store: Store, board: str, upto: int, batch: int = 10_000
) -> AsyncIterator[list[dict[str, Any]]]:
    """Ops 1..``upto`` with their ``ts``, in batches, so that an export of a long board never
    holds its whole log in memory at once."""
    after = 0
    while after < upto:
        rows = await store.read_log_page(board, after, min(batch, upto - after))
        out: list[dict[str, Any]] = []
        for row in rows:
            for sop in msgpack.unpackb(row.ops):
                if after < sop["s"] <= upto:
                    sop["ts"] = row.ts
                    out.append(sop)
        if not out:
            raise ValueError(f"the log of {board!r} has no op {after + 1}")
        after = out[-1]["s"]
        yield out
