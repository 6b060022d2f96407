"""Presence without sockets: joins, leaves and cursors, local and from other processes, turned
into the frames each client gets at a tick."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

import pytest

from tests.live import FakeTransport
from whiteboard import protocol
from whiteboard.live.presence import (
    VIEW_EVERY_MAX_S,
    VIEW_EVERY_S,
    InOrder,
    Presence,
    color_of,
    view_interval,
)
from whiteboard.live.replica import Solo
from whiteboard.live.session import Session


def clients(n: int) -> tuple[dict[int, Session], dict[int, FakeTransport]]:
    transports = {cid: FakeTransport() for cid in range(1, n + 1)}
    peers = {cid: Session(t, cid, f"c{cid}", color_of(cid)) for cid, t in transports.items()}
    return peers, transports


def presence() -> tuple[Presence, list[int]]:
    woken: list[int] = []
    return Presence(Solo(), lambda: woken.append(1)), woken


def test_each_client_gets_every_cursor_but_its_own_in_one_write() -> None:
    p, _ = presence()
    peers, t = clients(3)
    p.cursor(1, 1.0, 2.0)
    p.cursor(1, 3.0, 4.0)  # coalesced: only the last position of the tick goes out
    p.cursor(2, 5.0, 6.0)
    assert p.pending()
    p.flush(peers)
    assert t[1].take() == [{"t": "presence", "cur": [[2, 5.0, 6.0]]}]
    assert t[2].take() == [{"t": "presence", "cur": [[1, 3.0, 4.0]]}]
    assert t[3].take() == [{"t": "presence", "cur": [[1, 3.0, 4.0], [2, 5.0, 6.0]]}]
    assert not p.pending()
    p.flush(peers)  # nothing new: nothing sent
    assert all(tr.take() == [] for tr in t.values())


def test_compact_clients_share_one_frame_of_every_cursor_theirs_included() -> None:
    """The app skips its own cursor: one frame built once for every compact client, so the
    cursors of a tick cost one encode however many people move (docs/protocol.md)."""
    p, _ = presence()
    transports = {cid: FakeTransport() for cid in (1, 2, 3)}
    peers = {
        cid: Session(tr, cid, f"c{cid}", color_of(cid), compact=cid != 3)
        for cid, tr in transports.items()
    }
    for cid in (1, 2, 3):
        p.cursor(cid, float(cid), 0.0)
    p.flush(peers)
    assert all(tr.writes == 1 for tr in transports.values())
    every = [{"t": "presence", "cur": [[1, 1.0, 0.0], [2, 2.0, 0.0], [3, 3.0, 0.0]]}]
    assert transports[1].take() == every
    assert transports[2].take() == every
    assert transports[3].take() == [{"t": "presence", "cur": [[1, 1.0, 0.0], [2, 2.0, 0.0]]}]


@pytest.mark.parametrize(
    ("leave", "cur", "view", "laser"),
    [
        (None, [[1, 1.5, -2]], None, None),
        ([9], [[1, 1.5, -2]], None, None),
        (None, [[1, 1.5, -2], [2, None, None], [300, 1e7, 0.25]], [[4, 0, 0, 1, 1]], None),
        ([7, 8], [[1, 0, 0], [70000, 3, 4]], [[4, 0.5, 0, 1, 1]], [[1, 2, 3], [1, 4, 5]]),
        (None, [[i, i, i] for i in range(1, 40)], None, [[5, 0, 0]]),
    ],
)
def test_presence_frame_splices_exactly_what_encoding_gives(
    leave: list[int] | None,
    cur: list[list[Any]],
    view: list[list[Any]] | None,
    laser: list[list[Any]] | None,
) -> None:
    frame = protocol.PresenceFrame(leave, cur, view, laser)
    assert frame.shared == protocol.encode_presence(leave=leave, cur=cur, view=view, laser=laser)
    for c in cur:
        rest = [x for x in cur if x[0] != c[0]]
        if not (rest or leave or view or laser):
            assert frame.without(c[0]) is None
            continue
        assert frame.holds(c[0])
        assert frame.without(c[0]) == protocol.encode_presence(
            leave=leave, cur=rest, view=view, laser=laser
        )
    assert not frame.holds(12345)
    assert frame.without(12345) == frame.shared


def test_a_leave_goes_out_once_with_the_cursors_of_the_tick() -> None:
    p, _ = presence()
    peers, t = clients(3)
    p.cursor(3, 1.0, 1.0)
    p.left(3)  # its cursor goes with it
    del peers[3]
    p.cursor(1, 0.0, None)
    p.flush(peers)
    assert t[1].take() == [{"t": "presence", "leave": [3]}]
    assert t[2].take() == [{"t": "presence", "leave": [3], "cur": [[1, 0.0, None]]}]
    assert t[3].take() == []


def test_a_join_is_told_to_the_others() -> None:
    p, _ = presence()
    peers, t = clients(2)
    newcomer = Session(FakeTransport(), 9, "new", color_of(9), token="t")
    p.joined(newcomer, peers)
    for tr in t.values():
        assert tr.take() == [{"t": "presence", "join": [newcomer.info()]}]
    assert p.roster(peers) == [peers[1].info(), peers[2].info()]


def test_clients_of_other_processes_join_move_and_leave() -> None:
    p, woken = presence()
    peers, t = clients(1)
    p.heard({"j": [7, "Zed", "#000000"], "p": "other"})
    p.heard({"j": [8, "Yan", "#111111"], "p": "gone"})
    p.heard({"c": [[7, 10, 20], [99, 0, 0]]})  # a cursor of no one known is dropped
    assert len(woken) == 3 and p.pending()
    assert [info["id"] for info in p.roster(peers)] == [1, 7, 8]
    p.flush(peers)
    assert t[1].take() == [
        {"t": "presence", "join": [{"id": 7, "name": "Zed", "color": "#000000"},
                                   {"id": 8, "name": "Yan", "color": "#111111"}]},
        {"t": "presence", "cur": [[7, 10, 20]]},
    ]  # fmt: skip
    assert p.gone({"other"}) == [8]  # its process stopped beating
    p.heard({"l": [7, 42]})  # 42 was never here
    p.flush(peers)
    assert t[1].take() == [{"t": "presence", "leave": [8, 7]}]
    assert p.remote == {}


@pytest.mark.gen_test(timeout=5)
async def test_presence_is_published_in_the_order_it_happened() -> None:
    done: list[str] = []
    first_may_end = asyncio.Event()

    async def message(name: str, wait: bool = False) -> None:
        if wait:
            await first_may_end.wait()
        done.append(name)

    tasks: list[asyncio.Future[None]] = []

    def run(coro: Coroutine[Any, Any, None]) -> asyncio.Future[None]:
        tasks.append(asyncio.ensure_future(coro))
        return tasks[-1]

    out = InOrder("b", run)
    out.publish(message("join", wait=True))  # slow: the leave must not overtake it
    out.publish(message("leave"))
    out.publish(message("cursor"))
    await asyncio.sleep(0)
    assert done == []
    first_may_end.set()
    await asyncio.wait(tasks)
    assert done == ["join", "leave", "cursor"]


def test_views_go_out_less_often_as_the_crowd_grows() -> None:
    """Every view goes to everyone: held longer past 50 people, so that what each receiver
    gets per second stops growing with the crowd (each sender's latest view, coalesced)."""
    assert view_interval(2) == view_interval(50) == VIEW_EVERY_S
    assert view_interval(100) == pytest.approx(2 * VIEW_EVERY_S)
    assert view_interval(200) == pytest.approx(4 * VIEW_EVERY_S)
    assert view_interval(10_000) == VIEW_EVERY_MAX_S
