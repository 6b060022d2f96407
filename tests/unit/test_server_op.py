"""``protocol.server_op`` and the key order that history/pages.py splices stored rows on.

pages.py answers a log page by copying each stored op's bytes and appending ``ts``; that only
works if every op ends with ``"s" <int> "by" <int>``, which ``server_op`` promises. An op stored
otherwise still reads right (it is decoded instead), so comparing pages alone would never
notice the promise broken: these tests also require that no op needed decoding.
"""

from __future__ import annotations

import copy
from typing import Any

import msgpack
import pytest
from hypothesis import given
from hypothesis import strategies as st

from whiteboard.codec import row_ops
from whiteboard.history.pages import splice
from whiteboard.protocol import encode_ops_array, server_op
from whiteboard.store.base import LogRow

PEN = {"id": "p1", "type": "pen", "x": 1.5, "y": -2, "stroke": "#112233", "width": 2,
       "pts": [0, 0, 3, -4], "ps": 4, "pr": [10, 20], "z": 0.5}  # fmt: skip
RECT = {"id": "r1", "type": "rect", "x": 0, "y": 0, "stroke": "#112233", "width": 1,
        "w": 5, "h": -6, "fill": "#ff000080"}  # fmt: skip
OPS: list[dict[str, Any]] = [
    {"k": "add", "c": 1, "e": PEN},
    {"k": "add", "c": 2, "e": RECT},
    {"k": "append", "c": 3, "id": "p1", "pts": [1, 1, -2, 5], "pr": [30, 40]},
    {"k": "append", "c": 70_000, "id": "q", "pts": [-100_000, 2**31 - 1]},
    {"k": "update", "c": 4, "id": "r1", "set": {"fill": None, "x": 0.1, "text": "é"}},
    {"k": "delete", "c": 2**53 - 1, "ids": ["a", "b"]},
    {"c": 5, "k": "delete", "ids": ["c"]},  # keys in another order: kept as the client sent them
]
TS = 1_764_000_000_123
INTS = [0, 1, 127, 128, 255, 256, 300, 30_975, 31_232, 65_535, 65_536, 2**32 - 1]
"""Every width msgpack gives a client id or a seq, each side of each edge."""
AMBIGUOUS = range(0x7900, 0x7A00)
"""Ids whose last bytes read like a one-byte id's: pages.py decodes their ops (see ``splice``)."""


def sops(first: int, by: int) -> list[dict[str, Any]]:
    return [server_op(copy.deepcopy(op), first + i, by) for i, op in enumerate(OPS)]


def stamped(sop: dict[str, Any], ts: int = TS) -> dict[str, Any]:
    return {**sop, "ts": ts}


def pack(obj: Any) -> bytes:
    packed: bytes = msgpack.packb(obj, use_bin_type=True)
    return packed


def test_server_op_adds_s_then_by_in_place() -> None:
    for op in OPS:
        mine = copy.deepcopy(op)
        sop = server_op(mine, 12, 3)
        assert sop is mine, "no copy per op on the hot path"
        assert list(sop.items()) == [*op.items(), ("s", 12), ("by", 3)]


@pytest.mark.parametrize("s", [*INTS[1:], 2**32, 2**53 - 1])
@pytest.mark.parametrize("by", INTS[1:])
def test_a_stored_server_op_ends_with_s_then_by(s: int, by: int) -> None:
    """The bytes pages.py reads backwards from the end of each op."""
    for op in OPS:
        data = encode_ops_array([server_op(copy.deepcopy(op), s, by)])
        assert data.endswith(b"\xa1s" + pack(s) + b"\xa2by" + pack(by))
        assert 0x80 <= data[1] < 0x8F, "a fixmap with room for ts"


@pytest.mark.parametrize("first", [1, 127, 128, 250, 65_530, 2**32 - 3])
@pytest.mark.parametrize("by", INTS[1:])
def test_a_page_of_server_ops_is_spliced_without_decoding(first: int, by: int) -> None:
    ops = sops(first, by)
    row = LogRow(first, first + len(ops) - 1, TS, encode_ops_array(ops))
    page = splice([row], first - 1, 1000)
    assert page.decoded == 0, "a server op was not stored as server_op orders its keys"
    assert page.ops == b"".join(pack(stamped(sop)) for sop in ops)
    assert _unpack_all(page.ops) == [stamped(sop) for sop in ops]
    assert (page.count, page.last, page.authors) == (len(ops), ops[-1]["s"], {by})


def _unpack_all(data: bytes) -> list[Any]:
    unpacker = msgpack.Unpacker(raw=False)
    unpacker.feed(data)
    return list(unpacker)


def test_pages_cut_rows_at_after_and_at_the_limit() -> None:
    """Three ticks of three ops by two authors; a page from inside the first to inside the
    last, the way a history view asks for them."""
    rows, expected, s = [], [], 1
    for tick in range(3):
        ops = [server_op(copy.deepcopy(OPS[i]), s + i, 1 + (s + i) % 2) for i in range(3)]
        rows.append(LogRow(s, s + 2, TS + tick, encode_ops_array(ops)))
        expected += [stamped(sop, TS + tick) for sop in ops]
        s += 3
    page = splice(rows, 2, 5)
    assert page.decoded == 0
    assert _unpack_all(page.ops) == expected[2:7]
    assert (page.count, page.last, page.authors) == (5, 7, {1, 2})
    decoded = [sop for row in rows for sop in row_ops(row, 2, 7, stamp=True)]
    assert _unpack_all(page.ops) == decoded, "the same answer as the decoding path"


@pytest.mark.parametrize(
    "sop",
    [
        pytest.param({"s": 1, "by": 2, "k": "delete", "c": 1, "ids": ["a"]}, id="s-and-by-first"),
        pytest.param({"k": "delete", "c": 1, "ids": ["a"], "by": 2, "s": 1}, id="by-before-s"),
        pytest.param({"k": "delete", "c": 1, "s": 1, "ids": ["a"], "by": 2}, id="s-not-last"),
        pytest.param(server_op({"k": "delete", "c": 1, "ids": ["a"]}, 1, 2**32), id="huge-by"),
        pytest.param(server_op({"k": "delete", "c": 1, "ids": ["a"]}, 1, 0x7900), id="ambiguous"),
        pytest.param(
            {**{f"x{i}": i for i in range(13)}, "s": 1, "by": 2}, id="too-many-keys-for-ts"
        ),
    ],
)
def test_an_op_stored_another_way_is_decoded_and_still_right(sop: dict[str, Any]) -> None:
    page = splice([LogRow(1, 1, TS, encode_ops_array([sop]))], 0, 10)
    assert page.decoded == 1
    assert _unpack_all(page.ops) == [stamped(sop)]
    assert page.authors == {sop["by"]}


@given(
    st.lists(st.sampled_from(range(len(OPS))), min_size=1, max_size=20),
    st.integers(1, 2**40),
    st.integers(1, 2**32 - 1),
    st.integers(0, 2**53 - 1),
)
def test_any_tick_of_server_ops_splices_to_the_stamped_ops(
    kinds: list[int], first: int, by: int, ts: int
) -> None:
    ops = [server_op(copy.deepcopy(OPS[k]), first + i, by) for i, k in enumerate(kinds)]
    row = LogRow(first, first + len(ops) - 1, ts, encode_ops_array(ops))
    page = splice([row], first - 1, len(ops))
    assert page.ops == b"".join(pack(stamped(sop, ts)) for sop in ops)
    if by < 2**16 and by not in AMBIGUOUS:
        assert page.decoded == 0
