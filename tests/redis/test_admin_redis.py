"""test_admin, run again with the Redis store."""

from tests.server.test_admin import *  # noqa: F403
