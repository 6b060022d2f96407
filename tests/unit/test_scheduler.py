"""The scheduler of every board (``live/ticker.py``) and the welcomes a tick shares.

Boards on a real SQLite store, clients fake transports: what is checked is what a user would
see (the ops arrive, each welcome is right) and the counts the design promises (one group
commit for many boards, one decode per ``since``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgpack
import pytest
import tornado.ioloop

from tests.live import FakeTransport
from whiteboard.codec import Pieces
from whiteboard.config import Settings
from whiteboard.live.board import Board
from whiteboard.live.replica import Solo
from whiteboard.live.resume import ResumeBuffer
from whiteboard.live.session import Session
from whiteboard.live.ticker import ROUND_GAP_S, scheduler
from whiteboard.live.welcome import Welcomes
from whiteboard.protocol import Hello
from whiteboard.store.sqlite import SQLiteStore

pytestmark = pytest.mark.gen_test(timeout=10)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data=str(tmp_path / "data"), tick_ms=50)


@pytest.fixture
def store(io_loop: tornado.ioloop.IOLoop, settings: Settings) -> Iterator[SQLiteStore]:
    s = SQLiteStore(settings.data)
    io_loop.run_sync(s.start)
    yield s
    io_loop.run_sync(s.close)


async def board(store: SQLiteStore, settings: Settings, name: str) -> Board:
    return Board(name, await store.load(name), store, settings, Solo())


async def join(
    b: Board, name: str, since: int | None = None, compact: bool = False
) -> tuple[Session, FakeTransport]:
    transport = FakeTransport()
    session = await b.join(transport, Hello(name, since, compact=compact))
    await b.ticker.flush(10)
    assert transport.take()[0]["t"] == "welcome"
    return session, transport


def rect(eid: str, c: int) -> dict[str, Any]:
    return {"k": "add", "c": c, "e": {"id": eid, "type": "rect", "x": 0, "y": 0, "w": 5, "h": 5,
            "stroke": "#112233", "width": 1}}  # fmt: skip


async def test_many_boards_share_one_round_and_one_commit(
    store: SQLiteStore, settings: Settings
) -> None:
    boards = [await board(store, settings, f"b{i}") for i in range(20)]
    clients = [await join(b, "a") for b in boards]
    # Each author's first op stores its client row first (a tick of its own): the steady state
    # starts with the second.
    for i, (b, (session, _)) in enumerate(zip(boards, clients, strict=True)):
        b.submit(session, [rect(f"first{i}", 1)])
    for b in boards:
        await b.ticker.flush(10)
    commits, rounds = store.commits, scheduler().rounds
    for i, (b, (session, _)) in enumerate(zip(boards, clients, strict=True)):
        b.submit(session, [rect(f"r{i}", 2)])
    for b in boards:
        await b.ticker.flush(10)
    for i, (_, transport) in enumerate(clients):
        assert [op["e"]["id"] for op in transport.ops()] == [f"first{i}", f"r{i}"]
    assert store.commits - commits == 1  # every board's row in one transaction
    assert scheduler().rounds - rounds == 1
    for b in boards:
        assert (await store.read_log(b.id, 0))[-1].last_seq == 2
        await b.drain()


async def test_an_op_on_a_quiet_board_goes_out_before_tick_ms(
    store: SQLiteStore, settings: Settings, io_loop: tornado.ioloop.IOLoop
) -> None:
    """tick_ms is 50 here: a board of two clients is still not made to wait for it."""
    b = await board(store, settings, "q")
    a, ta = await join(b, "a")
    loop = io_loop.asyncio_loop  # type: ignore[attr-defined]
    for c in range(1, 4):
        ta.take()
        start = loop.time()
        b.submit(a, [rect(f"r{c}", c)])
        await b.ticker.flush(10)
        assert [op["c"] for op in ta.ops()] == [c]
        assert loop.time() - start < 0.04
    await b.drain()


class BusyLoop:
    """A loop load that reads as fully busy (``LoopLoad.share`` 1)."""

    def share(self) -> float:
        return 1.0

    def stretch(self) -> float:
        return 1.0  # the boards' own spacing is not what is tested here


async def test_on_a_busy_loop_rounds_wait_the_gap_for_each_other(
    store: SQLiteStore, settings: Settings, io_loop: tornado.ioloop.IOLoop
) -> None:
    """Ops of many small boards share a round once the loop is busy: a round comes at most
    every ``ROUND_GAP_S``; an idle loop's comes at once (the test above)."""
    b = await board(store, settings, "g")
    a, ta = await join(b, "a")
    b.submit(a, [rect("first", 1)])  # the author's client row: a tick of its own
    await b.ticker.flush(10)
    sched = scheduler()
    loop = io_loop.asyncio_loop  # type: ignore[attr-defined]
    idle, sched.load = sched.load, BusyLoop()  # type: ignore[assignment]
    try:
        rounds, start = sched.rounds, loop.time()
        for c in range(2, 6):
            b.submit(a, [rect(f"r{c}", c)])
            await b.ticker.flush(10)
        took = loop.time() - start
    finally:
        sched.load = idle
    assert [op["c"] for op in ta.ops()] == [1, 2, 3, 4, 5]
    assert sched.rounds - rounds == 4
    assert took >= 3 * ROUND_GAP_S, took  # four rounds, each at least the gap after the last
    await b.drain()


