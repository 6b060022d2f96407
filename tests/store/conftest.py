"""The store contract's fixtures: each test runs once on SQLite in a temporary directory and
once on a real ``redis-server`` (one per session, flushed before each test)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import tornado.ioloop

from tests.redis.redis_server import REDIS_SERVER, RedisServer
from whiteboard.store.base import Store
from whiteboard.store.redis import RedisStore
from whiteboard.store.sqlite import SQLiteStore


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    if REDIS_SERVER is None:
        pytest.skip(
            "redis-server is not installed: the store contract cannot run on Redis "
            "(apt-get install redis-server; .ci/run does it)"
        )
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    yield server
    server.stop()


def open_store(kind: str, where: str) -> Store:
    """A store of ``kind`` on ``where`` (a data directory, or a Redis URL)."""
    return SQLiteStore(where) if kind == "sqlite" else RedisStore(where)


@pytest.fixture(params=["sqlite", "redis"])
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def where(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    if kind == "sqlite":
        return str(tmp_path / "data")
    server: RedisServer = request.getfixturevalue("redis_server")
    return server.url


@pytest.fixture
def store(io_loop: tornado.ioloop.IOLoop, kind: str, where: str) -> Iterator[Store]:
    s = open_store(kind, where)
    io_loop.run_sync(s.start)
    if isinstance(s, RedisStore):
        io_loop.run_sync(s.r.flushdb)
    yield s
    io_loop.run_sync(s.close)
