"""Reading WebSocket frames without a Future per header field.

Tornado reads each frame as two to four ``IOStream.read_bytes`` calls (header, length, mask,
payload), and every call builds a Future and runs an ABC ``isinstance`` check on its
argument, even when the bytes are already in the stream's buffer. For a board where everyone's
pointer moves, that was most of the server's time: 200 people sending cursors 30 times a second
are 6,000 frames a second of about 20 bytes each (py-spy: ``read_bytes`` and the ABC checks
over a third of the samples; docs/scaling.md, "Presence at scale").

``BufferedReads`` takes bytes already buffered straight from the stream and falls back to
Tornado's own read when they are not there yet. It relies on two private members of Tornado's
``BaseIOStream`` (``_read_buffer_size``, ``_consume``); Tornado is pinned and
``tests/server/test_tornado_internals.py`` fails if they change.
"""

from __future__ import annotations

from tornado.websocket import WebSocketProtocol13


class BufferedReads(WebSocketProtocol13):
    """Tornado's protocol, reading from the buffer when the bytes are already there."""

    async def _read_bytes(self, n: int) -> bytes:
        stream = self.stream
        # Only the frame loop reads this stream, one read at a time, so no read is pending
        # here and taking from the buffer keeps the order of the bytes.
        if stream._read_buffer_size >= n:
            self._wire_bytes_in += n
            return stream._consume(n)
        return await super()._read_bytes(n)


def buffered(protocol: object) -> None:
    """Make a protocol built by ``WebSocketHandler.get_websocket_protocol`` read this way.

    The class is swapped rather than the protocol built here, because Tornado builds it from
    private parameters; ``BufferedReads`` adds no state, so the swap is all it takes.
    """
    if type(protocol) is WebSocketProtocol13:
        protocol.__class__ = BufferedReads
