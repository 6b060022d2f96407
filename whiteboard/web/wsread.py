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

The stream's read events come to ``PushedStream._handle_events``, registered again after the
class swap: it reads with one ``recv`` and cuts the frames straight out of what it answers, and
a pause of one turn (an ops frame) leaves the socket registered.

It relies on private members of Tornado's ``IOStream`` (``_read_buffer``,
``_read_buffer_size``, ``_state``, ``_add_io_state``, ``_handle_events``, ``_handle_read``)
and of ``WebSocketProtocol13`` (``_handle_message``, ``_wire_bytes_in``, the fragment fields).
Tornado is pinned, and ``tests/server/test_tornado_internals.py`` fails if they change.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Awaitable, Generator
from typing import Any, cast

from tornado.ioloop import IOLoop
from tornado.iostream import IOStream, StreamBufferFullError
from tornado.util import _websocket_mask
from tornado.websocket import WebSocketProtocol13

from whiteboard import protocol

log = logging.getLogger(__name__)

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

    Set on a plain ``IOStream`` by swapping its class (``PushedReads`` does it, and registers
    the stream's handler again: Tornado registered the bound method of the old class during the
    handshake); it adds one attribute and no other state, so the swap is all it takes.
    """

    _reader: PushedReads | None = None

    def reading(self) -> bool:
        """While a reader wants bytes, the socket stays registered for reading (Tornado asks
        this after every event to decide what to listen for). A pause of one turn keeps it:
        the reader reads on in the loop's next round, and dropping and adding the socket back
        cost two ``epoll_ctl`` calls per ops frame."""
        reader = self._reader
        if reader is None:
            return super().reading()
        return not reader.paused or reader.turn

    def _handle_events(self, fd: Any, events: int) -> None:
        """A read event handled here without Tornado's bookkeeping (its closed and connecting
        checks, its listening state worked out again): at 30 cursors a second from 200 people
        that was a third of what a frame cost to read. Writes, errors, and a pause that must
        stop the reading go through Tornado's."""
        reader = self._reader
        if reader is None or events != IOLoop.READ or self.closed():
            super()._handle_events(fd, events)
            return
        if reader.turn:
            return  # ``_resume`` runs first in the loop's next round, and reads on
        try:
            self._handle_read()  # while an answer is pending, this only buffers what came
        except Exception as exc:
            reader.fail(exc)
            return
        if reader.paused and not reader.turn and not self.closed():
            # Stop listening until the answer is done (Tornado's rules: not while nothing is
            # buffered, or a hang-up would go unseen; the read just made keeps it buffered).
            super()._handle_events(fd, 0)

    def _handle_read(self) -> None:
        reader = self._reader
        if reader is None:
            super()._handle_read()
            return
        # One read of at most read_chunk_size per event: a flooding client gets no more of the
        # loop than the others (epoll reports the socket again if more is waiting). ``recv``
        # rather than Tornado's ``recv_into`` a zeroed 64 KiB bytearray: when nothing is
        # buffered (nearly always) the frames are cut straight out of what it answers.
        sock = self.socket
        if sock is None:
            return
        try:
            data = sock.recv(self.read_chunk_size)
        except BlockingIOError:
            return
        except OSError as exc:  # a reset, mostly; Tornado closes quietly on those too
            self.close(exc_info=exc)
            return
        if not data:
            self.close()
            return
        if self._read_buffer_size:
            self._read_buffer += data
            self._read_buffer_size += len(data)
            if self._read_buffer_size > self.max_buffer_size:
                self.close(exc_info=StreamBufferFullError("Reached maximum read buffer size"))
                return
            reader.pump()
        else:
            reader.pump(data)


