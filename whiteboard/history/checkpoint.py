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
    """Each live element's msgpack bytes, and the ``first`` map's packed pairs, kept current
    from one checkpoint to the next by repacking only what the document says changed."""

    __slots__ = ("elements", "first_pairs")

    def __init__(self) -> None:
        self.elements: dict[str, bytes] = {}
        self.first_pairs = bytearray()
        """The ``first`` map's key/value pairs packed, in the document's ``first`` order."""

    def parts(self, doc: Document) -> list[bytes]:
        """``msgpack(doc.to_state())`` as immutable pieces: their concatenation is byte for
        byte what packing ``to_state()`` gives. The pieces are the header up to the elements'
        array header, one piece per element in stacking order, then ``"first"`` and its map.

        The cost on the caller's thread is the changes plus one pointer per element. The
        pieces share nothing mutable with the document, so they can be joined anywhere.
        """
        changed, new_first = doc.take_changes()
        elements = self.elements
        for id in changed:
            el = doc.get(id)
            if el is None:
                elements.pop(id, None)
            else:
                elements[id] = pack(el)
        if new_first:
            pairs = pack({id: doc.first_seq(id) for id in new_first})
            self.first_pairs += pairs[len(map_header(len(new_first))) :]
        order = doc.order()
        header = b"".join((_STATE_HEAD, pack(doc.seq), _ELEMENTS_KEY, array_header(len(order))))
        tail = b"".join((_FIRST_KEY, map_header(doc.first_count), self.first_pairs))
        parts = [header]
        parts.extend(map(elements.__getitem__, order))
        parts.append(tail)
        return parts


_caches: weakref.WeakKeyDictionary[Document, PackedState] = weakref.WeakKeyDictionary()


def packed_parts(doc: Document) -> list[bytes]:
    """The document's state as pieces (``PackedState.parts``), from its cache."""
    cache = _caches.get(doc)
    if cache is None:
        cache = _caches[doc] = PackedState()
    return cache.parts(doc)


async def take(doc: Document) -> Checkpoint:
    """The checkpoint of ``doc`` as it is now: later ops do not reach it."""
    seq = doc.seq
    parts = packed_parts(doc)
    ids, firsts, z = doc.stacking()
    state, index = await asyncio.get_running_loop().run_in_executor(
        None, _finish, parts, ids, firsts, z
    )
    return Checkpoint(seq, state, index)


def _finish(
    parts: list[bytes], ids: list[str], firsts: list[int], z: list[list[Any]]
) -> tuple[bytes, bytes]:
    return b"".join(parts), layout.from_parts(parts, ids, firsts, z)


def load(packed: bytes, limits: Limits) -> Document:
    """``Document.from_state(msgpack.unpackb(packed))``, keeping each element's bytes as its
    packed cache, so that a board loaded from a checkpoint writes its next one as cheaply as a
    board that never left memory."""
    unpacker = msgpack.Unpacker(raw=False, max_buffer_size=max(1, len(packed)))
    unpacker.feed(packed)
    tell, unpack = unpacker.tell, unpacker.unpack
    state: dict[str, Any] = {}
    slices: list[bytes] = []
    first_pairs = b""
    for _ in range(unpacker.read_map_header()):
        key = unpack()
        if key == "elements":
            elements = []
            for _ in range(unpacker.read_array_header()):
                start = tell()
                elements.append(unpack())
                slices.append(packed[start : tell()])
            state[key] = elements
        elif key == "first":
            start = tell()
            state[key] = unpack()
            first_pairs = packed[start : tell()]
        else:
            state[key] = unpack()
    if unpacker.tell() != len(packed):
        raise ValueError("checkpoint has bytes after the state")
    doc = Document.from_state(state, limits)
    doc.take_changes()  # everything is in the cache below
    cache = _caches[doc] = PackedState()
    cache.elements = {e["id"]: b for e, b in zip(state["elements"], slices, strict=True)}
    head = map_header(doc.first_count)
    first = state["first"]
    if first_pairs.startswith(head) and all(
        type(k) is str and type(v) is int for k, v in first.items()
    ):
        cache.first_pairs = bytearray(first_pairs[len(head) :])
    else:  # not our own packing (an old or foreign checkpoint): pack the map our way once
        pairs = pack({str(k): int(v) for k, v in first.items()})
        cache.first_pairs = bytearray(pairs[len(map_header(len(first))) :])
    return doc
