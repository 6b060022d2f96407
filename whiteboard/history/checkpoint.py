"""Writing a board's checkpoint without stalling the IOLoop, whatever the board's size.

A checkpoint is ``msgpack(Document.to_state())`` plus its layout index (``layout.py``). Built
the plain way on a 7 MB board that is ~200 ms of packing on the loop, then ~50 ms of parsing
for the index in a thread that holds the GIL (and so stalls the loop as much). Here the loop
only takes what it must while the document is stable (the elements changed since the last
checkpoint, packed; pointers to every other element's cached bytes; the stacking keys), and a
worker thread joins the bytes (``bytes.join`` of megabytes releases the GIL) and packs the index.
"""

from __future__ import annotations

import asyncio
from typing import Any

from whiteboard.document import Document
from whiteboard.history import layout
from whiteboard.store.base import Checkpoint


async def take(doc: Document) -> Checkpoint:
    """The checkpoint of ``doc`` as it is now: later ops do not reach it."""
    seq = doc.seq
    parts = doc.packed_parts()
    ids, firsts, z = doc.stacking()
    state, index = await asyncio.get_running_loop().run_in_executor(
        None, _finish, parts, ids, firsts, z
    )
    return Checkpoint(seq, state, index)


def _finish(
    parts: list[bytes], ids: list[str], firsts: list[int], z: list[list[Any]]
) -> tuple[bytes, bytes]:
    return b"".join(parts), layout.from_parts(parts, ids, firsts, z)
