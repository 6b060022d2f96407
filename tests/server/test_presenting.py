"""Viewports, laser points and summons (PROTOCOL.md, Version 1.1, "Presence") over real sockets.

None of them is ever stored: each test that sends them ends by reading the board's log.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.server.conftest import Client, connect, fetch, rect
from whiteboard.config import Settings

pytestmark = pytest.mark.gen_test(timeout=30)


def _presence(key: str) -> Any:
    return lambda m: m["t"] == "presence" and key in m


async def _log(url: str, board: str) -> list[dict[str, Any]]:
    page = json.loads((await fetch(url, f"/api/boards/{board}/ops")).body)
    ops: list[dict[str, Any]] = page["ops"]
    return ops


async def _nothing_stored(url: str, board: str, *clients: Client, ours: int = 0) -> None:
    """The log holds the ``ours`` ops the test made, then the marker each client adds now, and
    nothing else: presence left no trace."""
    for i, cl in enumerate(clients):
        (c,) = await cl.ops({"k": "add", "e": rect(f"marker{i}")})
        await cl.acked(c)
    log = await _log(url, board)
    assert len(log) == ours + len(clients)
    assert [op["e"]["id"] for op in log[ours:]] == [f"marker{i}" for i in range(len(clients))]


async def test_views_reach_the_others_latest_per_tick(url: str, board: str) -> None:
    a = await connect(url, board, "Ana")
    b = await connect(url, board, "Bob")
    await a.expect(_presence("join"))
    me = a.welcome["me"]
    await a.send({"t": "view", "vp": [0, 0, 100, 50]})
    got = await b.expect(_presence("view"))
    assert got["view"] == [[me, 0, 0, 100, 50]]
    await a.send({"t": "view", "vp": [-10.5, 20, 300, 400.25]})
    got = await b.expect(_presence("view"))
    assert got["view"][-1] == [me, -10.5, 20, 300, 400.25]
    await _nothing_stored(url, board, a)


async def test_peers_and_joins_carry_the_last_view(url: str, board: str) -> None:
    a = await connect(url, board, "Ana")
    await a.send({"t": "view", "vp": [1, 2, 3, 4]})
    (c,) = await a.ops({"k": "add", "e": rect("r")})  # after this ack the view is held
    await a.acked(c)
    b = await connect(url, board, "Bob")
    (peer,) = b.welcome["peers"]
    assert peer["id"] == a.welcome["me"] and peer["vp"] == [1, 2, 3, 4]
    # A joiner that sent its view before its welcome is announced with it.
    c2 = await connect(url, board, None)
    await c2.send({"t": "hello", "v": 1, "name": "Cid"})
    await c2.send({"t": "view", "vp": [5, 6, 7, 8]})
    join = await a.expect(lambda m: _presence("join")(m) and m["join"][0]["name"] == "Cid")
    assert join["join"][0].get("vp") in (None, [5, 6, 7, 8])


async def test_a_laser_stroke_reaches_the_others_in_order(url: str, board: str) -> None:
    a = await connect(url, board, "Ana")
    b = await connect(url, board, "Bob")
    me = a.welcome["me"]
    points = [(float(i), float(i * 2)) for i in range(6)]
    for x, y in points:
        await a.send({"t": "cursor", "x": x, "y": y, "laser": True})
    seen: list[tuple[float, float]] = []
    while len(seen) < len(points):
        msg = await b.expect(_presence("laser"))
        seen += [(x, y) for cid, x, y in msg["laser"] if cid == me]
    assert seen == points
    # A cursor with laser false is an ordinary cursor: no laser point.
    await a.send({"t": "cursor", "x": 9, "y": 9, "laser": False})
    cur = await b.expect(lambda m: _presence("cur")(m) and [me, 9, 9] in m["cur"])
    assert "laser" not in cur
    await _nothing_stored(url, board, a)


async def test_summon_moves_the_others_to_the_senders_view(url: str, board: str) -> None:
    a = await connect(url, board, "Ana")
    b = await connect(url, board, "Bob")
    c = await connect(url, board, "Cid")
    await a.send({"t": "summon"})
    err = await a.expect_type("err")
    assert err["code"] == "bad_message" and "c" not in err
    await a.send({"t": "view", "vp": [10, 20, 30, 40]})
    await a.send({"t": "summon"})
    for cl in (b, c):
        got = await cl.expect_type("summon")
        assert got == {"t": "summon", "by": a.welcome["me"], "vp": [10, 20, 30, 40]}
    # The sender gets none of its own: its next message is the ack of this op.
    (op,) = await a.ops({"k": "add", "e": rect("r")})
    await a.acked(op)
    assert not any(m["t"] == "summon" for m in a.inbox)
    await _nothing_stored(url, board, b, ours=1)


async def test_malformed_views_and_lasers_are_bad_messages(url: str, board: str) -> None:
    a = await connect(url, board, "Ana")
    bad: list[dict[str, Any]] = [
        {"t": "view"},
        {"t": "view", "vp": [0, 0, 1]},
        {"t": "view", "vp": [0, 0, 0, 1]},  # empty width
        {"t": "view", "vp": [5, 0, 1, 1]},  # x0 > x1
        {"t": "view", "vp": [0, 0, 1, 2e7]},
        {"t": "view", "vp": [0, 0, True, 1]},
        {"t": "view", "vp": "0,0,1,1"},
        {"t": "cursor", "x": 1, "y": 1, "laser": 1},
    ]
    for msg in bad:
        await a.send(msg)
        err = await a.expect_type("err")
        assert err["code"] == "bad_message", msg
    (c,) = await a.ops({"k": "add", "e": rect("r")})
    await a.acked(c)  # still connected


async def test_read_only_viewers_follow_but_neither_point_nor_summon(url: str) -> None:
    resp = await fetch(url, "/api/boards", method="POST", body=json.dumps({"protected": True}))
    created = json.loads(resp.body)
    board, key = created["board"], created["key"]
    editor = await connect(url, board, "editor", key=key)
    viewer = await connect(url, board, "viewer")
    assert viewer.welcome["readonly"] is True
    await viewer.send({"t": "view", "vp": [0, 0, 10, 10]})
    got = await editor.expect(_presence("view"))
    assert got["view"] == [[viewer.welcome["me"], 0, 0, 10, 10]]
    await viewer.send({"t": "cursor", "x": 1, "y": 1})
    await editor.expect(_presence("cur"))
    for msg in ({"t": "cursor", "x": 1, "y": 1, "laser": True}, {"t": "summon"}):
        await viewer.send(msg)
        err = await viewer.expect_type("err")
        assert err["code"] == "read_only" and "c" not in err
    # The viewer follows the editor: it hears the editor's views and summons.
    await editor.send({"t": "view", "vp": [3, 3, 4, 4]})
    await editor.send({"t": "summon"})
    assert (await viewer.expect_type("summon"))["vp"] == [3, 3, 4, 4]
    assert not any(m["t"] == "presence" and "laser" in m for m in editor.inbox)
    await _nothing_stored(url, board, editor)


class TestByteBudget:
    @pytest.fixture
    def settings(self, tmp_path: Any) -> Settings:
        return Settings(data=str(tmp_path / "data"), tick_ms=2, bytes_per_s=1, bytes_burst=200)

    async def test_presence_is_charged_to_the_byte_budget(self, url: str, board: str) -> None:
        a = await connect(url, board, "Ana")
        b = await connect(url, board, "Bob")
        c = await connect(url, board, "Cid")
        # Each of these views is 48 bytes: the burst of 200 lets 4 through, the summon (10
        # bytes) finds 8 left and is refused, the later views are dropped without an answer.
        for i in range(20):
            await a.send({"t": "view", "vp": [0.5, 0.5, 100.5 + i, 100.5]})
        await a.send({"t": "summon"})
        err = await a.expect_type("err")
        assert err["code"] == "rate_limited" and "c" not in err
        # All of A's messages are handled: C's view now goes out with or after every view of
        # A's that was kept.
        await c.send({"t": "view", "vp": [1, 1, 2, 2]})
        cid = c.welcome["me"]
        last = await b.expect(
            lambda m: _presence("view")(m) and any(v[0] == cid for v in m["view"])
        )
        views = [
            v
            for m in [*b.inbox, last]
            if m["t"] == "presence"
            for v in m.get("view", [])
            if v[0] == a.welcome["me"]
        ]
        assert views and views[-1][3] == 103.5
        assert not any(m["t"] == "summon" for m in b.inbox)
