"""Joining or resuming while others draw fast: every op exactly once, in order, no gap.

This is where a whiteboard most easily loses or doubles a stroke, so it is tested hard: the
drawers never wait for acknowledgements, and the joiners come and go in the middle of it.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.server.conftest import Client, connect, pen
from whiteboard.config import Settings

pytestmark = pytest.mark.gen_test(timeout=60)

DRAWERS = 3
OPS_EACH = 400


async def _draw(cl: Client, tag: str, stop: asyncio.Event | None = None) -> None:
    """A pen stroke per drawer: one add, then appends, as fast as the socket takes them."""
    await cl.ops({"k": "add", "e": pen(f"s-{tag}")})
    for i in range(OPS_EACH - 1):
        await cl.ops({"k": "append", "id": f"s-{tag}", "pts": [1, i % 3]})
        if i % 20 == 0:
            await asyncio.sleep(0)  # let the joiners interleave with the drawing


class Tracker:
    """What one reader has applied: the seqs it saw, from welcome and ops frames."""

    def __init__(self) -> None:
        self.seqs: list[int] = []
        self.head = 0

    def take_welcome(self, w: dict[str, Any]) -> None:
        if w["ops"] is not None:
            for op in w["ops"]:
                assert "ts" in op
                self.add(op["s"])
        else:
            self.head = w["seq"]  # a snapshot: everything up to seq is included
        assert self.head == w["seq"], (self.head, w["seq"])

    def add(self, s: int) -> None:
        assert s == self.head + 1, f"gap or duplicate: got {s} after {self.head}"
        self.seqs.append(s)
        self.head = s

    async def read_until(self, cl: Client, head: int) -> None:
        while self.head < head:
            msg = await cl.expect_type("ops", timeout=10)
            for op in msg["ops"]:
                self.add(op["s"])


async def test_joiners_and_resumers_get_every_op_once(url: str, board: str) -> None:
    drawers = [await connect(url, board, f"d{i}") for i in range(DRAWERS)]
    total = DRAWERS * OPS_EACH
    drawing = asyncio.gather(*(_draw(cl, str(i)) for i, cl in enumerate(drawers)))

    # A resumer: reads a while, drops, comes back with `since`, several times.
    async def resumer() -> Tracker:
        t = Tracker()
        cl = await connect(url, board, "resumer")
        t.take_welcome(cl.welcome)
        for _ in range(6):
            await t.read_until(cl, min(total, t.head + 50))
            await cl.close()
            cl = await connect(url, board, "resumer", since=t.head)
            t.take_welcome(cl.welcome)
        await t.read_until(cl, total)
        return t

    # Fresh joiners arriving mid-drawing: their welcome plus what follows must be gapless.
    async def joiner(delay_ops: int) -> Tracker:
        t = Tracker()
        probe = await connect(url, board, "probe")
        while probe.welcome["seq"] < delay_ops and probe.welcome["seq"] < total:
            await probe.close()
            await asyncio.sleep(0.005)
            probe = await connect(url, board, "probe")
        t.take_welcome(probe.welcome)
        await t.read_until(probe, total)
        return t

    results = await asyncio.gather(resumer(), joiner(100), joiner(600), joiner(1000))
    await drawing
    for t in results:
        assert t.head == total
    # The resumer saw each op after its first welcome exactly once.
    r = results[0]
    assert r.seqs == list(range(r.seqs[0], total + 1))


async def test_resume_at_head_gets_empty_ops(url: str, board: str) -> None:
    a = await connect(url, board)
    cs = await a.ops({"k": "add", "e": pen("p")})
    await a.acked(cs[0])
    b = await connect(url, board, since=1)
    assert b.welcome["ops"] == [] and b.welcome["elements"] is None


async def test_resume_above_head_gets_elements(url: str, board: str) -> None:
    a = await connect(url, board)
    cs = await a.ops({"k": "add", "e": pen("p")})
    await a.acked(cs[0])
    b = await connect(url, board, since=99)
    assert b.welcome["ops"] is None and [e["id"] for e in b.welcome["elements"]] == ["p"]


class TestShortMemory:
    """A board that remembers only 5 recent ops for resuming clients."""

    @pytest.fixture
    def settings(self, tmp_path: Any) -> Settings:
        return Settings(data=str(tmp_path / "data"), tick_ms=2, resume_ops=5)

    async def test_resume_too_old_gets_elements(self, url: str, board: str) -> None:
        a = await connect(url, board)
        for i in range(30):  # one tick each, so the memory can drop whole ticks
            (c,) = await a.ops({"k": "add", "e": pen(f"p{i}")})
            await a.acked(c)
        b = await connect(url, board, since=1)
        assert b.welcome["ops"] is None and len(b.welcome["elements"]) == 30
        c = await connect(url, board, since=27)
        assert [op["s"] for op in c.welcome["ops"]] == [28, 29, 30]


async def test_a_resume_with_prev_retires_the_old_connection(url: str, board: str) -> None:
    """Ops the old socket delivers late must not be committed after the new welcome."""
    old = await connect(url, board, "me")
    watcher = await connect(url, board, "w")
    (c,) = await old.ops({"k": "add", "e": pen("p")})
    await old.acked(c)
    prev = {"id": old.welcome["me"], "token": old.welcome["token"]}
    new = await connect(url, board, "me", since=1, prev=prev)
    assert new.welcome["ops"] == []
    assert await old.expect_close() == 1000
    leave = await watcher.expect(lambda m: m["t"] == "presence" and "leave" in m)
    assert leave["leave"] == [old.welcome["me"]]
    (c2,) = await new.ops({"k": "append", "id": "p", "pts": [5, 5]})
    sop = await new.acked(c2)
    assert sop["s"] == 2  # nothing from the old socket came in between


async def test_prev_with_a_wrong_token_retires_nobody(url: str, board: str) -> None:
    a = await connect(url, board, "a")
    await connect(url, board, "b", prev={"id": a.welcome["me"], "token": "guess"})
    (c,) = await a.ops({"k": "add", "e": pen("still-here")})
    await a.acked(c)


async def test_welcome_snapshot_carries_first_add_seqs(url: str, board: str) -> None:
    a = await connect(url, board)
    for op in (
        {"k": "add", "e": pen("x")},
        {"k": "add", "e": {**pen("y"), "z": -1}},
        {"k": "delete", "ids": ["x"]},
        {"k": "add", "e": pen("x")},
    ):
        (c,) = await a.ops(op)
        await a.acked(c)
    b = await connect(url, board)
    assert [e["id"] for e in b.welcome["elements"]] == ["y", "x"]
    assert b.welcome["first"] == [2, 1]  # a re-added id keeps its first place
