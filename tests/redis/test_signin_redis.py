"""test_signin, run again with the Redis store: owners, shares and logins live in Redis."""

from collections.abc import Iterator

import pytest

from tests.redis.redis_server import RedisServer, skip_without_redis_server
from tests.server.subprocess_server import ServerProcess
from tests.server.test_signin import *  # noqa: F403
from tests.server.test_signin import running_site

skip_without_redis_server()
del test_without_sign_in_nothing_changes  # noqa: F821 (no store involved: run once, in test_signin)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    redis = RedisServer(tmp_path_factory.mktemp("redis"))
    try:
        yield from running_site(str(tmp_path_factory.mktemp("signin")), "--redis", redis.url)
    finally:
        redis.stop()
