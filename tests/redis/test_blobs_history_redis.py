"""test_blobs_history, run again with the Redis store."""

from tests.server.test_blobs_history import *  # noqa: F403
