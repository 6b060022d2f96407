"""test_reliability, run again with the Redis store."""

from tests.server.test_reliability import *  # noqa: F403
