"""test_compact, run again with the Redis store."""

from tests.server.test_compact import *  # noqa: F403
