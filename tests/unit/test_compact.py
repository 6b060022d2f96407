"""The compact ops encoding (docs/protocol.md, "Compact live ops"): same ops, fewer bytes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import msgpack
import pytest

from tests.compact import decode_compact
from whiteboard.live.wsframe import ws_frame
from whiteboard.protocol import encode_compact_ops, encode_ops_array, encode_ops_frame

PEN = {"id": "p" * 16, "type": "pen", "x": 1.5, "y": 2, "stroke": "#112233", "width": 2,
       "pts": [0, 0, 3, -4], "pr": [10, 20]}  # fmt: skip


def tick(first: int) -> list[dict[str, Any]]:
    """A tick with every kind of op, as the hub numbers them (consecutive ``s``)."""
    ops: list[dict[str, Any]] = [
        {"k": "add", "c": 1, "e": PEN},
        {"k": "append", "c": 2, "id": PEN["id"], "pts": [1, 1, -2, 5], "pr": [30, 40]},
        {"k": "append", "c": 70_000, "id": "q", "pts": [-100_000, 2**31 - 1]},
        {"k": "update", "c": 3, "id": "r1", "set": {"fill": None, "x": 0.1}},
        {"k": "delete", "c": 2**53 - 1, "ids": ["a", "b"]},
    ]
    return [{**op, "s": first + i, "by": 1 + i % 2} for i, op in enumerate(ops)]


@pytest.mark.parametrize("first", [1, 127, 128, 65_536, 2**32, 2**63 - 10])
def test_compact_frame_decodes_to_the_same_server_ops(first: int) -> None:
    sops = tick(first)
    assert decode_compact(msgpack.unpackb(encode_compact_ops(sops))) == sops


def test_append_is_positional_and_other_ops_keep_their_map_without_s() -> None:
    frame = msgpack.unpackb(encode_compact_ops(tick(5)))
    assert frame[0] == 5
    assert frame[2] == [2, 2, PEN["id"], [1, 1, -2, 5], [30, 40]]
    assert frame[3] == [1, 70_000, "q", [-100_000, 2**31 - 1]]
    assert frame[4] == {"k": "update", "c": 3, "id": "r1", "set": {"fill": None, "x": 0.1},
                        "by": 2}  # fmt: skip


def test_no_op_is_not_a_frame() -> None:
    with pytest.raises(ValueError):
        encode_compact_ops([])


def test_strings_are_str_never_bin() -> None:
    body = encode_compact_ops(tick(1))
    assert not any(b in body for b in (b"\xc4", b"\xc5", b"\xc6"))


def live_append(s: int, c: int, by: int, points: int) -> dict[str, Any]:
    """An append as a browser sends it once per animation frame: small deltas, a 16-char id."""
    return {"k": "append", "c": c, "id": "AbCdEfGhIjKlMnOp", "pts": [3, -2] * points,
            "s": s, "by": by}  # fmt: skip


@pytest.mark.parametrize("points", [2, 3, 4])
@pytest.mark.parametrize(
    ("s", "c", "by"),
    [(300, 100, 7), (70_000, 70_000, 300), (2**32 - 1, 2**32 - 1, 65_535)],
)
def test_live_ink_costs_at_most_20_bytes_a_point_with_framing(
    s: int, c: int, by: int, points: int
) -> None:
    """The Performance issue's budget, in the worst case of one append alone in its frame, up
    to the bounds docs/protocol.md states."""
    sops = [live_append(s, c, by, points)]
    compact = ws_frame(encode_compact_ops(sops))
    assert len(compact) / points <= 20
    full = ws_frame(encode_ops_frame(1_764_000_000_000, encode_ops_array(sops)))
    assert len(compact) < len(full) * 0.6


VECTORS = json.loads((Path(__file__).parents[1] / "vectors" / "compact.json").read_text())


@pytest.mark.parametrize("case", VECTORS, ids=[c["name"][:40] for c in VECTORS])
def test_shared_vectors_byte_for_byte(case: dict[str, Any]) -> None:
    """The browser's decoder reads the same bytes (static/src/net/compact.test.ts)."""
    assert encode_compact_ops(case["sops"]).hex() == case["frame"]
    assert decode_compact(msgpack.unpackb(bytes.fromhex(case["frame"]))) == case["sops"]
