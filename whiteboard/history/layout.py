"""Where each element sits inside a checkpoint's bytes: the index that lets ``?at=`` answer
without decoding the whole state.

A checkpoint is ``msgpack(Document.to_state())``: ``{seq, elements, first}`` with the elements
in stacking order (``first``: the live ids' first-add seqs; older checkpoints also list deleted
ids there). On a long board it holds millions of point values, and decoding it (or
encoding the answer) costs hundreds of milliseconds (docs/scaling.md, "Figures behind the
design"). But an
answer at S differs from the checkpoint only in the elements that the ops between the two
touch. With this index, ``seek.py`` copies every other element's bytes as they are, and
decodes just the touched ones.

The index is computed once, when the checkpoint is stored (``SQLiteStore``), by one pass over
the bytes that skips the point arrays in C. Pure: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import accumulate
from typing import Any

import msgpack

VERSION = 1


@dataclass(frozen=True)
class Layout:
    """``offsets[i]`` is where element i starts (``offsets[-1]``: where the last one ends);
    ``ids[i]`` its id, ``firsts[i]`` the seq of its first add, ``z`` the ``z`` of the elements
    that have one (by index); ``first_span`` is where the ``first`` map's bytes lie."""

    offsets: list[int]
    ids: list[str]
    firsts: list[int]
    z: dict[int, float]
    first_span: tuple[int, int]

    def key(self, i: int) -> tuple[float, int]:
        """Element i's stacking key, as ``Document`` sorts: ``z`` where set, else the first
        add's seq; ties broken by that seq."""
        first = self.firsts[i]
        return (self.z.get(i, first), first)


def compute(state: bytes) -> bytes:
    """The packed index of a checkpoint's bytes. Raises ValueError if they are not a state."""
    unpacker = msgpack.Unpacker(raw=False, max_buffer_size=max(1, len(state)))
    unpacker.feed(state)
    offsets: list[int] = []
    ids: list[str] = []
    zs: list[list[Any]] = []
    first: dict[str, int] | None = None
    first_span = (0, 0)
    tell, skip, unpack = unpacker.tell, unpacker.skip, unpacker.unpack
    for _ in range(unpacker.read_map_header()):
        key = unpack()
        if key == "elements":
            for i in range(unpacker.read_array_header()):
                offsets.append(tell())
                id = None
                for _ in range(unpacker.read_map_header()):
                    field = unpack()
                    if field == "id":
                        id = unpack()
                    elif field == "z":
                        zs.append([i, unpack()])
                    else:
                        skip()
                if type(id) is not str:
                    raise ValueError(f"checkpoint element {i} has no id")
                ids.append(id)
            offsets.append(tell())
        elif key == "first":
            start = tell()
            first = unpack()
            first_span = (start, tell())
        else:
            skip()
    if first is None or not offsets:
        raise ValueError("not a checkpoint state")
    firsts = [first[id] for id in ids]
    packed: bytes = msgpack.packb(
        {"v": VERSION, "offsets": offsets, "ids": ids, "firsts": firsts, "z": zs,
         "first_span": list(first_span)}
    )  # fmt: skip
    return packed


def from_parts(parts: list[bytes], ids: list[str], firsts: list[int], z: list[list[Any]]) -> bytes:
    """What ``compute`` returns for ``b"".join(parts)``, from what the writer knows already:
    ``checkpoint.PackedState.parts()`` and ``Document.stacking()``. No parsing, so no
    GIL-holding pass over megabytes; the offsets are the running sum of the pieces' lengths
    (the header, one piece per element, then the ``first`` map's header and pairs)."""
    n = len(ids)
    offsets = list(accumulate(map(len, parts[: n + 1])))
    start = offsets[-1] + len(_FIRST_KEY)
    end = offsets[-1] + sum(map(len, parts[n + 1 :]))
    packed: bytes = msgpack.packb(
        {"v": VERSION, "offsets": offsets, "ids": ids, "firsts": firsts, "z": z,
         "first_span": [start, end]}
    )  # fmt: skip
    return packed


_FIRST_KEY = msgpack.packb("first")


def load(packed: bytes) -> Layout | None:
    """The index, or None if it was written by another version (callers then decode)."""
    raw = msgpack.unpackb(packed)
    if raw.get("v") != VERSION:
        return None
    start, end = raw["first_span"]
    return Layout(
        offsets=raw["offsets"],
        ids=raw["ids"],
        firsts=raw["firsts"],
        z={int(i): z for i, z in raw["z"]},
        first_span=(start, end),
    )
