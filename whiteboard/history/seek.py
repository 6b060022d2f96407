"""``GET /api/boards/{board}?at=S`` as msgpack, built from the checkpoint's bytes.

The plain way (``history.state_at``, then encode) decodes the whole checkpoint into Python
objects and encodes them all again: on a board of a million pen ops that is millions of point
values and about half a second per seek, far too slow for a history slider. Yet the state at S
differs from the checkpoint before it only in the elements that the ops in between touch. So:

1. read the checkpoint, its layout index (``layout.py``) and the ops up to S;
2. decode only the checkpoint elements those ops touch, and replay the ops on a small
   ``Document`` holding just them (the log only holds ops a full Document accepted, so they
   replay the same on the part they touch);
3. answer with the untouched elements' bytes copied as they are, and the touched ones encoded,
   each placed by its stacking key among the others (a binary search on the index's keys).

The bytes are exactly those of the plain way (same maps, same key order, same encoder); the
tests compare both at every S. Without an index (a store that keeps none) the plain way runs.
"""

from __future__ import annotations

import asyncio
import bisect
from typing import Any

import msgpack

from whiteboard.codec import pack as _pack
from whiteboard.codec import packer as new_packer
from whiteboard.codec import row_ops
from whiteboard.document import Document
from whiteboard.history import state as history
from whiteboard.history.layout import Layout, load
from whiteboard.protocol import Limits
from whiteboard.store.base import Checkpoint, LogRow, Store


async def snapshot_msgpack(store: Store, board: str, at: int, limits: Limits) -> bytes:
    """The msgpack of ``{board, seq: at, elements}``, the state after op ``at``."""
    cp = await store.checkpoint_at_or_before(board, at) if at > 0 else None
    index = await store.checkpoint_layout(board, cp.seq) if cp is not None else None
    base = cp.seq if cp is not None else 0
    rows = await store.read_log(board, base, at) if at > base else []
    # Tens of milliseconds of CPU on a long board: a thread keeps the boards' ticks flowing.
    loop = asyncio.get_running_loop()
    sops = await loop.run_in_executor(None, _sops, rows, base, at)
    if cp is not None and sops:
        added = [sop["e"]["id"] for sop in sops if sop["k"] == "add"]
        cp = await history.with_firsts(store, board, cp, added)
    return await loop.run_in_executor(None, _build, board, at, cp, index, sops, limits)


def _sops(rows: list[LogRow], base: int, at: int) -> list[dict[str, Any]]:
    return [sop for row in rows for sop in row_ops(row, base, at)]


def _build(
    board: str,
    at: int,
    cp: Checkpoint | None,
    index: bytes | None,
    sops: list[dict[str, Any]],
    limits: Limits,
) -> bytes:
    found = load(index) if cp is not None and index is not None else None
    if cp is None or found is None:
        doc = history.replay(cp, sops, limits)
        return _pack({"board": board, "seq": at, "elements": doc.elements()})
    return _splice(board, at, cp, found, sops, limits)


def _splice(
    board: str, at: int, cp: Checkpoint, lay: Layout, sops: list[dict[str, Any]], limits: Limits
) -> bytes:
    spliced = splice(cp, lay, sops, limits)
    return b"".join([_pack_header(board, at, spliced.count), *spliced.parts])


class Spliced:
    """A state's elements, spliced from a checkpoint's bytes and the ops after it: their bytes
    in stacking order (``parts``, joined they are the body of the ``elements`` array), how many,
    and for a ``welcome`` (``with_firsts``) each one's first-add seq in the same order and the
    ``[id, first-add seq]`` of every id added before and not live now (``Document.gone``)."""

    __slots__ = ("count", "firsts", "gone", "parts")

    def __init__(self, parts: list[bytes | memoryview], count: int) -> None:
        self.parts = parts
        self.count = count
        self.firsts: list[int] = []
        self.gone: list[list[Any]] = []


