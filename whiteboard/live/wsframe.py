"""WebSocket framing done once per message, whatever the number of receivers.

Tornado frames every ``write_message`` separately; a board sends the same bytes to all of its
connections, so it builds the frame (RFC 6455 section 5.2) once and hands the same object to
every socket.
"""

from __future__ import annotations

import struct


def ws_frame(payload: bytes) -> bytes:
    """A complete, unmasked, final binary frame holding ``payload``."""
    return frame_header(len(payload)) + payload


def frame_header(n: int) -> bytes:
    """The header of an unmasked, final binary frame of ``n`` payload bytes."""
    if n < 126:
        return struct.pack("!BB", 0x82, n)
    if n <= 0xFFFF:
        return struct.pack("!BBH", 0x82, 126, n)
    return struct.pack("!BBQ", 0x82, 127, n)
