"""test_metrics, run again with the Redis store (one process)."""

from tests.server.test_metrics import *  # noqa: F403
