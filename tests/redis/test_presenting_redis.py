"""Viewports, laser points and summons: the server tests again in Redis mode (one process), then
across two server processes sharing one Redis."""

from __future__ import annotations

import pytest

from tests.redis.test_processes import servers
from tests.server.conftest import connect, rect
from tests.server.subprocess_server import ServerProcess
from tests.server.test_presenting import *  # noqa: F403
from tests.server.test_presenting import _log, _presence

__all__ = ["servers"]


@pytest.mark.gen_test(timeout=90)
async def test_views_lasers_and_summons_cross_processes(servers: list[ServerProcess]) -> None:
    one, two = servers[0].url, servers[1].url
    board = "presenting"
    a = await connect(one, board, "Ana")
    b = await connect(two, board, "Bob")
    c = await connect(one, board, "Cid")
    me = a.welcome["me"]
    await b.expect(lambda m: _presence("join")(m) and m["join"][0]["name"] == "Cid")

    await a.send({"t": "view", "vp": [0, 0, 100, 50]})
    got = await b.expect(_presence("view"))
    assert got["view"] == [[me, 0, 0, 100, 50]]

    await a.send({"t": "cursor", "x": 1, "y": 2, "laser": True})
    await a.send({"t": "cursor", "x": 3, "y": 4, "laser": True})
    points: list[list[float]] = []
    while len(points) < 2:
        points += (await b.expect(_presence("laser")))["laser"]
    assert points == [[me, 1, 2], [me, 3, 4]]

    await a.send({"t": "summon"})
    for cl in (b, c):
        assert await cl.expect_type("summon") == {"t": "summon", "by": me, "vp": [0, 0, 100, 50]}

    # A joiner on the other process hears of A's view in its welcome.
    d = await connect(two, board, "Dee")
    (ana,) = [p for p in d.welcome["peers"] if p["id"] == me]
    assert ana["vp"] == [0, 0, 100, 50]

    (op,) = await a.ops({"k": "add", "e": rect("marker")})
    await a.acked(op)
    assert [o["e"]["id"] for o in await _log(two, board)] == ["marker"]
