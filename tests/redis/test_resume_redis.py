"""test_resume, run again with the Redis store."""

from tests.server.test_resume import *  # noqa: F403
