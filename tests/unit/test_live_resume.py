"""The resume buffer alone: which rows it keeps, and what it answers for ``since``."""

from __future__ import annotations

from typing import Any

import msgpack

from whiteboard.live.resume import ResumeBuffer
from whiteboard.store.base import LogRow


def row(first: int, last: int, ts: int = 0) -> LogRow:
    sops = [{"k": "delete", "c": s, "ids": ["x"], "s": s, "by": 1} for s in range(first, last + 1)]
    return LogRow(first, last, ts, msgpack.packb(sops))


def ops_since(buf: ResumeBuffer, since: int, head: int) -> list[dict[str, Any]] | None:
    packed = buf.packed_since(since, head)
    return None if packed is None else msgpack.unpackb(b"".join(packed))


def seqs(ops: list[dict[str, Any]] | None) -> list[int] | None:
    return None if ops is None else [op["s"] for op in ops]


def test_since_is_answered_from_the_rows_kept() -> None:
    buf = ResumeBuffer(max_ops=100, max_bytes=1 << 20)
    for r in (row(1, 2, ts=10), row(3, 5, ts=20), row(6, 6, ts=30)):
        buf.remember(r)
    assert ops_since(buf, 6, 6) == []  # up to date
    assert seqs(ops_since(buf, 0, 6)) == [1, 2, 3, 4, 5, 6]
    ops = ops_since(buf, 3, 6)  # inside a row: only what comes after
    assert seqs(ops) == [4, 5, 6]
    assert ops is not None and [op["ts"] for op in ops] == [20, 20, 30]
    assert ops_since(buf, 7, 6) is None  # ahead of the head: the whole board instead


def test_bounded_by_ops_oldest_rows_go_first() -> None:
    buf = ResumeBuffer(max_ops=4, max_bytes=1 << 20)
    for r in (row(1, 2), row(3, 4), row(5, 6)):
        buf.remember(r)
    assert [r.first_seq for r in buf.rows] == [3, 5] and buf.ops == 4
    assert ops_since(buf, 1, 6) is None  # op 2 is no longer here
    assert seqs(ops_since(buf, 2, 6)) == [3, 4, 5, 6]


def test_bounded_by_bytes_but_the_newest_row_always_stays() -> None:
    big = row(1, 50)
    buf = ResumeBuffer(max_ops=1000, max_bytes=len(big.ops) - 1)
    buf.remember(big)
    assert list(buf.rows) == [big]  # too big, but a client one tick behind still resumes
    small = row(51, 51)
    buf.remember(small)
    assert list(buf.rows) == [small] and buf.bytes == len(small.ops) and buf.ops == 1
    assert seqs(ops_since(buf, 50, 51)) == [51]
    assert ops_since(buf, 49, 51) is None


def test_empty_buffer_serves_only_the_up_to_date() -> None:
    buf = ResumeBuffer(max_ops=10, max_bytes=1000)
    assert ops_since(buf, 0, 0) == []
    assert ops_since(buf, 0, 3) is None


def test_spliced_ops_are_the_decoded_ops_stamped() -> None:
    """``packed_since`` splices ``ts`` into each op's bytes: the same as decoding, stamping and
    packing, whatever the size of the op's map (fixmap up to 15 keys, map 16 past them)."""
    buf = ResumeBuffer(max_ops=1000, max_bytes=1 << 24)
    seq = 0
    for i, keys in enumerate((1, 5, 14, 15, 16, 40, 70_000)):
        extra = {f"x{j}": j for j in range(keys)}
        sops = [{"s": seq + 1, "k": "add", **extra}, {"s": seq + 2, "pts": list(range(300))}]
        buf.remember(LogRow(seq + 1, seq + 2, 1000 + i, msgpack.packb(sops)))
        seq += 2
    for since in (0, 1, 2, 7, seq - 1, seq):
        expected = []
        for r in buf.rows:
            for sop in msgpack.unpackb(r.ops):
                if sop["s"] > since:
                    expected.append({**sop, "ts": r.ts})
        assert ops_since(buf, since, seq) == expected
