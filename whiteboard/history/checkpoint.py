"""Checkpoints: a board's state as stored bytes, written without stalling the IOLoop.

A checkpoint is ``msgpack(Document.to_state())`` plus its layout index (``layout.py``). Built
the plain way on a big board that is a long stretch of packing on the loop, then parsing for
the index in a thread that holds the GIL (and so stalls the loop as much; figures in
docs/scaling.md, "Figures behind the design"). Here the loop
only takes what it must while the document is stable (the elements changed since the last
checkpoint, packed; pointers to every other element's cached bytes; the stacking keys), and a
worker thread joins the bytes (``bytes.join`` of megabytes releases the GIL) and packs the index.

The cache of packed elements lives here, beside the document it describes (``_caches``, keyed
weakly by the document, so it goes when the document goes): the Document records which ids
changed and knows nothing of encodings.
"""

from __future__ import annotations

import asyncio
import weakref
from typing import Any

import msgpack

from whiteboard import gil
from whiteboard.codec import Pieces, array_header, map_header, pack
from whiteboard.document import Document
from whiteboard.elements import copy_element
from whiteboard.history import layout
from whiteboard.protocol import Limits
from whiteboard.store.base import Checkpoint

_STATE_HEAD = map_header(3) + pack("seq")
_ELEMENTS_KEY = pack("elements")
_FIRST_KEY = pack("first")


class PackedState:
    """Each live element's msgpack bytes and its ``first`` map pair, kept current from one
    checkpoint to the next by repacking only what the document says changed; and the first-add
    seqs of the ids deleted since the last checkpoint, which it hands to the store once."""

    __slots__ = (
        "bytes",
        "elements",
        "firsts",
        "generation",
        "gone",
        "joined",
        "pending",
        "refreshing",
    )

    def __init__(self) -> None:
        self.elements: dict[str, bytes] = {}
        self.bytes = 0
        """What ``elements`` and ``firsts`` hold: about the board's size on the wire, as much
        again as its Document, which the memory budget counts (``held_bytes``)."""
        self.firsts: dict[str, bytes] = {}
        """Each live id's packed ``id: first-add seq`` pair of the ``first`` map."""
        self.gone: dict[str, int] = {}
        """Deleted ids whose first-add seq no checkpoint has handed to the store yet."""
        self.pending: set[str] = set()
        """Ids a ``refresh`` is packing in a thread; their bytes here are stale until it ends."""
        self.generation = 0
        """Bumped when ``parts`` packs the pending ids itself: the refresh's result is void."""
        self.joined: tuple[int, bytes, int] | None = None
        """``packed_elements``'s answer and the seq it holds for."""
        self.refreshing: asyncio.Future[None] | None = None
        """The refresh in flight: later joiners wait for it rather than pack on the loop."""

    def parts(self, doc: Document) -> tuple[list[bytes], list[tuple[str, int]]]:
        """``msgpack(doc.to_state())`` as immutable pieces, and the first-add seqs of the ids
        deleted since the last call (``Checkpoint.firsts``).

        The pieces' concatenation is byte for byte what packing ``to_state()`` gives: the
        header up to the elements' array header, one piece per element in stacking order,
        ``"first"`` and its map header, then one piece per element's pair in the same order.
        The cost on the caller's thread is the changes plus two pointers per element. The
        pieces share nothing mutable with the document, so they can be joined anywhere.
        """
        elements = self.elements
        changes = doc.take_changes()
        if self.pending:  # a refresh is packing these: packed here instead, its result dropped
            changes |= self.pending
            self.pending = set()
            self.generation += 1
        for id in self._note(doc, changes):
            self._put(id, pack(doc.get(id)))
        gone, self.gone = self.gone, {}
        order = doc.order()
        header = b"".join((_STATE_HEAD, pack(doc.seq), _ELEMENTS_KEY, array_header(len(order))))
        parts = [header]
        parts.extend(map(elements.__getitem__, order))
        parts.append(_FIRST_KEY + map_header(len(order)))
        parts.extend(map(self.firsts.__getitem__, order))
        return parts, list(gone.items())

    def _note(self, doc: Document, changes: set[str]) -> list[str]:
        """Forget the deleted ones among ``changes`` (their first-add seqs go to ``gone``),
        give new ones their ``first`` pair; answer the live ones, whose bytes are now stale."""
        elements, firsts, gone = self.elements, self.firsts, self.gone
        live = []
        for id in changes:
            first = doc.first_seq(id)
            assert first is not None
            if doc.get(id) is None:
                self.bytes -= len(elements.pop(id, b"")) + len(firsts.pop(id, b""))
                gone[id] = first
            else:
                live.append(id)
                if id not in firsts:
                    pair = firsts[id] = pack(id) + pack(first)
                    self.bytes += len(pair)
        return live

    def _put(self, id: str, packed: bytes) -> None:
        self.bytes += len(packed) - len(self.elements.get(id, b""))
        self.elements[id] = packed


