"""The socket's output side: how frames for one client are written (the board's ``Transport``
methods ``send``, ``send_frame``, ``send_parts``).

A mixin of ``BoardSocket`` rather than an object of its own because ``send_frame`` is the fan-out's
innermost call (every client, every tick): the session holds it as a bound method, and a
delegating layer would add a call to each.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tornado.iostream import IOStream, StreamBufferFullError, StreamClosedError
from tornado.websocket import WebSocketClosedError

from whiteboard import metrics, protocol
from whiteboard.config import Settings
from whiteboard.live.wsframe import frame_header, ws_frame

SHARED_FROM = 64 * 1024  # send_parts: smaller messages are joined (one write, no Futures)


class FrameWriter:
    """Writes frames to ``_stream``; a client whose backlog passes ``backlog_bytes`` is closed
    (1013) through ``close``."""

    _stream: IOStream | None
    _direct: bool  # a plain TCP stream: frames may go straight to its socket
    cfg: Settings

    if TYPE_CHECKING:  # BoardSocket's; not defined here, or its super().close would land here

        def close(self, code: int | None = None, reason: str | None = None) -> None: ...

    def send(self, message: bytes) -> None:
        frame = ws_frame(message)
        metrics.sent(len(frame))  # one client's own message; broadcasts are counted by the board
        self.send_frame(frame)

    def send_parts(self, parts: list[bytes]) -> None:
        """One message from its pieces: a large one (a welcome) goes through Tornado's write
        buffer, which holds pieces over 2 KiB by reference, so the board's elements shared by
        a tick's joiners are held once, not once per joiner (twenty ``since: 0`` joiners of a
        50 MB board that never read held a gigabyte); a small one is joined and sent."""
        n = sum(map(len, parts))
        if n < SHARED_FROM:
            self.send(b"".join(parts))
            return
        stream = self._stream
        if stream is None or stream.closed():
            return
        header = frame_header(n)
        metrics.sent(len(header) + n)
        self._queue(stream, [header, *parts], len(header) + n)

    def unsent(self) -> int:
        stream = self._stream
        if stream is None:
            return 0
        # Tornado keeps the count but has no public name for it (bytes written minus sent).
        return stream._total_write_index - stream._total_write_done_index

    def send_frame(self, frame: bytes) -> None:
        """Write one complete WebSocket frame without a Task or awaiting anything.

        Past ``backlog_bytes`` of unsent data the client is dropped (1013) instead of buffering
        without bound.
        """
        stream = self._stream
        if stream is None or stream.closed():
            return
        if self._direct and not stream.writing():
            # Nothing queued: hand the bytes to the kernel directly. IOStream.write would
            # create a Future per call, which at thousands of clients is most of the cost of
            # a fan-out (and most of the garbage). Only what the kernel did not take is queued.
            try:
                sent = stream.socket.send(frame)
            except BlockingIOError:
                sent = 0
            except OSError:
                return  # the read side notices the broken connection and closes it
            if sent == len(frame):
                return
            rest: bytes | memoryview = memoryview(frame)[sent:]  # no copy of a large frame
        else:
            rest = frame
        self._queue(stream, [rest], len(rest))

    def _queue(self, stream: IOStream, pieces: list[bytes | memoryview], total: int) -> None:
        """Queue a frame's pieces in Tornado's write buffer (which keeps pieces over 2 KiB by
        reference), or drop the client (1013) if what it already has queued passes
        ``backlog_bytes``.

        Tornado refuses a write that would take its buffer past max_write_buffer_size. The
        limit is set for our frames alone, and so that it trips once what was queued before
        this frame passes backlog_bytes: Tornado's own control frames (close, ping, pong) must
        still go out behind a full backlog, or a slow client would never get its 1013. It is
        judged at the first piece, for the whole frame."""
        stream.max_write_buffer_size = self.cfg.backlog_bytes + total
        try:
            for piece in pieces:
                stream.write(piece)
                stream.max_write_buffer_size = None
        except StreamBufferFullError:
            stream.max_write_buffer_size = None
            metrics.slow_client_dropped()
            self.close(protocol.CLOSE_TRY_AGAIN, "you read too slowly: reconnect to resume")
        except (StreamClosedError, WebSocketClosedError):
            pass
        stream.max_write_buffer_size = None
