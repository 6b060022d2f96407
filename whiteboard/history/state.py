"""The state of a board at any sequence number.

A state at ``S`` costs one checkpoint read plus the ops between that checkpoint and ``S``
(fewer than ``checkpoint_every``), never a replay from the start.
"""

from __future__ import annotations

from typing import Any

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
    the CPU half can run off the loop (``web/heavy.py``)."""
    if at <= 0:
        return None, []
    cp = await store.checkpoint_at_or_before(board, at)
    base = cp.seq if cp is not None else 0
    rows = await store.read_log(board, base, at) if base < at else []
    return cp, rows


def replay_rows(cp: Checkpoint | None, rows: list[LogRow], at: int, limits: Limits) -> Document:
    if at <= 0:
        return Document(limits)
    base = cp.seq if cp is not None else 0
    return replay(cp, [sop for row in rows for sop in row_ops(row, base, at)], limits)


def replay(cp: Checkpoint | None, sops: list[dict[str, Any]], limits: Limits) -> Document:
    """The checkpoint's document (empty without one) advanced by ``sops``, which follow it."""
    doc = checkpoint.load(cp.state, limits) if cp else Document(limits)
    for sop in sops:
        doc.apply_sop(sop)
    return doc
