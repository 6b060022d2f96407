"""When a process's lock expired under it (a long pause) and another process appended first,
the tick is judged again on the new head: nothing is lost, nothing forks the log."""

from __future__ import annotations

from typing import Any

import msgpack
import pytest

from tests.server.conftest import connect, rect
from whiteboard.cluster.redis import RedisCluster
from whiteboard.store.base import LogRow
from whiteboard.store.redis import RedisStore

pytestmark = pytest.mark.gen_test(timeout=30)


async def test_a_tick_that_lost_the_race_is_judged_again(
    url: str,
    board: str,
    store: RedisStore,
    cluster: RedisCluster,
    redis_url: str,
    monkeypatch: Any,
) -> None:
    ana = await connect(url, board, "Ana")
    (c,) = await ana.ops({"k": "add", "e": rect("first")})
    await ana.acked(c)

    other = RedisStore(redis_url)  # another process, whose append lands inside our tick
    await other.start()
    real_lock = cluster.lock
    raced = []

    async def lock_then_lose_the_race(
        board_id: str, after: int, authors: list[int]
    ) -> tuple[list[LogRow], set[int]]:
        rows = await real_lock(board_id, after, authors)
        if not raced:
            raced.append(after + 1)
            sop = {"k": "add", "e": rect("theirs", x=50), "s": after + 1, "by": 99, "c": 1}
            await other.append(board_id, LogRow(after + 1, after + 1, 1, msgpack.packb([sop])))
        return rows

    monkeypatch.setattr(cluster, "lock", lock_then_lose_the_race)
    (c,) = await ana.ops({"k": "add", "e": rect("mine", x=100)})
    mine = await ana.acked(c)
    await other.close()

    assert raced == [2]
    assert mine["s"] == 3, "our op comes after the row that won the race"
    theirs = await ana.expect(lambda m: m["t"] == "ops" and m["ops"][0]["s"] == 2)
    assert theirs["ops"][0]["e"]["id"] == "theirs"
    assert await store.head(board) == 3
    ids = [e["id"] for row in await store.read_log(board, 0) for e in _added(row.ops)]
    assert ids == ["first", "theirs", "mine"]


def _added(ops: bytes) -> list[dict[str, Any]]:
    return [sop["e"] for sop in msgpack.unpackb(ops) if sop["k"] == "add"]