_caches: weakref.WeakKeyDictionary[Document, PackedState] = weakref.WeakKeyDictionary()


def _cache(doc: Document) -> PackedState:
    cache = _caches.get(doc)
    if cache is None:
        cache = _caches[doc] = PackedState()
    return cache


def held_bytes(doc: Document) -> tuple[int, int]:
    """The bytes the document's packed cache holds: its elements and their first-add pairs,
    and the welcome's joined array (apart: a slow joiner's unsent welcome is those same bytes,
    held by reference). Memory the budget counts beside ``Document.mem``."""
    cache = _caches.get(doc)
    if cache is None:
        return 0, 0
    return cache.bytes, len(cache.joined[1]) if cache.joined is not None else 0


def packed_parts(doc: Document) -> list[bytes]:
    """The document's state as pieces (``PackedState.parts``), from its cache. The deleted
    ids it hands over are kept for the next checkpoint (``take`` and ``build`` take them)."""
    cache = _cache(doc)
    parts, gone = cache.parts(doc)
    cache.gone.update(gone)
    return parts


REFRESH_FROM = 64
"""Changed elements from which ``refresh`` packs in a thread: fewer cost the loop less than the
hop to a thread and back."""
JOIN_OFF_LOOP_FROM = 4 << 20
"""A document's estimated bytes (``Document.mem``) from which ``refresh`` joins the welcome's
elements in a thread."""


async def refresh(doc: Document, whole: bool = True) -> None:
    """Pack the elements changed since the cache last looked, in a thread: what the next
    welcome listing the elements, or the next checkpoint, would otherwise pack on the loop (a
    board of 1,000 new 10,000-point pens: 0.47 s, every board of the process frozen). With
    ``whole``, a big board's welcome array is joined there too (``packed_elements``); a joiner
    that resumes from the recent ops gets no elements and does not ask for it.

    The loop copies the changed elements (``copy_element``: a memcpy of each pen's points),
    so the document goes on changing while the thread packs; what changes meanwhile is marked
    changed again by the document and packed by the next call. If ``parts`` runs before the
    thread is done, it packs the pending ids itself and this result is dropped.
    """
    cache = _cache(doc)
    if cache.refreshing is not None:
        await asyncio.shield(cache.refreshing)
        return
    join = whole and doc.mem >= JOIN_OFF_LOOP_FROM
    stale = cache.joined is None or cache.joined[0] != doc.seq
    if doc.changed() < REFRESH_FROM and not (stale and join):
        return
    cache.refreshing = asyncio.get_running_loop().create_future()
    try:
        await _refresh(doc, cache, join)
    finally:
        cache.refreshing.set_result(None)
        cache.refreshing = None


async def _refresh(doc: Document, cache: PackedState, join: bool) -> None:
    loop = asyncio.get_running_loop()
    changes = doc.take_changes()
    if changes:
        live = cache._note(doc, changes)
        cache.pending = set(live)
        generation = cache.generation
        copies = [(id, copy_element(el)) for id in live if (el := doc.get(id)) is not None]
        packed = await loop.run_in_executor(None, _pack_each, copies)
        if cache.generation != generation:
            return
        for id, element in packed:
            cache._put(id, element)
        cache.pending = set()
    if doc.changed() or not join:
        return
    # Nothing changed meanwhile: the welcome's array, joined where a copy of megabytes does
    # not hold the loop (bytes.join lets go of the GIL).
    seq, parts = doc.seq, packed_parts(doc)
    joined, n = await loop.run_in_executor(None, _elements_array, parts)
    if doc.seq == seq:
        cache.joined = seq, joined, n


def _pack_each(copies: list[tuple[str, dict[str, Any]]]) -> list[tuple[str, bytes]]:
    # The GIL is offered back after every element (whiteboard/gil.py): otherwise a round trip
    # of a few syscalls on another board took 100-450 ms instead of 1.
    out = []
    with gil.offering():
        for id, el in copies:
            out.append((id, pack(el)))
            gil.offer()
    return out


