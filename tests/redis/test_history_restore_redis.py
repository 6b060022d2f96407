"""test_history_restore, run again with the Redis store."""

from tests.server.test_history_restore import *  # noqa: F403
