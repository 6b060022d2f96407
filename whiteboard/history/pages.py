"""The log of a board, page by page, for history views, the ops API and exports."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, Final

import msgpack

from whiteboard.codec import packer as new_packer
from whiteboard.codec import row_ops
from whiteboard.store.base import LogRow, Store


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
        out += row_ops(row, after, stamp=True)[: limit - len(out)]
    last = out[-1]["s"] if out else after
    names = await store.client_names(board, list({sop["by"] for sop in out}))
    return OpsPage(out, last if last < head else None, {str(i): n for i, n in names.items()})


async def ops_page_msgpack(store: Store, board: str, after: int, limit: int, head: int) -> bytes:
    """The same page as ``ops_page``, encoded as msgpack straight from the stored rows.

    Why not decode and re-encode: a row is already the msgpack of its ops, and building a dict
    per op (then packing it again) costs several times more than the bytes do, and wakes the
    garbage collector, which then walks every object of the boards in memory. Here each op's
    bytes are copied with ``ts`` appended to its map, which is all that changes; a history view
    streaming a long board gets well over 500,000 ops/s instead of about half that.
    """
    rows = await store.read_log_page(board, after, limit)
    page = splice(rows, after, limit)
    names = await store.client_names(board, sorted(page.authors))
    packer = new_packer()
    return b"".join(
        (
            _PAGE_START,
            packer.pack_array_header(page.count),
            page.ops,
            packer.pack("next"),
            packer.pack(page.last if page.last < head else None),
            packer.pack("names"),
            packer.pack({str(i): n for i, n in names.items()}),
        )
    )


_PAGE_START: Final = b"\x83" + msgpack.packb("ops")
# A stored op ends ... b"\xa1s" <int> b"\xa2by" <int>, as ``protocol.server_op`` orders its keys.
_BY_KEY: Final = b"\xa2by"
_TS_KEY: Final = b"\xa2ts"
_ONE_MORE_KEY: Final = tuple(bytes(((h + 1) % 256,)) for h in range(256))


@dataclass(frozen=True, slots=True)
class Spliced:
    """A page's ops as concatenated msgpack maps (each with ``ts``), how many, the last one's
    ``s``, and their authors. ``decoded`` counts the ops that were not stored the way
    ``protocol.server_op`` orders keys, and so were decoded and encoded again: 0 for any log
    this server wrote (tests/unit/test_server_op.py keeps it so)."""

    ops: bytes
    count: int
    last: int
    authors: set[int]
    decoded: int


def splice(rows: list[LogRow], after: int, limit: int) -> Spliced:
    """The ops after ``after`` (at most ``limit``), straight from the stored rows' bytes.

    Every writer of the log (the board's tick, imports and forks) builds its server ops with
    ``protocol.server_op``: the client op's keys followed by ``s`` then ``by``, in a map of
    fewer than 15 keys (a client op has at most 5). So an op's bytes end with ``"s" <int> "by"
    <int>``: ``by`` is read from the last bytes, and ``ts`` is added by bumping the map's
    one-byte header and appending the pair. An op that does not end exactly like that (a row
    written some other way) is decoded and re-encoded instead, so the answer is always the same
    as ``ops_page``'s, only faster. So are the ops of the few authors whose id's bytes read the
    same backwards as a shorter id's (30,976 to 31,231, about 1 % of those from 65,536): the
    width of ``by`` is guessed from one byte, as that costs nothing more for ids below 128. The
    loop is written for speed: it runs once per op of every page a history view streams.
    """
    data = b"".join(row.ops for row in rows)
    unpacker = msgpack.Unpacker(max_buffer_size=max(1, len(data)))
    unpacker.feed(data)
    skip, tell, packb, unpackb = unpacker.skip, unpacker.tell, msgpack.packb, msgpack.unpackb
    parts: list[bytes] = []
    extend = parts.extend
    by_of_tail: dict[bytes, int] = {}  # b'\xa2by' + packed by -> by
    decoded_authors: set[int] = set()
    count, last, decoded = 0, after, 0
    for row in rows:
        n = unpacker.read_array_header()
        s = row.first_seq
        while s <= after and n:  # a row may start before the page
            skip()
            s, n = s + 1, n - 1
        n = min(n, limit - count)
        pos = tell()
        ts_pair = _TS_KEY + packb(row.ts)
        for _ in range(n):
            skip()
            end = tell()
            header = data[pos]
            # The width of ``by`` from the byte after the "y" (0x79) of its key: a fixint, else
            # a uint16, uint8 or uint32 type byte. (A uint16's low byte may look like a fixint,
            # so the last byte alone would send half the ids from 256 on to the slow path.)
            k = (
                1 if data[end - 2] == 0x79
                else 3 if data[end - 3] == 0xCD
                else 2 if data[end - 2] == 0xCC
                else 5
            )  # fmt: skip
            tail = data[end - k - 3 : end]
            by = by_of_tail.get(tail)
            if by is None and tail[:3] == _BY_KEY:
                by = by_of_tail[tail] = unpackb(tail[3:])
            before_by = end - k - 3 - _int_size(s)
            if by is not None and header < 0x8F and data[before_by - 2 : before_by] == b"\xa1s":
                extend((_ONE_MORE_KEY[header], data[pos + 1 : end], ts_pair))
            else:
                sop = unpackb(data[pos:end])
                sop["ts"] = row.ts
                if "by" in sop:  # a row written some other way may hold ops without it
                    decoded_authors.add(sop["by"])
                parts.append(packb(sop, use_bin_type=True))
                decoded += 1
            pos = end
            s += 1
        count += n
        last = s - 1 if n else last
        if count >= limit:
            break
    authors = decoded_authors | set(by_of_tail.values())
    return Spliced(b"".join(parts), count, last, authors, decoded)


def _int_size(v: int) -> int:
    """Bytes of msgpack's encoding of the non-negative int ``v``."""
    return 1 if v < 0x80 else 2 if v < 0x100 else 3 if v < 0x10000 else 5 if v < 2**32 else 9


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
            out += row_ops(row, after, upto, stamp=True)
        if not out:
            raise ValueError(f"the log of {board!r} has no op {after + 1}")
        after = out[-1]["s"]
        yield out