def packed_elements(doc: Document) -> tuple[Pieces, int]:
    """The live elements as one packed array in stacking order (a welcome's ``elements``), and
    how many. Joined once per state of the document (``refresh`` joins it in a thread): the
    joiners of later ticks share it until the board changes (twenty joiners of a 50 MB board
    over five ticks copied 500 MB on the loop)."""
    cache = _cache(doc)
    if cache.joined is None or cache.joined[0] != doc.seq:
        cache.joined = doc.seq, *_elements_array(packed_parts(doc))
    return Pieces((cache.joined[1],)), cache.joined[2]


def _elements_array(parts: list[bytes]) -> tuple[bytes, int]:
    n = len(parts) // 2 - 1  # parts: header, n elements, first's head, n first pairs
    return b"".join((array_header(n), *parts[1 : 1 + n])), n


async def take(doc: Document) -> Checkpoint:
    """The checkpoint of ``doc`` as it is now: later ops do not reach it. (No ``refresh``
    first: the caller stores it with the row that ends at ``doc.seq`` now, not after an await.)"""
    seq = doc.seq
    parts, gone = _cache(doc).parts(doc)
    ids, firsts, z = doc.stacking()
    state, index = await asyncio.get_running_loop().run_in_executor(
        None, _finish, parts, ids, firsts, z
    )
    return Checkpoint(seq, state, index, tuple(gone))


def build(doc: Document) -> Checkpoint:
    """``take`` on the caller's thread (a board built in a worker thread: fork, import)."""
    parts, gone = _cache(doc).parts(doc)
    state, index = _finish(parts, *doc.stacking())
    return Checkpoint(doc.seq, state, index, tuple(gone))


def _finish(
    parts: list[bytes], ids: list[str], firsts: list[int], z: list[list[Any]]
) -> tuple[bytes, bytes]:
    return b"".join(parts), layout.from_parts(parts, ids, firsts, z)


def load(packed: bytes, limits: Limits) -> Document:
    """``Document.from_state(msgpack.unpackb(packed))``, keeping each element's bytes as its
    packed cache, so that a board loaded from a checkpoint writes its next one as cheaply as a
    board that never left memory.

    A checkpoint written before deleted ids' first-add seqs were kept apart lists them in its
    ``first`` map: they are owed to the store, and the next checkpoint hands them over.
    """
    unpacker = msgpack.Unpacker(raw=False, max_buffer_size=max(1, len(packed)))
    unpacker.feed(packed)
    tell, unpack = unpacker.tell, unpacker.unpack
    state: dict[str, Any] = {}
    slices: list[bytes] = []
    pairs: dict[str, bytes] = {}
    for _ in range(unpacker.read_map_header()):
        key = unpack()
        if key == "elements":
            elements = []
            for _ in range(unpacker.read_array_header()):
                start = tell()
                elements.append(unpack())
                slices.append(packed[start : tell()])
                if not len(slices) % 8:
                    gil.offer()  # a board loading in a thread: the loop gets its turns
            state[key] = elements
        elif key == "first":
            state[key], pairs = _first_map(unpacker, packed)
        else:
            state[key] = unpack()
    if unpacker.tell() != len(packed):
        raise ValueError("checkpoint has bytes after the state")
    doc = Document.from_state(state, limits, fresh=True)
    doc.take_changes()  # everything is in the cache below
    cache = _caches[doc] = PackedState()
    cache.elements = {e["id"]: b for e, b in zip(state["elements"], slices, strict=True)}
    firsts = cache.firsts = {}
    held = sum(map(len, slices))
    for id in cache.elements:
        pair = pairs.get(id)
        if pair is None:
            pair = pack(id) + pack(doc.first_seq(id))
        firsts[id] = pair
        held += len(pair)
    cache.bytes = held
    cache.gone = {id: first for id, first in doc.gone()}
    return doc


def _first_map(
    unpacker: msgpack.Unpacker, packed: bytes
) -> tuple[dict[Any, Any], dict[str, bytes]]:
    """The ``first`` map, and each of its pairs' bytes by id: the cache's ``first`` pairs are
    those bytes, cut out rather than packed again (100,000 of them: a tenth of a load). A pair
    whose key or value is not what ``pack`` would give for a live id is left to be packed."""
    tell, unpack = unpacker.tell, unpacker.unpack
    first: dict[Any, Any] = {}
    pairs: dict[str, bytes] = {}
    for n in range(unpacker.read_map_header()):
        start = tell()
        key = unpack()
        value = first[key] = unpack()
        if type(key) is str and type(value) is int:
            pairs[key] = packed[start : tell()]
        if not n % 64:
            gil.offer()
    return first, pairs
