"""``python -m whiteboard.admin --redis``: on Redis directly, while a server serves the board."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.server.conftest import connect, fetch
from tests.server.subprocess_server import ServerProcess
from tests.server.test_admin_command import admin_cmd, draw

pytestmark = pytest.mark.gen_test(timeout=60)


async def test_the_command_on_redis(tmp_path: Path, redis_url: str) -> None:
    server = ServerProcess(str(tmp_path / "data"), "--redis", redis_url, "--redis-volatile").start()
    try:
        await draw(server.url, "redis-board")
        watcher = await connect(server.url, "redis-board")
        code, out, _ = await admin_cmd("--redis", redis_url, "list")
        assert code == 0 and "redis-board" in out
        code, _, err = await admin_cmd("--redis", redis_url, "delete", "redis-board")
        assert code == 0, err
        assert await watcher.expect_close() == 1008, "the server heard it on Redis"
        assert (await fetch(server.url, "/api/boards/redis-board")).code == 410
        code, _, _ = await admin_cmd("--redis", redis_url, "purge", "redis-board")
        assert code == 0
        snap = json.loads((await fetch(server.url, "/api/boards/redis-board")).body)
        assert snap["seq"] == 0
    finally:
        server.proc.terminate()  # type: ignore[union-attr]
        server.wait()
