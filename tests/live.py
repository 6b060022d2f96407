"""A transport that records what a board sent it, for driving ``live/`` without sockets."""

from __future__ import annotations

import struct
from typing import Any

import msgpack

from tests.compact import decode_compact


def unframe(frame: bytes) -> list[Any]:
    """The messages in one or more concatenated server WebSocket frames (unmasked, binary)."""
    out: list[Any] = []
    i = 0
    while i < len(frame):
        assert frame[i] == 0x82, "not a final binary frame"
        n = frame[i + 1]
        i += 2
        if n == 126:
            (n,) = struct.unpack_from("!H", frame, i)
            i += 2
        elif n == 127:
            (n,) = struct.unpack_from("!Q", frame, i)
            i += 8
        out.append(msgpack.unpackb(frame[i : i + n]))
        i += n
    return out


class FakeTransport:
    """Records every write as the messages it holds; ``writes`` counts the calls."""

    def __init__(self) -> None:
        self.messages: list[Any] = []
        self.writes = 0
        self.closed: tuple[int, str] | None = None

    def send(self, message: bytes) -> None:
        self.writes += 1
        self.messages.append(msgpack.unpackb(message))

    def send_frame(self, frame: bytes) -> None:
        self.writes += 1
        self.messages += unframe(frame)

    def send_parts(self, parts: list[bytes]) -> None:
        self.send(b"".join(parts))

    def close(self, code: int, reason: str) -> None:
        self.closed = (code, reason)

    def unsent(self) -> int:
        return 0

    def take(self) -> list[Any]:
        """The messages received since the last ``take``."""
        out, self.messages = self.messages, []
        self.writes = 0
        return out

    def ops(self) -> list[dict[str, Any]]:
        """The server ops received so far, from either kind of ops frame (ts left out)."""
        out: list[dict[str, Any]] = []
        for m in self.messages:
            if isinstance(m, list):
                out += decode_compact(m)
            elif m.get("t") == "ops":
                out += [{k: v for k, v in sop.items() if k != "ts"} for sop in m["ops"]]
        return out

    def of_type(self, t: str) -> list[dict[str, Any]]:
        return [m for m in self.messages if isinstance(m, dict) and m.get("t") == t]
