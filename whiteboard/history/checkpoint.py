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

from whiteboard.codec import array_header, map_header, pack
from whiteboard.document import Document
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

    __slots__ = ("elements", "firsts", "gone")

    def __init__(self) -> None:
        self.elements: dict[str, bytes] = {}
        self.firsts: dict[str, bytes] = {}
        """Each live id's packed ``id: first-add seq`` pair of the ``first`` map."""
        self.gone: dict[str, int] = {}
        """Deleted ids whose first-add seq no checkpoint has handed to the store yet."""

    def parts(self, doc: Document) -> tuple[list[bytes], list[tuple[str, int]]]:
        """``msgpack(doc.to_state())`` as immutable pieces, and the first-add seqs of the ids
        deleted since the last call (``Checkpoint.firsts``).

        The pieces' concatenation is byte for byte what packing ``to_state()`` gives: the
        header up to the elements' array header, one piece per element in stacking order,
        ``"first"`` and its map header, then one piece per element's pair in the same order.
        The cost on the caller's thread is the changes plus two pointers per element. The
        pieces share nothing mutable with the document, so they can be joined anywhere.
        """
        elements, firsts, gone = self.elements, self.firsts, self.gone
        for id in doc.take_changes():
            el = doc.get(id)
            first = doc.first_seq(id)
            assert first is not None
            if el is None:
                elements.pop(id, None)
                firsts.pop(id, None)
                gone[id] = first
            else:
                elements[id] = pack(el)
                if id not in firsts:
                    firsts[id] = pack(id) + pack(first)
        self.gone = {}
        order = doc.order()
        header = b"".join((_STATE_HEAD, pack(doc.seq), _ELEMENTS_KEY, array_header(len(order))))
        parts = [header]
        parts.extend(map(elements.__getitem__, order))
        parts.append(_FIRST_KEY + map_header(len(order)))
        parts.extend(map(firsts.__getitem__, order))
        return parts, list(gone.items())


_caches: weakref.WeakKeyDictionary[Document, PackedState] = weakref.WeakKeyDictionary()


def _cache(doc: Document) -> PackedState:
    cache = _caches.get(doc)
    if cache is None:
        cache = _caches[doc] = PackedState()
    return cache


def packed_parts(doc: Document) -> list[bytes]:
    """The document's state as pieces (``PackedState.parts``), from its cache. The deleted
    ids it hands over are kept for the next checkpoint (``take`` and ``build`` take them)."""
    cache = _cache(doc)
    parts, gone = cache.parts(doc)
    cache.gone.update(gone)
    return parts


async def take(doc: Document) -> Checkpoint:
    """The checkpoint of ``doc`` as it is now: later ops do not reach it."""
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
    for _ in range(unpacker.read_map_header()):
        key = unpack()
        if key == "elements":
            elements = []
            for _ in range(unpacker.read_array_header()):
                start = tell()
                elements.append(unpack())
                slices.append(packed[start : tell()])
            state[key] = elements
        else:
            state[key] = unpack()
    if unpacker.tell() != len(packed):
        raise ValueError("checkpoint has bytes after the state")
    doc = Document.from_state(state, limits)
    doc.take_changes()  # everything is in the cache below
    cache = _caches[doc] = PackedState()
    cache.elements = {e["id"]: b for e, b in zip(state["elements"], slices, strict=True)}
    cache.firsts = {id: pack(id) + pack(doc.first_seq(id)) for id in cache.elements}
    cache.gone = {id: first for id, first in doc.gone()}
    return doc
