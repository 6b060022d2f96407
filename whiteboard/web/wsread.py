"""Reading WebSocket frames as bytes arrive, without a Future or a coroutine step per frame.

Why: Tornado reads each frame with two to four awaited ``IOStream.read_bytes`` calls (header,
length, mask, payload). When a frame has arrived whole, the first read leaves the rest in the
stream's buffer, so the stream stops listening for the socket and listens again at the next
frame's header (an epoll unregister and register per frame), and every frame costs a Future,
a callback round and a resumption of three nested coroutines. A board's inbound traffic is
mostly such small frames (views at 10 Hz and cursors at 30 Hz from everyone, one op per
animation frame from each drawer), and that machinery was about half of what the server spent
on each: 2,000 views a second at N=200 took 20 points of a core (docs/scaling.md, "Viewports").

Here the stream tells the protocol when bytes come in (``PushedStream``), and the protocol cuts
every whole frame out of the buffer and handles it at once (``PushedReads.pump``), using
Tornado's own ``_handle_message`` for what a frame means (close, ping, pong, text, binary).
When ``on_message`` answers an awaitable (an ops frame, a pause for a client over its budget),
nothing more is read from that connection until it is done, as Tornado does.

It relies on private members of Tornado's ``IOStream`` (``_read_buffer``,
``_read_buffer_size``, ``_consume``, ``_read_to_buffer``, ``_add_io_state``, ``_handle_read``)
and of ``WebSocketProtocol13`` (``_handle_message``, ``_wire_bytes_in``, the fragment fields).
Tornado is pinned, and ``tests/server/test_tornado_internals.py`` fails if they change.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Generator
from typing import Any, cast

from tornado.ioloop import IOLoop
from tornado.iostream import IOStream
from tornado.util import _websocket_mask
from tornado.websocket import WebSocketProtocol13

_FIN, _RSV, _OPCODE, _MASKED, _LENGTH = 0x80, 0x70, 0x0F, 0x80, 0x7F
FRAMES_PER_TURN = 64
"""Frames handled at once before the other connections get a turn (Tornado yields after about
256 small ones): one 64 KiB read of 20-byte frames is 3,000 of them, 60 ms of the loop."""


class Turn:
    """What ``on_message`` answers to let every other connection read before this one again (a
    flooding client would otherwise have up to a buffer of frames handled first).

    Awaiting it is one trip round the event loop, as ``asyncio.sleep(0)`` (Tornado's own reads,
    on TLS, await it); ``PushedReads`` knows it and reads on in the loop's next round without
    the Task, the singledispatch conversion and the two Futures an awaitable costs Tornado: an
    ops frame answers it every time, and at 250 boards that was a fifth of the server's time.
    """

    __slots__ = ()

    def __await__(self) -> Generator[None, None, None]:
        yield  # a bare yield: the Task runs again in the loop's next round


TURN = Turn()


class PushedStream(IOStream):
    """Tornado's stream that hands what it reads to ``_reader`` instead of a pending read.

    Set on a plain ``IOStream`` by swapping its class (``PushedReads`` does it); it adds one
    attribute and no other state, so the swap is all it takes.
    """

    _reader: PushedReads | None = None

    def reading(self) -> bool:
        """While a reader wants bytes, the socket stays registered for reading (Tornado asks
        this after every event to decide what to listen for)."""
        reader = self._reader
        if reader is None:
            return super().reading()
        return not reader.paused

    def _handle_read(self) -> None:
        reader = self._reader
        if reader is None:
            super()._handle_read()
            return
        # One read of at most read_chunk_size per event: a flooding client gets no more of the
        # loop than the others (epoll reports the socket again if more is waiting).
        try:
            got = self._read_to_buffer()
        except Exception:  # the stream closed itself; its close callback runs
            return
        if got:
            reader.pump()


class PushedReads(WebSocketProtocol13):
    """Tornado's protocol, handling each frame as soon as the stream holds it whole."""

    paused = False  # an awaitable from on_message is pending: read nothing meanwhile
    _ended: asyncio.Future[None] | None = None

    async def _receive_frame_loop(self) -> None:
        stream = self.stream
        if type(stream) is not IOStream or self._decompressor is not None:
            await super()._receive_frame_loop()  # TLS or compression: Tornado's own reads
            return
        self._ended = asyncio.get_running_loop().create_future()
        stream.__class__ = PushedStream
        assert isinstance(stream, PushedStream)
        stream._reader = self
        stream.set_close_callback(self._stream_closed)
        try:
            self.pump()  # the client may have sent frames with its handshake
            if not stream.closed() and not self.paused:
                stream._add_io_state(IOLoop.READ)
            await self._ended
        finally:
            stream._reader = None
            self.handler.on_ws_connection_close(self.close_code, self.close_reason)

    def _stream_closed(self) -> None:
        """The stream closed (its close callback, or found closed). While an answer of
        ``on_message`` is pending the connection is not ended yet: Tornado ends its read loop
        only after that answer, so ``on_close`` never runs in the middle of a hello or an ops
        frame (a hello followed by a FIN otherwise left its board loaded with nobody on it);
        ``_resume`` ends it, after handing over the frames still buffered, as Tornado's reads
        from the buffer of a closed stream would."""
        if self.paused:
            return
        self._abort()
        self._end()

    def _end(self) -> None:
        if self._ended is not None and not self._ended.done():
            self._ended.set_result(None)

    def pump(self) -> None:
        """Handle every whole frame in the stream's buffer, in order, until one's handling
        must be awaited or the client closed."""
        stream = self.stream
        buf = stream._read_buffer
        handled = 0
        while not self.paused and not self.client_terminated:
            if handled == FRAMES_PER_TURN:
                self._pause_for_a_turn()
                break
            handled += 1
            size = stream._read_buffer_size
            if size < 2:
                break
            head, second = buf[0], buf[1]
            short = length = second & _LENGTH
            start = 2
            if length == 126:
                if size < 4:
                    break
                length, start = int.from_bytes(buf[2:4], "big"), 4
            elif length == 127:
                if size < 10:
                    break
                length, start = int.from_bytes(buf[2:10], "big"), 10
            opcode, final = head & _OPCODE, head & _FIN
            if head & _RSV or (opcode & 0x8 and (short >= 126 or not final)):
                self._abort()  # an extension we did not agree to; a long or split control frame
                break
            held = self._fragmented_message_buffer
            if length + (len(held) if held is not None else 0) > self.params.max_message_size:
                self.close(1009, "message too big")
                self._abort()
                break
            masked = second & _MASKED
            whole = start + (4 if masked else 0) + length
            if size < whole:
                break  # the rest of the frame is still on its way
            frame = stream._consume(whole)
            self._wire_bytes_in += whole
            if masked:
                data = _websocket_mask(frame[start : start + 4], frame[start + 4 :])
            else:
                data = frame[start:]
            if not self._frame(opcode, bool(final), data):
                break
        if stream.closed():
            self._stream_closed()  # also when it closed before its close callback was set
        elif self.client_terminated:
            self._end()

    def _frame(self, opcode: int, final: bool, data: bytes) -> bool:
        """One frame: a control frame or a whole message handled, a fragment kept (Tornado's
        rules). False when nothing more should be read now."""
        if opcode == 0x0:  # a continuation
            held = self._fragmented_message_buffer
            if held is None:
                self._abort()  # nothing to continue
                return False
            held.extend(data)
            if not final:
                return True
            opcode, data = cast(int, self._fragmented_message_opcode), bytes(held)
            self._fragmented_message_buffer = None
        elif not opcode & 0x8:  # the start of a message
            if self._fragmented_message_buffer is not None:
                self._abort()  # a new message before the last one ended
                return False
            if not final:
                # Tornado annotates the field as None (its initial value); it holds the opcode.
                self._fragmented_message_opcode = opcode  # type: ignore[assignment]
                self._fragmented_message_buffer = bytearray(data)
                return True
        if opcode == 0x2:
            return self._message(data)
        try:
            handled = self._handle_message(opcode, data)  # close, ping, pong, text
        except UnicodeDecodeError:  # a close frame's reason that is not UTF-8 (RFC 6455 8.1)
            self._abort()
            return False
        return self._answer(handled)

    def _message(self, data: bytes) -> bool:
        """A binary message to the handler, as Tornado's ``_handle_message`` and
        ``_run_callback`` would hand it, but ``TURN`` costs one ``call_soon``."""
        self._message_bytes_in += len(data)
        try:
            answer = self.handler.on_message(data)
        except (Exception, asyncio.CancelledError):
            self.handler.log_exception(*sys.exc_info())
            self._abort()
            return False
        return self._answer(answer)

    def _answer(self, answer: Awaitable[Any] | None) -> bool:
        """Read on now (no answer), after a turn (``TURN``), or once the answer is done."""
        if answer is None:
            return True
        if answer is TURN:
            self._pause_for_a_turn()
        else:
            self.paused = True
            asyncio.ensure_future(answer).add_done_callback(self._answered)
        return False

    def _pause_for_a_turn(self) -> None:
        """Read on in the loop's next round: every other connection reads first."""
        self.paused = True
        asyncio.get_running_loop().call_soon(self._resume, None)

    def _answered(self, done: asyncio.Future[Any]) -> None:
        """An awaitable answer is done; if it failed, as Tornado's ``_run_callback``: logged,
        and the connection aborted."""
        try:
            done.result()
        except (Exception, asyncio.CancelledError):
            self.handler.log_exception(*sys.exc_info())
            self._abort()
        self._resume(None)

    def _resume(self, _: Any) -> None:
        """The pending answer is done: handle what is buffered, then read again (or end, if
        the stream closed meanwhile). A callback of the loop: an error here would only be
        logged by asyncio and leave the connection hanging, so it ends it as Tornado's read
        loop does when ``_handle_message`` raises."""
        self.paused = False
        stream = self.stream
        try:
            self.pump()
        except Exception:
            self.handler.log_exception(*sys.exc_info())
            self._abort()
            self._end()
            return
        if not self.paused and not stream.closed() and not self.client_terminated:
            stream._add_io_state(IOLoop.READ)


def pushed(protocol: object) -> None:
    """Make a protocol built by ``WebSocketHandler.get_websocket_protocol`` read this way.

    The class is swapped rather than the protocol built here, because Tornado builds it from
    private parameters; ``PushedReads`` adds no state that needs setting up, so the swap is all
    it takes.
    """
    if type(protocol) is WebSocketProtocol13:
        protocol.__class__ = PushedReads
