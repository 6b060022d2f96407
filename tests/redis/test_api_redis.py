"""test_api, run again with the Redis store."""

from tests.server.test_api import *  # noqa: F403
