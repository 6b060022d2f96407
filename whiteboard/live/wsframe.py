"""WebSocket framing done once per message, whatever the number of receivers.

Tornado frames every ``write_message`` separately; a board sends the same bytes to all of its
connections, so it builds the frame (RFC 6455 section 5.2) once and hands the same object to
every socket.
"""

from __future__ import annotations

import struct


def ws_frame(payload: bytes) -> bytes:
    """A complete, unmasked, final binary frame holding ``payload``."""
    n = len(payload)
    if n < 126:
        header = struct.pack("!BB", 0x82, n)
    elif n <= 0xFFFF:
        header = struct.pack("!BBH", 0x82, 126, n)
    else:
        header = struct.pack("!BBQ", 0x82, 127, n)
    return header + payload