def splice(
    cp: Checkpoint,
    lay: Layout,
    sops: list[dict[str, Any]],
    limits: Limits,
    with_firsts: bool = False,
) -> Spliced:
    """The elements after ``sops`` (the ops that follow ``cp``), from ``cp``'s bytes: ``?at=``
    answers with them, and a big board's first welcome is made of them while it decodes
    (``live/opening.py``)."""
    state = memoryview(cp.state)
    offsets = lay.offsets
    position = {id: i for i, id in enumerate(lay.ids)} if sops or with_firsts else {}
    touched = sorted({i for id in _ids_of(sops) if (i := position.get(id)) is not None})
    # The touched elements as they were, and every id's first add (re-adds keep their place):
    # the live ones' from the checkpoint, the deleted ones' recorded beside it.
    start, end = lay.first_span
    part = Document.from_state(
        {
            "seq": cp.seq,
            "elements": [msgpack.unpackb(state[offsets[i] : offsets[i + 1]]) for i in touched],
            "first": msgpack.unpackb(state[start:end]) if position else {},
        },
        limits,
    )
    part.know_firsts(dict(cp.firsts))
    for sop in sops:
        part.apply_sop(sop)
    # Where each touched element goes now: before the first untouched one with a higher key.
    keys = _Keys(lay)
    inserts = []
    for e in part.elements():
        first = part.first_seq(e["id"])
        assert first is not None
        where = bisect.bisect_left(keys, (e.get("z", first), first))
        inserts.append((where, _pack(e), first))
    # Then copy the untouched elements between the cuts (a touched one's old place, a new
    # place) as runs of contiguous bytes, and the touched ones' new bytes at their places.
    cuts = sorted(
        [(where, 0, n, packed, first) for n, (where, packed, first) in enumerate(inserts)]
        + [(i, 1, 0, b"", 0) for i in touched]
    )
    total = len(lay.ids)
    out = Spliced([], total - len(touched) + len(inserts))
    parts, firsts = out.parts, out.firsts
    run = 0
    for where, kind, _, packed, first in cuts:
        if run < where:
            parts.append(state[offsets[run] : offsets[where]])
            if with_firsts:
                firsts += lay.firsts[run:where]
            run = where
        if kind == 0:
            parts.append(packed)
            if with_firsts:
                firsts.append(first)
        else:
            run = where + 1
    if run < total:
        parts.append(state[offsets[run] : offsets[total]])
        if with_firsts:
            firsts += lay.firsts[run:total]
    if with_firsts:
        out.gone = _gone(part, set(touched), position)
    return out


def _gone(part: Document, touched: set[int], position: dict[str, int]) -> list[list[Any]]:
    """``Document.gone`` of the spliced state: ids whose first add is known (from the
    checkpoint's ``first`` map, the store's record beside it, the ops) and that are live neither
    among the touched elements nor among the untouched ones."""
    return [[id, s] for id, s in part.gone() if (i := position.get(id)) is None or i in touched]


class _Keys:
    """The index's stacking keys as a sequence ``bisect`` can search (they are sorted, since
    checkpoints list elements in stacking order)."""

    def __init__(self, lay: Layout) -> None:
        self.lay = lay

    def __len__(self) -> int:
        return len(self.lay.ids)

    def __getitem__(self, i: int) -> tuple[float, int]:
        return self.lay.key(i)


def _ids_of(sops: list[dict[str, Any]]) -> set[str]:
    ids: set[str] = set()
    for sop in sops:
        k = sop["k"]
        if k == "add":
            ids.add(sop["e"]["id"])
        elif k == "delete":
            ids.update(sop["ids"])
        else:
            ids.add(sop["id"])
    return ids


def _pack_header(board: str, at: int, count: int) -> bytes:
    packer = new_packer()
    return b"".join(
        (
            packer.pack_map_header(3),
            packer.pack("board"),
            packer.pack(board),
            packer.pack("seq"),
            packer.pack(at),
            packer.pack("elements"),
            packer.pack_array_header(count),
        )
    )
