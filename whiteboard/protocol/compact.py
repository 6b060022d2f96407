"""The compact ops frame (docs/protocol.md, "Compact live ops"): live ink in fewer bytes."""

from __future__ import annotations

from typing import Any

from whiteboard.codec import pack


def encode_compact_ops(sops: list[dict[str, Any]]) -> bytes:
    """Encode one tick's server ops in the compact form (docs/protocol.md, "Compact live ops").

    Live ink is mostly ``append`` ops of two or three points, where the map keys and ``s``
    outweigh the points several times over. The compact form is one msgpack array: the seq of
    the first op, then each op, ``s`` implied by its place. An ``append`` is the positional
    array ``[by, c, id, pts]`` (``[by, c, id, pts, pr]`` with pressures); every other op is
    its PROTOCOL.md server-op map without ``s``. ``ts`` is not carried: the browser does not
    use it live, and its 9 bytes would be a third of a typical frame (the HTTP log has it).

    The ops of one tick have consecutive seqs (the tick numbers them so); encoded once per
    tick for every client that asked for it, like the PROTOCOL.md frame.
    """
    if not sops:
        raise ValueError("a compact ops frame needs at least one op")
    body: list[Any] = [sops[0]["s"]]
    for sop in sops:
        if sop["k"] == "append":
            op = [sop["by"], sop["c"], sop["id"], sop["pts"]]
            if "pr" in sop:
                op.append(sop["pr"])
            body.append(op)
        else:
            body.append({key: value for key, value in sop.items() if key != "s"})
    return pack(body)
