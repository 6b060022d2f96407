"""socket.py writes prebuilt frames straight to the socket of Tornado's IOStream when nothing is
queued, and relies on the stream's public write limit for a client's backlog. This test fails
when a Tornado upgrade changes what that relies on, before the fan-out silently breaks."""

from __future__ import annotations

import asyncio
import base64
import os
import socket
import struct
from collections.abc import Callable

import msgpack
import pytest
import tornado
from tornado.iostream import StreamBufferFullError

from tests.server.conftest import connect, rect
from whiteboard import protocol
from whiteboard.live.registry import Hub
from whiteboard.live.wsframe import ws_frame
from whiteboard.web.connections import Connections
from whiteboard.web.socket import BoardSocket
from whiteboard.web.wsread import TURN, PushedReads, PushedStream

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
    # The direct-send fast path is taken only for plain streams (wsread swaps in its subclass).
    assert type(stream) is PushedStream and sock._direct
    # The loop calls wsread's handler, not the one Tornado registered during the handshake.
    _, handler = stream.io_loop.handlers[stream.socket.fileno()]  # type: ignore[attr-defined]
    assert handler.__func__ is PushedStream._handle_events
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


def _client_frame(payload: bytes, opcode: int = 0x2, fin: bool = True) -> bytes:
    """A masked client frame (RFC 6455 5.3), with a 16-bit length from 126 bytes on."""
    head = bytes([(0x80 if fin else 0) | opcode])
    n = len(payload)
    head += bytes([0x80 | n]) if n < 126 else bytes([0x80 | 126]) + n.to_bytes(2, "big")
    mask = os.urandom(4)
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


