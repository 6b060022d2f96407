"""The state of a board at any sequence number.

A state at ``S`` costs one checkpoint read plus the ops between that checkpoint and ``S``
(fewer than ``checkpoint_every``), never a replay from the start.
"""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

from whiteboard import gil
from whiteboard.codec import row_ops
from whiteboard.document import Document
from whiteboard.history import checkpoint
from whiteboard.protocol import Limits
from whiteboard.store.base import Checkpoint, LogRow, Store


async def state_at(store: Store, board: str, at: int, limits: Limits) -> Document:
    """The document after op ``at`` (0 is the empty board)."""
    cp, rows = await state_inputs(store, board, at)
    return replay_rows(cp, rows, at, limits)


async def state_inputs(store: Store, board: str, at: int) -> tuple[Checkpoint | None, list[LogRow]]:
    """What ``replay_rows`` needs for the state at ``at``: the I/O half of ``state_at``, so that
    the CPU half can run off the loop (``web/heavy.py``). The checkpoint comes with the
    first-add seqs of the ids the rows re-add (``with_firsts``)."""
    if at <= 0:
        return None, []
    cp = await store.checkpoint_at_or_before(board, at)
    base = cp.seq if cp is not None else 0
    rows = await store.read_log(board, base, at) if base < at else []
    if cp is not None and rows:
        added = await asyncio.get_running_loop().run_in_executor(None, _added_ids, rows, base, at)
        cp = await with_firsts(store, board, cp, added)
    return cp, rows


async def with_firsts(store: Store, board: str, cp: Checkpoint, added: list[str]) -> Checkpoint:
    """``cp`` with the recorded first-add seqs of those of ``added`` deleted before it: the
    checkpoint lists live ids only, and an op after it that adds one of those ids again must
    stack it at its first add, as the live board did."""
    firsts = await store.first_adds(board, added, cp.seq) if added else {}
    return dataclasses.replace(cp, firsts=tuple(firsts.items()))


def _added_ids(rows: list[LogRow], base: int, at: int) -> list[str]:
    return [sop["e"]["id"] for row in rows for sop in row_ops(row, base, at) if sop["k"] == "add"]


def replay_rows(cp: Checkpoint | None, rows: list[LogRow], at: int, limits: Limits) -> Document:
    if at <= 0:
        return Document(limits)
    base = cp.seq if cp is not None else 0
    return replay(cp, [sop for row in rows for sop in row_ops(row, base, at)], limits)


def replay(cp: Checkpoint | None, sops: list[dict[str, Any]], limits: Limits) -> Document:
    """The checkpoint's document (empty without one) advanced by ``sops``, which follow it.
    ``cp.firsts`` must hold the first-add seqs of the ids ``sops`` add again (``with_firsts``)."""
    doc = Document(limits)
    if cp is not None:
        doc = checkpoint.load(cp.state, limits)
        doc.know_firsts(dict(cp.firsts))
    for n, sop in enumerate(sops, 1):
        doc.apply_sop(sop)
        if not n % 16:
            gil.offer()  # a board loading in a thread: the loop gets its turns
    return doc
