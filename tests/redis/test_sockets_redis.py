"""The WebSocket contract, run again with the Redis store (one process)."""

from tests.server.test_sockets import *  # noqa: F403
