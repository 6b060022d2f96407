"""socket.py writes prebuilt frames straight to Tornado's IOStream and reads its write counters
to measure each client's backlog. Those are internals: this test fails when a Tornado upgrade
changes them, before the fan-out silently breaks."""

from __future__ import annotations

import socket

import pytest
import tornado
from tornado.iostream import IOStream

from tests.server.conftest import connect, rect
from whiteboard import protocol
from whiteboard.hub import Hub
from whiteboard.wsframe import ws_frame

pytestmark = pytest.mark.gen_test(timeout=30)


def test_tornado_version_is_the_pinned_one() -> None:
    assert tornado.version == "6.6.1"


async def test_stream_internals_used_by_the_fan_out(url: str, board: str, hub: Hub) -> None:
    a = await connect(url, board)
    (sock,) = hub.sockets
    stream = sock.ws_connection.stream
    assert type(stream) is IOStream  # the direct-send fast path is taken only for plain streams
    assert isinstance(stream.socket, socket.socket)
    before = stream._total_write_index
    assert stream._total_write_done_index <= before
    # A frame queued through the stream moves both counters (the backlog check reads them).
    stream.write(ws_frame(protocol.encode_err("bad_message", "probe")))
    assert stream._total_write_index > before
    probe = await a.expect_type("err")
    assert probe["msg"] == "probe"
    assert stream._total_write_done_index == stream._total_write_index
    # The fast path sends straight to the socket and leaves the counters alone.
    (c,) = await a.ops({"k": "add", "e": rect("r")})
    await a.acked(c)
    assert stream._total_write_done_index == stream._total_write_index
