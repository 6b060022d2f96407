"""msgpack as this project uses it, in one place: packing, headers, and a stored row's ops.

Stored rows hold a tick's server ops as one msgpack array (``protocol.encode_ops_array``).
Readers (history states, pages, seeks, the live board's catch-up) all want the same thing
from a row: its ops after some seq, up to another, sometimes stamped with the row's ``ts``.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

import msgpack

from whiteboard.points import plain

if TYPE_CHECKING:
    from whiteboard.store.base import LogRow


_here = threading.local()
KEEP_BUFFER_UP_TO = 1 << 20
"""A thread's Packer is dropped after packing more than this: its buffer keeps the size of the
largest value it packed, and a checkpoint's state is megabytes."""


def pack(obj: Any) -> bytes:
    """msgpack with bin types, as everything we write (the wire, the log, checkpoints).

    With a Packer kept per thread: ``msgpack.packb`` builds one per call, 1.35 us against
    0.15 for a small value, and a checkpoint packs every element that changed since the last.
    """
    packed: bytes = _packer_here().pack(obj)  # an error resets its buffer (msgpack >= 1.0)
    if len(packed) > KEEP_BUFFER_UP_TO:
        _here.packer = None
    return packed


def _packer_here() -> msgpack.Packer:
    """This thread's Packer (``pack``'s, and the headers': writing one needs no other)."""
    p = getattr(_here, "packer", None)
    if p is None:
        p = _here.packer = packer()
    return p


class Packed(bytes):
    """Bytes that are already msgpack: ``pack_map`` copies them in place of a value.

    For a part shared by many frames that differ elsewhere (a tick's joiners get the same
    elements or ops in welcomes that each name their own client): packed once, copied into each.
    """


class Pieces(tuple[bytes, ...]):
    """One msgpack value given as pieces (their concatenation): like ``Packed``, for a value
    too large to copy into a bytes subclass on the loop (a welcome's elements of a 50 MB
    board, shared by every joiner and written to each by reference: ``pack_map_parts``)."""


def pack_map(msg: dict[str, Any]) -> bytes:
    """``pack(msg)``, except that ``Packed`` and ``Pieces`` values are copied as they are."""
    if not any(type(v) is Packed or type(v) is Pieces for v in msg.values()):
        return pack(msg)
    return b"".join(pack_map_parts(msg))


def pack_map_parts(msg: dict[str, Any]) -> list[bytes]:
    """``pack_map(msg)`` as pieces whose concatenation it is, the ``Packed`` values among them
    as they are: a transport that writes the pieces one after the other sends a large shared
    part (a welcome's elements) to many clients without a copy each."""
    parts = [map_header(len(msg))]
    for key, value in msg.items():
        parts.append(pack(key))
        if type(value) is Pieces:
            parts.extend(value)
        else:
            parts.append(value if type(value) is Packed else pack(value))
    return parts


def packer() -> msgpack.Packer:
    """A Packer that writes what ``pack`` writes (compact pen points as arrays)."""
    return msgpack.Packer(use_bin_type=True, default=plain)


def array_header(n: int) -> bytes:
    header: bytes = _packer_here().pack_array_header(n)
    return header


def map_header(n: int) -> bytes:
    header: bytes = _packer_here().pack_map_header(n)
    return header


def row_ops(
    row: LogRow, after: int = 0, upto: int | None = None, *, stamp: bool = False
) -> list[dict[str, Any]]:
    """The row's server ops with ``after < s <= upto``; with ``stamp``, each gets the row's
    ``ts`` (the log keeps one ts per row, the API and board files one per op)."""
    sops: list[dict[str, Any]] = msgpack.unpackb(row.ops)
    if row.first_seq <= after or (upto is not None and row.last_seq > upto):
        high = row.last_seq if upto is None else upto
        sops = [sop for sop in sops if after < sop["s"] <= high]
    if stamp:
        ts = row.ts
        for sop in sops:
            sop["ts"] = ts
    return sops
