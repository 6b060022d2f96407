"""test_blobs, run again with the Redis store."""

from tests.server.test_blobs import *  # noqa: F403
