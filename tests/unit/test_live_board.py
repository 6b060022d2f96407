"""The tick without sockets: a Board on a real SQLite store, its clients fake transports.

Each tick is run to its end with ``board.ticker.flush``, so every test is deterministic and
takes milliseconds: no socket, no wait for a timer.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import tornado.ioloop

from tests.live import FakeTransport
from whiteboard.config import Settings
from whiteboard.keys import hash_key
from whiteboard.live.board import Board
from whiteboard.live.replica import Solo
from whiteboard.live.session import Session
from whiteboard.protocol import Hello
from whiteboard.store.base import LoadedBoard
from whiteboard.store.sqlite import SQLiteStore

pytestmark = pytest.mark.gen_test(timeout=10)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data=str(tmp_path / "data"), tick_ms=1, checkpoint_every=5)


@pytest.fixture
def store(io_loop: tornado.ioloop.IOLoop, settings: Settings) -> Iterator[SQLiteStore]:
    s = SQLiteStore(settings.data)
    io_loop.run_sync(s.start)
    yield s
    io_loop.run_sync(s.close)


class Owner:
    """What the board tells its owner (the Hub in the server)."""

    def __init__(self) -> None:
        self.idle: list[Board] = []
        self.failed: list[Board] = []


@pytest.fixture
def owner() -> Owner:
    return Owner()


@pytest.fixture
def board(
    io_loop: tornado.ioloop.IOLoop, store: SQLiteStore, settings: Settings, owner: Owner
) -> Iterator[Board]:
    async def load() -> Board:
        loaded = await store.load("b")
        return Board(
            "b",
            loaded,
            store,
            settings,
            Solo("b", store),
            on_idle=owner.idle.append,
            on_failed=owner.failed.append,
        )

    b = io_loop.run_sync(load)
    yield b
    io_loop.run_sync(b.drain)


async def join(
    board: Board, name: str, since: int | None = None, compact: bool = False
) -> tuple[Session, FakeTransport]:
    """A client that joined and got its welcome (which ``take`` then clears)."""
    transport = FakeTransport()
    session = await board.join(transport, Hello(name, since, compact=compact))
    await board.ticker.flush(10)
    (welcome,) = transport.take()
    assert welcome["t"] == "welcome" and welcome["me"] == session.client_id
    return session, transport


def rect(eid: str, c: int) -> dict[str, Any]:
    return {"k": "add", "c": c, "e": {"id": eid, "type": "rect", "x": 0, "y": 0, "w": 5, "h": 5,
            "stroke": "#112233", "width": 1}}  # fmt: skip


async def test_a_tick_is_judged_once_and_each_client_gets_one_frame(board: Board) -> None:
    a, ta = await join(board, "a")
    b, tb = await join(board, "b", compact=True)
    ta.take()  # b's join
    board.submit(a, [rect("r1", 1)])
    board.submit(b, [rect("r2", 1)])
    board.submit(a, [rect("r3", 2)])
    await board.ticker.flush(10)
    # One write each, however many ops and authors: the tick's row in one frame.
    assert ta.writes == 1 and tb.writes == 1
    assert [(op["s"], op["by"], op["c"]) for op in ta.ops()] == [
        (1, a.client_id, 1),
        (2, b.client_id, 1),
        (3, a.client_id, 2),
    ]
    assert tb.ops() == ta.ops()  # compact frames say the same
    assert board.committed_seq == board.doc.seq == 3


async def test_a_refused_op_goes_to_its_author_only(board: Board) -> None:
    a, ta = await join(board, "a")
    b, tb = await join(board, "b")
    board.submit(a, [rect("r", 1)])
    await board.ticker.flush(10)
    ta.take()
    tb.take()
    board.submit(b, [rect("r", 7)])  # the id is taken
    await board.ticker.flush(10)
    assert ta.take() == []
    (err,) = tb.take()
    assert err["t"] == "err" and err["code"] == "exists" and err["c"] == 7
    assert board.doc.seq == 1


async def test_a_join_is_admitted_after_the_ticks_broadcast(board: Board) -> None:
    a, ta = await join(board, "a")
    board.submit(a, [rect("r", 1)])
    tb = FakeTransport()
    b = await board.join(tb, Hello("b", None))  # said hello while the op waits for the same tick
    await board.ticker.flush(10)
    # The welcome holds the op; b gets no frame for it, a gets it before b's join.
    (welcome,) = tb.take()
    assert welcome["seq"] == 1 and [e["id"] for e in welcome["elements"]] == ["r"]
    assert [p["id"] for p in welcome["peers"]] == [a.client_id]
    ops, presence = ta.take()
    assert ops["t"] == "ops" and ops["ops"][0]["s"] == 1
    assert presence == {"t": "presence", "join": [b.info()]}


async def test_ops_sent_before_the_welcome_are_judged_after_it(board: Board) -> None:
    transport = FakeTransport()
    session = await board.join(transport, Hello("a", None))
    board.submit(session, [rect("early", 3)])
    await board.ticker.flush(10)
    welcome, ops = transport.take()
    assert welcome["t"] == "welcome" and welcome["seq"] == 0
    assert [(op["e"]["id"], op["c"], op["by"]) for op in ops["ops"]] == [
        ("early", 3, session.client_id)
    ]


async def test_a_client_coming_back_gets_only_what_it_missed(board: Board) -> None:
    a, _ta = await join(board, "a")
    board.submit(a, [rect("r1", 1)])
    await board.ticker.flush(10)
    board.submit(a, [rect("r2", 2)])
    await board.ticker.flush(10)
    transport = FakeTransport()
    await board.join(transport, Hello("b", 1))
    await board.ticker.flush(10)
    (welcome,) = transport.take()
    assert welcome["elements"] is None and "first" not in welcome
    assert [(op["s"], op["e"]["id"]) for op in welcome["ops"]] == [(2, "r2")]


async def test_cursors_are_coalesced_per_tick_and_never_echoed(board: Board) -> None:
    a, ta = await join(board, "a")
    _b, tb = await join(board, "b")
    ta.take()
    for x in range(5):
        board.cursor(a, x, 2 * x)
    await board.ticker.flush(10)
    assert ta.take() == []
    assert tb.take() == [{"t": "presence", "cur": [[a.client_id, 4, 8]]}]


async def test_a_leave_reaches_the_others_and_the_last_tells_the_owner(
    board: Board, owner: Owner
) -> None:
    a, _ta = await join(board, "a")
    b, tb = await join(board, "b")
    board.submit(a, [rect("r", 1)])
    board.leave(a)  # its queued op goes with it
    await board.ticker.flush(10)
    assert tb.take() == [{"t": "presence", "leave": [a.client_id]}]
    assert board.doc.seq == 0 and owner.idle == []
    board.leave(b)
    assert owner.idle == [board] and board.idle()


async def test_a_reconnect_with_prev_replaces_the_old_connection(board: Board) -> None:
    a, ta = await join(board, "a")
    b, tb = await join(board, "b")
    again = FakeTransport()
    a2 = await board.join(again, Hello("a", 0, prev=(a.client_id, a.token)))
    assert ta.closed is not None and ta.closed[0] == 1000
    assert a.client_id not in board.peers and a2.client_id != a.client_id
    wrong = FakeTransport()
    await board.join(wrong, Hello("x", None, prev=(b.client_id, "not its token")))
    assert tb.closed is None and b.client_id in board.peers


async def test_client_ids_count_on_from_the_stored_ones(
    board: Board, store: SQLiteStore, settings: Settings
) -> None:
    a, _ = await join(board, "a")
    b, _ = await join(board, "b")
    assert (a.client_id, b.client_id) == (1, 2)
    again = Board("b", await store.load("b"), store, settings, Solo("b", store))
    assert (await again.replica.client_id()) == 3


async def test_a_checkpoint_is_written_every_checkpoint_every_ops(board: Board) -> None:
    a, _ = await join(board, "a")
    for i in range(7):
        board.submit(a, [rect(f"r{i}", i)])
        await board.ticker.flush(10)
    assert board.checkpoint_seq == 5


async def test_drain_awaits_the_tick_in_flight(board: Board) -> None:
    a, _ta = await join(board, "a")
    board.submit(a, [rect("r", 1)])
    await board.drain()
    assert board.committed_seq == 1 and board.checkpoint_seq == 1
    board.submit(a, [rect("late", 2)])  # no tick after a drain
    await board.ticker.flush(10)
    assert board.doc.seq == 1


async def test_a_tick_the_store_refuses_is_undone_and_refused_to_its_author(
    board: Board, store: SQLiteStore
) -> None:
    a, ta = await join(board, "a")
    b, tb = await join(board, "b")
    ta.take()
    await store.close()  # every append fails from now on, as on a full disk
    board.submit(a, [rect("r", 1)])
    await board.ticker.flush(10)
    (err,) = ta.take()
    assert err["t"] == "err" and err["code"] == "read_only" and err["c"] == 1
    assert tb.take() == [] and board.doc.seq == 0 and board.doc.elements() == []
    board.submit(b, [rect("s", 2)])  # refused at once while read-only: the store is not tried
    await board.ticker.flush(10)
    assert [m["code"] for m in tb.take()] == ["read_only"]


async def test_a_store_that_cannot_even_undo_the_tick_drops_the_board(
    board: Board, store: SQLiteStore, owner: Owner
) -> None:
    a, ta = await join(board, "a")
    board.submit(a, [rect("r", 1)])
    await board.ticker.flush(10)
    await store.close()  # the undo reads the store: it fails too
    board.submit(a, [rect("s", 2)])
    await board.ticker.flush(10)
    assert owner.failed == [board]
    assert ta.closed is not None and ta.closed[0] == 1011
    assert not board.peers and board.ticker.closed


async def test_a_protected_board_is_read_only_without_its_key(
    store: SQLiteStore, settings: Settings
) -> None:
    board = Board(
        "p", LoadedBoard(None, key_hash=hash_key("s3cret")), store, settings, Solo("p", store)
    )
    viewer, editor = FakeTransport(), FakeTransport()
    v = await board.join(viewer, Hello("v", None))
    e = await board.join(editor, Hello("e", None, key="s3cret"))
    await board.ticker.flush(10)
    assert (v.readonly, e.readonly) == (True, False)
    assert viewer.of_type("welcome")[0]["readonly"] is True
    assert editor.of_type("welcome")[0]["readonly"] is False
    await board.drain()
