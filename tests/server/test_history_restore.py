"""Restore: ordinary ops, computed from ``?at=S`` and the head, bring the past back exactly, and
the inverse of those ops (its undo) brings the present back exactly.

The app does this in the browser; here a socket client does the same with ``rebuild``, the
reference the app's code follows.
"""

from __future__ import annotations

from typing import Any

import msgpack
import pytest

from tests.server.conftest import Client, connect, fetch, pen, rect
from whiteboard.history.rebuild import restore_ops
from whiteboard.protocol import Limits

pytestmark = pytest.mark.gen_test(timeout=30)

MP = {"Accept": "application/msgpack"}
LIMITS = Limits()


async def _do(client: Client, *ops: dict[str, Any]) -> int:
    cs = await client.ops(*ops)
    return int((await client.acked(cs[-1]))["s"])


async def _state(url: str, board: str, at: int | None = None) -> dict[str, Any]:
    query = "" if at is None else f"?at={at}"
    resp = await fetch(url, f"/api/boards/{board}{query}", headers=MP)
    body: dict[str, Any] = msgpack.unpackb(resp.body)
    return body


async def _send_all(client: Client, ops: list[dict[str, Any]]) -> int:
    """Send ops in frames of at most ``ops_per_frame``; the head seq once all are applied."""
    step = LIMITS.ops_per_frame
    seq = 0
    for i in range(0, len(ops), step):
        seq = await _do(client, *(dict(op) for op in ops[i : i + step]))
    return seq


async def test_restore_gives_the_past_exactly_and_its_inverse_undoes_it(
    url: str, board: str
) -> None:
    ana = await connect(url, board, name="Ana")
    ben = await connect(url, board, name="Ben")
    await _do(ana, {"k": "add", "e": rect("r1")}, {"k": "add", "e": pen("p1")})
    await _do(ben, {"k": "add", "e": {**rect("r2"), "fill": "#00ff00"}})
    text = {"id": "t1", "type": "text", "x": 1, "y": 2, "stroke": "#000000", "text": "hello",
            "size": 12}  # fmt: skip
    await _do(ben, {"k": "add", "e": text})
    moment = await _do(ana, {"k": "append", "id": "p1", "pts": [5, 5]})
    # After the moment: every kind of change a restore has to undo.
    await _do(ana, {"k": "append", "id": "p1", "pts": [6, 6]})  # points: delete + re-add
    await _do(ben, {"k": "update", "id": "r2", "set": {"fill": None, "x": 3.0, "z": -1}})
    await _do(ben, {"k": "update", "id": "t1", "set": {"text": "bye"}})
    await _do(ana, {"k": "delete", "ids": ["r1"]})  # deleted: re-added in its old place
    await _do(ben, {"k": "add", "e": pen("p2")}, {"k": "add", "e": rect("r3")})  # new: deleted

    past = await _state(url, board, moment)
    present = await _state(url, board)
    assert present["elements"] != past["elements"]

    restore = restore_ops(present["elements"], past["elements"], LIMITS)
    head = await _send_all(ana, restore)
    assert head == present["seq"] + len(restore)  # ordinary ops, appended: history stays linear
    restored = await _state(url, board)
    assert restored["elements"] == past["elements"]
    assert [e["id"] for e in restored["elements"]] == ["r1", "p1", "r2", "t1"]
    assert restored["elements"][2]["fill"] == "#00ff00" and "z" not in restored["elements"][2]
    assert type(restored["elements"][2]["x"]) is int  # 0, not the 3.0 it had become

    # Undo of the restore: the inverse, computed from the state at undo time.
    undo = restore_ops(restored["elements"], present["elements"], LIMITS)
    await _send_all(ana, undo)
    assert (await _state(url, board))["elements"] == present["elements"]
    # And the past is still there to be restored again.
    assert (await _state(url, board, moment))["elements"] == past["elements"]
    # Ben saw every op of both, in order, as ordinary ops.
    last = await ben.expect(lambda m: m.get("t") == "ops" and m["ops"][-1]["s"] == head + len(undo))
    assert last["ops"][-1]["by"] == ana.welcome["me"]


async def test_restore_of_many_elements_respects_the_op_limits(url: str, board: str) -> None:
    """Over 1024 deletions and pens too long for one op still restore (and within the limits
    every client op obeys: the server would refuse anything else)."""
    a = await connect(url, board)
    await _do(a, {"k": "add", "e": pen("long", pts=[1, 1] * 4000)})
    moment = await _do(a, {"k": "append", "id": "long", "pts": [2, 2] * 4000})
    await _do(a, {"k": "delete", "ids": ["long"]})
    rects = [{"k": "add", "e": rect(f"r{i}")} for i in range(1100)]
    await _send_all(a, rects)
    past = await _state(url, board, moment)
    present = await _state(url, board)
    ops = restore_ops(present["elements"], past["elements"], LIMITS)
    assert [op["k"] for op in ops] == ["delete", "delete", "add", "append"]
    await _send_all(a, ops)
    assert (await _state(url, board))["elements"] == past["elements"]
