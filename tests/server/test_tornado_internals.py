"""socket.py writes prebuilt frames straight to the socket of Tornado's IOStream when nothing is
queued, and relies on the stream's public write limit for a client's backlog. This test fails
when a Tornado upgrade changes what that relies on, before the fan-out silently breaks."""

from __future__ import annotations

import socket

import pytest
import tornado
from tornado.iostream import IOStream, StreamBufferFullError

from tests.server.conftest import connect, rect
from whiteboard import protocol
from whiteboard.live.wsframe import ws_frame
from whiteboard.web.connections import Connections
from whiteboard.web.socket import BoardSocket

pytestmark = pytest.mark.gen_test(timeout=30)


def test_tornado_version_is_the_pinned_one() -> None:
    assert tornado.version == "6.6.1"


async def test_stream_api_used_by_the_fan_out(
    url: str, board: str, connections: Connections
) -> None:
    a = await connect(url, board)
    (sock,) = connections.open
    assert isinstance(sock, BoardSocket) and sock.ws_connection is not None
    stream = sock.ws_connection.stream
    assert type(stream) is IOStream  # the direct-send fast path is taken only for plain streams
    assert isinstance(stream.socket, socket.socket)
    assert stream.max_write_buffer_size is None  # no limit but while we write (socket.py)
    assert not stream.writing()
    # The fast path sends straight to the socket: nothing is left queued in the stream.
    (c,) = await a.ops({"k": "add", "e": rect("r")})
    await a.acked(c)
    assert not stream.writing()
    # A write that would take the buffer past the limit is refused, and leaves it as it was.
    stream.max_write_buffer_size = 0
    with pytest.raises(StreamBufferFullError):
        stream.write(ws_frame(protocol.encode_err("bad_message", "too much")))
    stream.max_write_buffer_size = None
    assert not stream.writing()
    stream.write(ws_frame(protocol.encode_err("bad_message", "probe")))
    probe = await a.expect_type("err")
    assert probe["msg"] == "probe"
