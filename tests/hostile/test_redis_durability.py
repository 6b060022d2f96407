"""Redis that would lose acknowledged ops is refused at start, and lost ops are named."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from tests.hostile.conftest import one_line, run_server
from tests.hostile.test_faults import draw, hello
from tests.redis.redis_server import RedisServer, skip_without_redis_server
from tests.server.conftest import rect
from tests.server.subprocess_server import ServerProcess

skip_without_redis_server()


@pytest.fixture
def volatile_redis(tmp_path: Path) -> Iterator[RedisServer]:
    (tmp_path / "redis").mkdir()
    server = RedisServer(tmp_path / "redis", volatile=True)
    yield server
    server.stop()


def test_redis_without_persistence_is_refused_in_one_line(
    volatile_redis: RedisServer, tmp_path: Path
) -> None:
    result = run_server("--port", "0", "--data", str(tmp_path), "--redis", volatile_redis.url)
    assert result.returncode == 1
    line = one_line(result.stderr)
    assert "appendonly is off" in line and "--redis-volatile" in line


def test_an_evicting_redis_is_refused_in_one_line(tmp_path: Path) -> None:
    (tmp_path / "redis").mkdir()
    server = RedisServer(tmp_path / "redis")
    try:
        redis.Redis.from_url(server.url).config_set("maxmemory-policy", "allkeys-lru")
        result = run_server("--port", "0", "--data", str(tmp_path), "--redis", server.url)
    finally:
        server.stop()
    assert result.returncode == 1
    assert "maxmemory-policy is allkeys-lru" in one_line(result.stderr)


def test_lost_ops_are_named_in_an_error(volatile_redis: RedisServer, tmp_path: Path) -> None:
    srv = ServerProcess(str(tmp_path), "--redis", volatile_redis.url, "--redis-volatile").start()
    try:
        assert "accepted by --redis-volatile" in "".join(srv.log)
        draw(srv.url, "lost", 4)  # acknowledged: seqs 1-4
        redis.Redis.from_url(volatile_redis.url).flushall()  # what a restart without AOF does
        ws = hello(srv.url, "lost")
        ws.send({"t": "ops", "ops": [{"c": 1, "k": "add", "e": rect("after")}]})
        while (msg := ws.recv()) is not None and msg["t"] != "ops":
            pass  # acknowledged on a board started again, or closed: the log says which
        ws.abort()
        srv.terminate()
        srv.wait()
    finally:
        srv.kill()
    assert "ERROR" in srv.output() and "ops 1-4 are lost" in srv.output()