class PushedReads(WebSocketProtocol13):
    """Tornado's protocol, handling each frame as soon as the stream holds it whole."""

    paused = False  # an awaitable from on_message is pending: read nothing meanwhile
    turn = False  # the pause is one round of the loop (``TURN``), not an awaitable
    _ended: asyncio.Future[None] | None = None
    _loop: asyncio.AbstractEventLoop
    _more = False  # the frame being handled is not the last one buffered

    async def _receive_frame_loop(self) -> None:
        self._loop = asyncio.get_running_loop()
        stream = self.stream
        if type(stream) is not IOStream or self._decompressor is not None:
            await super()._receive_frame_loop()  # TLS or compression: Tornado's own reads
            return
        self._ended = self._loop.create_future()
        stream.__class__ = PushedStream
        assert isinstance(stream, PushedStream)
        stream._reader = self
        stream.set_close_callback(self._stream_closed)
        if stream._state is not None:
            # The handshake registered the bound ``_handle_events`` of the old class: register
            # the stream again, or the loop keeps calling IOStream's own.
            state, fd = stream._state, stream.fileno()
            stream.io_loop.remove_handler(fd)
            stream.io_loop.add_handler(fd, stream._handle_events, state)
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

    def pump(self, data: bytes | None = None) -> None:
        """Handle every whole frame buffered, in order, until one's handling must be awaited
        or the client closed: the stream's buffer, or ``data`` just read when that buffer was
        empty (what is left of it is then buffered)."""
        stream = self.stream
        if data is None:
            used = self._cut(stream._read_buffer, stream._read_buffer_size)
            if used:
                del stream._read_buffer[:used]
                stream._read_buffer_size -= used
        else:
            used = self._cut(data, len(data))
            # Kept even if the stream closed meanwhile: ``_resume`` hands them over first.
            if used < len(data):
                stream._read_buffer += data[used:]
                stream._read_buffer_size += len(data) - used
        if stream.closed():
            self._stream_closed()  # also when it closed before its close callback was set
        elif self.client_terminated:
            self._end()

    def _cut(self, buf: bytes | bytearray, size: int) -> int:
        """Handle the whole frames at the start of ``buf[:size]``; the bytes they took.

        Frames are cut by position and the buffer trimmed once, after: Tornado's ``_consume``
        moved the rest of the buffer down after every frame."""
        pos = handled = 0
        while not self.paused and not self.client_terminated:
            if handled == FRAMES_PER_TURN:
                self._pause_for_a_turn()
                break
            handled += 1
            left = size - pos
            if left < 2:
                break
            head, second = buf[pos], buf[pos + 1]
            short = length = second & _LENGTH
            start = 2
            if length == 126:
                if left < 4:
                    break
                length, start = int.from_bytes(buf[pos + 2 : pos + 4], "big"), 4
            elif length == 127:
                if left < 10:
                    break
                length, start = int.from_bytes(buf[pos + 2 : pos + 10], "big"), 10
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
            body = pos + start + (4 if masked else 0)
            end = body + length
            if end - pos > left:
                break  # the rest of the frame is still on its way
            self._wire_bytes_in += end - pos
            if masked:
                mask = bytes(buf[body - 4 : body])
                payload = _websocket_mask(mask, bytes(buf[body:end]))
            else:
                payload = bytes(buf[body:end])
            pos = end
            self._more = end < size
            if not self._frame(opcode, bool(final), payload):
                break
        return pos

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
            if not self._more:
                return True  # nothing more buffered: no one waits behind this connection
            self._pause_for_a_turn()
        else:
            self.paused = True
            asyncio.ensure_future(answer).add_done_callback(self._answered)
        return False

    def _pause_for_a_turn(self) -> None:
        """Read on in the loop's next round: every other connection reads first."""
        self.paused = self.turn = True
        # The loop found once: on Python 3.11 each get_running_loop() is a getpid() syscall.
        self._loop.call_soon(self._resume, None)

    def _answered(self, done: asyncio.Future[Any]) -> None:
        """An awaitable answer is done; if it failed, as Tornado's ``_run_callback``: logged,
        and the connection aborted."""
        try:
            done.result()
        except (Exception, asyncio.CancelledError):
            self.handler.log_exception(*sys.exc_info())
            self._abort()
        self._resume(None)

    def fail(self, exc: Exception) -> None:
        """Reading or handling the buffered frames raised (in a callback of the loop, where an
        error would only be logged by asyncio and leave the connection hanging): the connection
        ends, as with Tornado's own reads, since a frame half handled leaves the rest of its
        stream out of step. Short of memory is the server's fault, said in one line and to the
        client as such (as ``protocol.decode_frame`` says it); anything else is a bug, logged
        with its traceback."""
        if isinstance(exc, MemoryError):
            log.warning("short of memory reading a client's frames: connection closed")
            self.close(protocol.CLOSE_TRY_AGAIN, "The server is short of memory: try later.")
        else:
            self.handler.log_exception(type(exc), exc, exc.__traceback__)
        self._abort()
        self._end()

    def _resume(self, _: Any) -> None:
        """The pending answer is done: handle what is buffered, then read again (or end, if
        the stream closed meanwhile; or ``fail``)."""
        self.paused = self.turn = False
        stream = self.stream
        try:
            self.pump()
        except Exception as exc:
            self.fail(exc)
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
