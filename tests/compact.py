"""Reading compact ops frames (docs/protocol.md, "Compact live ops") the way a client does.

Written from the documentation rather than from the encoder, so that the unit and server tests
hold ``protocol.encode_compact_ops`` to the text a third-party client would read.
"""

from __future__ import annotations

from typing import Any


def decode_compact(frame: Any) -> list[dict[str, Any]]:
    """The PROTOCOL.md server ops (without ``ts``) that a compact frame stands for."""
    assert isinstance(frame, list) and len(frame) >= 2, f"not a compact ops frame: {frame!r}"
    first, *ops = frame
    assert type(first) is int
    out: list[dict[str, Any]] = []
    for i, op in enumerate(ops):
        if isinstance(op, list):
            assert len(op) in (4, 5), f"an append is [by, c, id, pts] or [.., pr]: {op!r}"
            sop = {"k": "append", "c": op[1], "id": op[2], "pts": op[3], "s": first + i}
            sop["by"] = op[0]
            if len(op) == 5:
                sop["pr"] = op[4]
        else:
            assert isinstance(op, dict) and "s" not in op, f"not a compact op: {op!r}"
            sop = {**op, "s": first + i}
        out.append(sop)
    return out
