"""Scale-out fixtures: a real redis-server per session, and the server fixtures of
``tests/server`` with the store and the cluster swapped for Redis, so the same tests run in both
modes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import tornado.ioloop

from tests.redis.redis_server import RedisServer, skip_without_redis_server
from tests.server.conftest import *  # noqa: F403 (the same fixtures, one overridden below)

# Autouse fixtures start with _ and are not star-imported: without these, clients of a test
# would be left open for the next one and errors in the log would pass unnoticed.
from tests.server.conftest import _close_clients, _no_errors_logged  # noqa: F401
from whiteboard.cluster.redis import RedisCluster
from whiteboard.config import Settings
from whiteboard.live.registry import Hub
from whiteboard.store.redis import RedisStore

skip_without_redis_server()


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    yield server
    server.stop()


@pytest.fixture
def store(
    io_loop: tornado.ioloop.IOLoop, settings: Settings, redis_server: RedisServer
) -> Iterator[RedisStore]:
    s = RedisStore(redis_server.url)
    io_loop.run_sync(s.start)
    io_loop.run_sync(s.r.flushdb)
    yield s
    io_loop.run_sync(s.close)


@pytest.fixture
def cluster(io_loop: tornado.ioloop.IOLoop, store: RedisStore) -> Iterator[RedisCluster]:
    c = RedisCluster(store)
    io_loop.run_sync(c.start)
    yield c
    io_loop.run_sync(c.close)  # before the store, whose connection it uses


@pytest.fixture
def hub(
    io_loop: tornado.ioloop.IOLoop, store: RedisStore, settings: Settings, cluster: RedisCluster
) -> Iterator[Hub]:
    h = Hub(store, settings, cluster)
    yield h
    io_loop.run_sync(h.shutdown)  # no tick may be left pending when the loop closes


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    return redis_server.url


__all__ = ["Path"]