async def test_joiners_with_the_same_since_share_one_decode(
    store: SQLiteStore, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The welcomes of one tick (``Welcomes``, as ``Board._admit_joins`` builds them)."""
    b = await board(store, settings, "s")
    a, _ = await join(b, "a")
    for c in range(1, 4):
        b.submit(a, [rect(f"r{c}", c)])
        await b.ticker.flush(10)
    calls = []
    real = ResumeBuffer.packed_since

    def counted(self: ResumeBuffer, since: int, head: int) -> Pieces | None:
        calls.append(since)
        return real(self, since, head)

    monkeypatch.setattr(ResumeBuffer, "packed_since", counted)
    welcomes = Welcomes(b.id, b.doc, b.recent, settings.limits())
    joiners = [Session(FakeTransport(), 10 + i, "x", "#000000") for i in range(20)]
    frames = [msgpack.unpackb(b"".join(welcomes.encode(s, 0, []))) for s in joiners]
    frames.append(msgpack.unpackb(b"".join(welcomes.encode(joiners[0], 2, []))))
    assert calls == [0, 2]  # one decode per since, however many joiners asked it
    for session, welcome in zip(joiners, frames, strict=False):
        assert welcome["t"] == "welcome" and welcome["seq"] == 3
        assert welcome["me"] == session.client_id and welcome["elements"] is None
        assert [op["e"]["id"] for op in welcome["ops"]] == ["r1", "r2", "r3"]
    assert [op["e"]["id"] for op in frames[-1]["ops"]] == ["r3"]
    await b.drain()


async def test_a_tick_with_ops_and_cursors_is_one_write_to_each_compact_client(
    store: SQLiteStore, settings: Settings
) -> None:
    """Board._end_tick holds what a tick sends each client and writes it once: the ops frame,
    then the presence frame, in that order, PROTOCOL.md clients included."""
    b = await board(store, settings, "w")
    a, ta = await join(b, "a", compact=True)
    c, tc = await join(b, "c", compact=True)
    p, tp = await join(b, "p")
    b.submit(a, [rect("first", 1)])  # an author's first op is a tick of its own (client row)
    await b.ticker.flush(10)
    for t in (ta, tc, tp):
        t.take()
    b.cursor(c, 1.0, 2.0)
    b.submit(a, [rect("second", 2)])
    await b.ticker.flush(10)
    for t in (ta, tc):
        assert t.writes == 1
        first, second = t.messages
        assert isinstance(first, list)  # the compact ops frame
        assert second["t"] == "presence" and second["cur"] == [[c.client_id, 1.0, 2.0]]
        assert [op["e"]["id"] for op in t.ops()] == ["second"]
    assert [m["t"] for m in tp.messages] == ["ops", "presence"]
    assert tp.writes == 1
    for session in (a, c, p):
        assert session.send_frame == session._transport.send_frame  # released
        assert session.send == session._transport.send
    await b.drain()


async def test_a_protocol_clients_own_cursor_frame_is_held_in_its_place(
    store: SQLiteStore, settings: Settings
) -> None:
    """A PROTOCOL.md client that moved gets the cursors without its own, a ``send`` of its own
    rather than the shared frame: held too, it still comes after the ops, in the same write."""
    b = await board(store, settings, "h")
    a, ta = await join(b, "a", compact=True)
    p, tp = await join(b, "p")
    b.submit(a, [rect("first", 1)])
    await b.ticker.flush(10)
    ta.take()
    tp.take()
    b.cursor(a, 1.0, 2.0)
    b.cursor(p, 3.0, 4.0)
    b.submit(a, [rect("second", 2)])
    await b.ticker.flush(10)
    assert tp.writes == 1
    assert [m["t"] for m in tp.messages] == ["ops", "presence"]
    assert tp.messages[1]["cur"] == [[a.client_id, 1.0, 2.0]]
    assert p.send == p._transport.send
    await b.drain()
