"""Idle boards leave memory in Redis mode too (issue 12: 1-3 % of boards never unloaded)."""

from __future__ import annotations

import asyncio
import os
import signal
from typing import Any

import pytest

from tests.redis.redis_server import RedisServer
from tests.server.conftest import connect, rect
from whiteboard.config import Settings

pytestmark = pytest.mark.gen_test(timeout=30)


async def test_an_unload_that_finds_its_board_ticking_looks_again(
    url: str, board: str, hub: Any, settings: Settings, redis_server: RedisServer
) -> None:
    """The last client leaves while a tick waits on Redis (here Redis is paused, so the tick
    waits for the board's lock): the unload that comes due meanwhile finds the board busy. Nobody
    will say "idle" again, so it must look again, and the board leave memory once the tick ends.
    """
    a = await connect(url, board)
    (c,) = await a.ops({"k": "add", "e": rect("r")})
    await a.acked(c)
    live = hub.loaded(board)
    loop = asyncio.get_running_loop()
    os.kill(redis_server.proc.pid, signal.SIGSTOP)
    try:
        await a.ops({"k": "add", "e": rect("s")})
        deadline = loop.time() + 5
        while not live.ticking:
            assert loop.time() < deadline, "the tick never started"
            await asyncio.sleep(0.005)
        await a.close()
        # The unload comes due idle_unload_s after the leave, while the tick still waits.
        left = loop.time()
        while loop.time() < left + 2 * settings.idle_unload_s:
            assert live.ticking, "the tick ended before the unload came due"
            await asyncio.sleep(0.01)
    finally:
        os.kill(redis_server.proc.pid, signal.SIGCONT)
    deadline = loop.time() + 5
    while hub.loaded(board) is not None:
        assert loop.time() < deadline, "the board stayed in memory after its tick ended"
        await asyncio.sleep(0.02)