async def _raw_socket(
    url: str, board: str, nodelay: bool = True
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A WebSocket opened by hand, to send frames exactly as the test builds them."""
    host, port = url.removeprefix("http://").rsplit(":", 1)
    reader, writer = await asyncio.open_connection(host, int(port))
    if nodelay:  # each write its own segment
        writer.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    key = base64.b64encode(os.urandom(16)).decode()
    writer.write(
        f"GET /ws/{board} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
        "Sec-WebSocket-Version: 13\r\n\r\n".encode()
    )
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
    assert head.startswith(b"HTTP/1.1 101")
    return reader, writer


async def test_frames_buffered_together_are_read_in_order(
    url: str, board: str, connections: Connections
) -> None:
    """web/wsread.py cuts frames out of the stream's private buffer itself: many frames in one
    TCP segment (small, 16-bit length, fragmented, a ping between fragments) must come out
    whole and in order, as Tornado's own reads give them."""
    watcher = await connect(url, board, "watcher")
    _, writer = await _raw_socket(url, board, nodelay=False)
    socks = [c for c in connections.open if isinstance(c, BoardSocket)]
    assert socks and all(type(c.ws_connection) is PushedReads for c in socks)
    # One stream, its class swapped: the writer holds the reader's stream.
    assert all(c.ws_connection and c._stream is c.ws_connection.stream for c in socks)
    hello = msgpack.packb({"t": "hello", "v": 1, "name": "burst"})
    labelled = {**rect("long"), "text": "y" * 100}
    ops = msgpack.packb({"t": "ops", "ops": [{"k": "add", "c": 1, "e": labelled}]})
    assert len(ops) >= 126  # a 16-bit length
    # More cursors than FRAMES_PER_TURN: the rest wait a turn, none is lost or reordered.
    cursors = [msgpack.packb({"t": "cursor", "x": float(i), "y": 0.0}) for i in range(150)]
    writer.write(_client_frame(hello))
    await watcher.expect(lambda m: m.get("t") == "presence" and "join" in m)  # it is admitted
    burst = b"".join(_client_frame(c) for c in cursors)
    text = msgpack.packb({"t": "ops", "ops": [{"k": "add", "c": 2, "e": rect("second")}]})
    burst += _client_frame(text[:5], fin=False) + _client_frame(b"p", opcode=0x9)
    burst += _client_frame(text[5:], opcode=0x0) + _client_frame(ops)
    writer.write(burst)  # one write: the server finds the frames already buffered
    await writer.drain()
    first = await watcher.expect(lambda m: m.get("t") == "ops" and len(m["ops"]) > 0)
    ids = [op["e"]["id"] for op in first["ops"]]
    if len(ids) < 2:
        second = await watcher.expect(lambda m: m.get("t") == "ops")
        ids += [op["e"]["id"] for op in second["ops"]]
    assert ids == ["second", "long"]
    cur = await watcher.expect(lambda m: m.get("t") == "presence" and "cur" in m)
    while cur["cur"][0][1] != 149.0:  # the last cursor of the burst: a tick keeps the latest
        cur = await watcher.expect(lambda m: m.get("t") == "presence" and "cur" in m)
    writer.close()
    await writer.wait_closed()


async def test_frames_that_arrive_a_byte_at_a_time_are_read_whole(url: str, board: str) -> None:
    """The other end of web/wsread.py's buffer: a frame whose header, length, mask and payload
    come in separate segments waits for its last byte, then is handled once."""
    watcher = await connect(url, board, "watcher")
    _, writer = await _raw_socket(url, board)
    ops = msgpack.packb({"t": "ops", "ops": [{"k": "add", "c": 1, "e": rect("slow")}]})
    data = _client_frame(msgpack.packb({"t": "hello", "v": 1, "name": "slow"})) + _client_frame(ops)
    for i in range(len(data)):
        writer.write(data[i : i + 1])
        await writer.drain()
    got = await watcher.expect(lambda m: m.get("t") == "ops" and len(m["ops"]) > 0)
    assert [op["e"]["id"] for op in got["ops"]] == ["slow"]
    writer.close()
    await writer.wait_closed()


async def test_a_close_frame_ends_the_connection_and_the_others_see_the_leave(
    url: str, board: str, connections: Connections
) -> None:
    watcher = await connect(url, board, "watcher")
    reader, writer = await _raw_socket(url, board)
    writer.write(_client_frame(msgpack.packb({"t": "hello", "v": 1, "name": "leaving"})))
    joined = await watcher.expect(lambda m: m.get("t") == "presence" and "join" in m)
    who = joined["join"][0]["id"]
    writer.write(_client_frame((1000).to_bytes(2, "big"), opcode=0x8))
    await writer.drain()
    left = await watcher.expect(lambda m: m.get("t") == "presence" and "leave" in m)
    assert who in left["leave"]
    rest = await asyncio.wait_for(reader.read(), 10)  # the server answers the close and hangs up
    assert rest.endswith(bytes([0x88, 2]) + (1000).to_bytes(2, "big"))  # after its welcome
    assert len([c for c in connections.open if isinstance(c, BoardSocket)]) == 1
    writer.close()


async def test_a_frame_past_the_size_limit_is_closed_with_1009(url: str, board: str) -> None:
    reader, writer = await _raw_socket(url, board)
    writer.write(_client_frame(msgpack.packb({"t": "hello", "v": 1, "name": "big"})))
    # Only the header of a 2 MiB frame: the server refuses it before the payload comes.
    writer.write(bytes([0x82, 0x80 | 127]) + (2 * 1024 * 1024).to_bytes(8, "big"))
    await writer.drain()
    rest = await asyncio.wait_for(reader.read(), 10)
    close_at = rest.rfind(bytes([0x88]))
    assert close_at >= 0
    assert rest[close_at + 2 : close_at + 4] == (1009).to_bytes(2, "big")
    writer.close()


async def test_turn_awaited_is_one_round_of_the_loop() -> None:
    """On TLS Tornado reads as before and awaits what on_message answers: TURN must then let
    what is already scheduled run first, as asyncio.sleep(0) does."""
    ran: list[str] = []
    asyncio.get_running_loop().call_soon(ran.append, "other")
    await TURN
    assert ran == ["other"]


async def _until(condition: Callable[[], bool], seconds: float = 10) -> None:
    """Wait for a state of the server that no message announces."""
    deadline = asyncio.get_running_loop().time() + seconds
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.02)


async def test_a_hello_then_a_hang_up_leaves_no_board_behind(
    url: str, board: str, hub: Hub
) -> None:
    """The FIN arrives while the hello is being handled (the board loads): the connection ends
    only once the hello is done, so the board sees the join and then the leave, and unloads
    (idle_unload_s is 0.2 here). Ended at once, the socket skipped the join and the empty board
    stayed in memory."""
    _, writer = await _raw_socket(url, board)
    writer.write(_client_frame(msgpack.packb({"t": "hello", "v": 1, "name": "gone"})))
    writer.write_eof()
    await writer.drain()
    await _until(lambda: hub.loaded(board) is not None)
    await _until(lambda: hub.loaded(board) is None)
    writer.close()


