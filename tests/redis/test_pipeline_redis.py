"""test_pipeline, run again with the Redis store."""

from tests.server.test_pipeline import *  # noqa: F403
