"""The cluster (``whiteboard/cluster/``): two processes' worth of Redis clusters on a real
``redis-server`` agreeing on a board, and the one-process cluster that has nothing to agree on.

The scale-out server tests (``tests/redis``) show the whole behaviour through sockets; these pin
the interface itself, which the live boards call by name."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import msgpack
import pytest
import tornado.ioloop

from tests.redis.redis_server import RedisServer
from whiteboard.cluster.redis import RedisCluster, presence_channel
from whiteboard.cluster.solo import SoloCluster
from whiteboard.store.base import LogRow
from whiteboard.store.redis import RedisStore, key

pytestmark = pytest.mark.gen_test(timeout=30)

BOARD = "b"


def row(first: int, last: int) -> LogRow:
    ops = [{"k": "del", "ids": [f"e{s}"], "s": s, "by": 1, "c": s} for s in range(first, last + 1)]
    return LogRow(first, last, 1000 + first, msgpack.packb(ops))


class Process:
    """What one server process holds: a store and the cluster over its connection."""

    def __init__(self, url: str) -> None:
        self.store = RedisStore(url)
        self.cluster = RedisCluster(self.store)
        self.rows: asyncio.Queue[tuple[str, LogRow]] = asyncio.Queue()
        self.presence: asyncio.Queue[tuple[str, dict[str, Any]]] = asyncio.Queue()

    async def start(self) -> None:
        await self.store.start()
        await self.cluster.start()
        self.listen()

    def listen(self) -> None:
        self.cluster.listen(
            lambda b, r: self.rows.put_nowait((b, r)),
            lambda b, e: self.presence.put_nowait((b, e)),
        )

    async def close(self) -> None:
        await self.cluster.close()
        await self.store.close()


@pytest.fixture
def two(
    io_loop: tornado.ioloop.IOLoop, redis_server: RedisServer
) -> Iterator[tuple[Process, Process]]:
    async def start() -> tuple[Process, Process]:
        a, b = Process(redis_server.url), Process(redis_server.url)
        await a.store.start()
        await a.store.r.flushdb()
        await a.cluster.start()
        a.listen()
        await b.start()
        return a, b

    a, b = io_loop.run_sync(start)
    yield a, b
    io_loop.run_sync(a.close)
    io_loop.run_sync(b.close)


async def subscribed(p: Process, board: str) -> None:
    """Subscribe, and wait until Redis counts the subscription (so nothing published after
    this can miss it): each check is one round trip, no timed sleep."""
    await p.cluster.subscribe(board)
    for _ in range(1000):
        counts = dict(await p.store.r.pubsub_numsub(presence_channel(board)))
        if counts.get(presence_channel(board).encode(), 0) > 0:
            return
    raise AssertionError("the subscription never registered")


async def test_the_lock_returns_what_others_appended_and_append_releases_it(
    two: tuple[Process, Process],
) -> None:
    a, b = two
    assert await a.cluster.lock(BOARD, 0, []) == ([], set())
    assert await a.store.r.get(key(BOARD, "lock")) == a.cluster.process.encode()
    waiting = asyncio.ensure_future(b.cluster.lock(BOARD, 0, []))
    await b.cluster.unlock(BOARD)  # not b's to give back: a still holds it
    assert await a.store.r.get(key(BOARD, "lock")) == a.cluster.process.encode()
    await a.store.append(BOARD, row(1, 2))  # gives a's lock back in the same script
    rows, retired = await waiting
    assert (rows, retired) == ([row(1, 2)], set()), "b judges after a's row, never before"
    await b.cluster.unlock(BOARD)
    assert await a.store.r.get(key(BOARD, "lock")) is None
    assert await a.cluster.lock(BOARD, 2, []) == ([], set())
    await a.cluster.unlock(BOARD)


async def test_retire_needs_the_token_and_marks_the_author_at_the_next_lock(
    two: tuple[Process, Process],
) -> None:
    a, b = two
    await a.cluster.peer_joined(BOARD, {"id": 7, "name": "Ana", "color": "#e03131"}, "secret")
    assert not await b.cluster.retire(BOARD, 7, "guess")
    assert not await b.cluster.retire(BOARD, 8, "secret")
    assert await b.cluster.retire(BOARD, 7, "secret")
    assert not await b.cluster.retire(BOARD, 7, "secret"), "a token proves once"
    _, retired = await a.cluster.lock(BOARD, 0, [7, 9])
    assert retired == {7}
    await a.cluster.unlock(BOARD)


async def test_presence_and_rows_reach_the_other_process(two: tuple[Process, Process]) -> None:
    a, b = two
    await subscribed(b, BOARD)
    await a.cluster.publish_presence(BOARD, {"c": [[7, 1.5, -2.0]]})
    board, event = await asyncio.wait_for(b.presence.get(), 5)
    assert (board, event) == (BOARD, {"c": [[7, 1.5, -2.0]], "p": a.cluster.process})
    await a.store.append(BOARD, row(1, 3))
    assert await asyncio.wait_for(b.rows.get(), 5) == (BOARD, row(1, 3))


async def test_remote_peers_come_and_go_with_their_process(two: tuple[Process, Process]) -> None:
    a, b = two
    info = {"id": 7, "name": "Ana", "color": "#e03131"}
    await subscribed(b, BOARD)
    await a.cluster.peer_joined(BOARD, info, "secret")
    assert await asyncio.wait_for(b.presence.get(), 5) == (
        BOARD,
        {"j": [7, "Ana", "#e03131"], "p": a.cluster.process},
    )
    assert await b.cluster.remote_peers(BOARD) == {7: (info, a.cluster.process)}
    assert await a.cluster.remote_peers(BOARD) == {}, "its own clients are not remote"
    assert {a.cluster.process, b.cluster.process} <= await b.cluster.live_processes()
    await a.cluster.peers_left(BOARD, [7])
    assert await asyncio.wait_for(b.presence.get(), 5) == (
        BOARD,
        {"l": [7], "p": a.cluster.process},
    )
    assert await b.cluster.remote_peers(BOARD) == {}
    # A process that leaves the cluster takes its clients with it.
    await a.cluster.peer_joined(BOARD, info, "secret")
    await a.cluster.close()
    assert a.cluster.process not in await b.cluster.live_processes()
    assert await b.cluster.remote_peers(BOARD) == {}


async def test_solo_has_nothing_to_agree_on() -> None:
    solo = SoloCluster()
    await solo.start()
    assert not solo.shared
    assert await solo.lock(BOARD, 5, [1, 2]) == ([], set())
    await solo.unlock(BOARD)
    assert not await solo.retire(BOARD, 1, "token")
    await solo.subscribe(BOARD)
    await solo.peer_joined(BOARD, {"id": 1, "name": "Ana", "color": "#e03131"}, "token")
    assert await solo.remote_peers(BOARD) == {}
    assert await solo.live_processes() == {solo.process}
    await solo.close()