async def test_a_bad_close_after_an_ops_frame_ends_the_connection(
    url: str, board: str, connections: Connections
) -> None:
    """A close frame whose reason is not UTF-8, buffered behind an ops frame (read after the
    ops frame's turn): the connection is failed at once, quietly (no error logged)."""
    watcher = await connect(url, board, "watcher")
    reader, writer = await _raw_socket(url, board)
    writer.write(_client_frame(msgpack.packb({"t": "hello", "v": 1, "name": "bad"})))
    await watcher.expect(lambda m: m.get("t") == "presence" and "join" in m)
    ops = msgpack.packb({"t": "ops", "ops": [{"k": "add", "c": 1, "e": rect("before")}]})
    writer.write(_client_frame(ops) + _client_frame(b"\x03\xe8\xff\xfe", opcode=0x8))
    await watcher.expect(lambda m: m.get("t") == "presence" and "leave" in m)
    await asyncio.wait_for(reader.read(), 10)  # and the server hangs up
    writer.close()


async def test_a_control_frame_with_a_long_length_field_is_refused(url: str, board: str) -> None:
    """A ping's length must fit the 7-bit field (RFC 6455 5.5), even when it is small."""
    reader, writer = await _raw_socket(url, board)
    mask = os.urandom(4)
    writer.write(bytes([0x89, 0x80 | 126]) + (5).to_bytes(2, "big") + mask + b"hello")
    await writer.drain()
    rest = await asyncio.wait_for(reader.read(), 10)
    assert bytes([0x8A]) not in rest[:1]  # no pong: the connection is dropped
    writer.close()


async def test_a_connection_reset_ends_it_and_the_others_see_the_leave(
    url: str, board: str, connections: Connections
) -> None:
    """web/wsread.py's own read (``PushedStream._handle_events``) meets the reset that
    Tornado's would: the connection ends quietly, the board lets its client go."""
    watcher = await connect(url, board, "watcher")
    _, writer = await _raw_socket(url, board)
    writer.write(_client_frame(msgpack.packb({"t": "hello", "v": 1, "name": "reset"})))
    joined = await watcher.expect(lambda m: m.get("t") == "presence" and "join" in m)
    sock = writer.get_extra_info("socket")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()  # linger 0: an RST, not a FIN
    left = await watcher.expect(lambda m: m.get("t") == "presence" and "leave" in m)
    assert joined["join"][0]["id"] in left["leave"]
    await _until(lambda: len([c for c in connections.open if isinstance(c, BoardSocket)]) == 1)


async def test_short_of_memory_while_cutting_frames_ends_that_connection_only(
    url: str,
    board: str,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A MemoryError in web/wsread.py's own read (while a frame is unmasked, say) ends that
    connection with 1013 and one line in the log, and the others go on. Before: an exception
    in asyncio's log, and the connection left open with its stream out of step."""
    import whiteboard.web.wsread as wsread

    watcher = await connect(url, board, "watcher")
    reader, writer = await _raw_socket(url, board)
    writer.write(_client_frame(msgpack.packb({"t": "hello", "v": 1, "name": "doomed"})))
    joined = await watcher.expect(lambda m: m.get("t") == "presence" and "join" in m)
    real = wsread._websocket_mask

    def failing(mask: bytes, data: bytes) -> bytes:
        unmasked = real(mask, data)
        if unmasked == b"\xc1":  # msgpack's never-used byte marks the frame to fail
            raise MemoryError
        return unmasked

    monkeypatch.setattr(wsread, "_websocket_mask", failing)
    writer.write(_client_frame(b"\xc1"))
    await writer.drain()
    left = await watcher.expect(lambda m: m.get("t") == "presence" and "leave" in m)
    assert joined["join"][0]["id"] in left["leave"]
    rest = await asyncio.wait_for(reader.read(), 10)  # the server said why and hung up
    close_at = rest.rfind(bytes([0x88]))
    assert close_at >= 0 and rest[close_at + 2 : close_at + 4] == (1013).to_bytes(2, "big")
    (c,) = await watcher.ops({"k": "add", "e": rect("after")})
    await watcher.acked(c)
    lines = [r.getMessage() for r in caplog.records if r.name == "whiteboard.web.wsread"]
    assert lines == ["short of memory reading a client's frames: connection closed"]
    assert not [r for r in caplog.records if r.exc_info]
    writer.close()
