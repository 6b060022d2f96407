"""A board nobody edits, held only by connections that said hello, does not stay in memory for
ever while memory is wanted (issue 12): its connections are closed with 1001, it unloads."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.server.conftest import connect, rect
from whiteboard.config import Settings
from whiteboard.live import budget
from whiteboard.live.registry import Hub

pytestmark = pytest.mark.gen_test(timeout=30)


@pytest.fixture
def settings(tmp_path: Any) -> Settings:
    return Settings(data=str(tmp_path / "data"), tick_ms=2, idle_unload_s=60)


async def test_an_idle_board_lets_go_of_its_hello_only_connections(
    url: str, board: str, hub: Hub, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(budget, "IDLE_BOARD_S", 0.3)
    monkeypatch.setattr(budget, "SWEEP_EVERY_S", 0.1)
    monkeypatch.setattr(budget, "UNLOAD_AT", 0.0)  # memory is wanted (any board is too much)
    busy = await connect(url, "busy")
    idle = await connect(url, board)
    assert hub.budget.holding_much()
    for i in range(8):  # the busy board goes on being edited meanwhile
        await busy.ops({"k": "add", "e": rect(f"r{i}")})
        await busy.expect_type("ops")
        await asyncio.sleep(0.1)
    assert await idle.expect_close(timeout=5) == 1001
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 5
    while hub.loaded(board) is not None:  # no client left: it unloads at once
        assert loop.time() < deadline
        await asyncio.sleep(0.05)
    assert hub.loaded("busy") is not None and not busy.closed_code
