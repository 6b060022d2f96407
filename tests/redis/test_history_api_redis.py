"""test_history_api, run again with the Redis store."""

from tests.server.test_history_api import *  # noqa: F403
