"""A small synchronous WebSocket client on a plain socket, speaking msgpack frames.

Why not Tornado's client: hypothesis state machines call their rules synchronously, and
pytest-tornado runs its event loop in the test thread, so an async client would need a loop of
its own per call. A blocking socket with a deadline on every read is simpler and, against a
server in another process, exactly as real: every read waits for a message (never a fixed
sleep) and gives up with ``TimeoutError`` after its timeout.

It also does what a browser's WebSocket cannot, which the tests need: close the TCP
connection without a close frame (``abort``), send text frames, raw bytes and frame headers
that promise more than the server accepts.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import os
import socket
import struct
import time
from typing import Any

import msgpack

_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

OP_TEXT = 0x1
OP_BINARY = 0x2
OP_CLOSE = 0x8
OP_PING = 0x9
OP_PONG = 0xA


class HandshakeError(Exception):
    """The server answered the upgrade with something other than 101 (e.g. 404, 403)."""

    def __init__(self, status: int, head: bytes) -> None:
        super().__init__(f"HTTP {status}: {head[:200]!r}")
        self.status = status


class WsClient:
    """One WebSocket connection. ``recv`` returns decoded maps, or None once closed."""

    def __init__(
        self, host: str, port: int, path: str, *, timeout: float = 10.0, extra: str = ""
    ) -> None:
        self.timeout = timeout
        self.close_code: int | None = None
        """The code of the server's close frame; 1006 if the TCP connection ended without one."""
        self.close_reason = ""
        self._buf = bytearray()
        self._closing = False  # we sent a close frame
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            self._handshake(host, port, path, extra)
        except BaseException:
            self.sock.close()
            raise

    @classmethod
    def connect(
        cls,
        url: str,
        path: str,
        *,
        timeout: float = 10.0,
        cookie: str = "",
        headers: dict[str, str] | None = None,
    ) -> WsClient:
        """``url`` is the server's ``http://host:port``; ``path`` e.g. ``/ws/board``;
        ``headers`` are added to the handshake (``X-Forwarded-For`` behind a trusted proxy),
        ``cookie`` as its ``Cookie`` (a signed-in session)."""
        host, port = url.removeprefix("http://").rstrip("/").rsplit(":", 1)
        extra = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
        if cookie:
            extra += f"Cookie: {cookie}\r\n"
        return cls(host, int(port), path, timeout=timeout, extra=extra)

    def _handshake(self, host: str, port: int, path: str, extra: str = "") -> None:
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(
            (
                f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                f"Sec-WebSocket-Version: 13\r\n{extra}\r\n"
            ).encode()
        )
        deadline = time.monotonic() + self.timeout
        while b"\r\n\r\n" not in self._buf:
            self._fill(deadline)
        end = self._buf.index(b"\r\n\r\n") + 4
        head = bytes(self._buf[:end])
        del self._buf[:end]
        status = int(head.split(b" ", 2)[1])
        if status != 101:
            raise HandshakeError(status, head)
        accept = base64.b64encode(hashlib.sha1(key.encode() + _GUID).digest())
        headers = dict(
            (name.strip().lower(), value.strip())
            for name, _, value in (line.partition(b":") for line in head.split(b"\r\n")[1:])
        )
        if headers.get(b"sec-websocket-accept") != accept:
            raise HandshakeError(status, head)

    # -- sending ---------------------------------------------------------------------------

    @property
    def closed(self) -> bool:
        return self.close_code is not None

    def send(self, msg: Any) -> None:
        """One msgpack map in one binary frame, as PROTOCOL.md wants."""
        self.send_frame(OP_BINARY, msgpack.packb(msg, use_bin_type=True))

    def send_frame(self, opcode: int, payload: bytes, *, fin: bool = True) -> None:
        """A client frame is always masked (RFC 6455 5.3); the mask is random."""
        n = len(payload)
        first = (0x80 if fin else 0) | opcode
        if n < 126:
            header = struct.pack("!BB", first, 0x80 | n)
        elif n <= 0xFFFF:
            header = struct.pack("!BBH", first, 0x80 | 126, n)
        else:
            header = struct.pack("!BBQ", first, 0x80 | 127, n)
        mask = os.urandom(4)
        self.sock.sendall(header + mask + _mask(payload, mask))

    def send_raw(self, data: bytes) -> None:
        """Bytes as they are: a frame header alone, or anything else a test wants to try."""
        self.sock.sendall(data)

    # -- receiving -------------------------------------------------------------------------

    def recv(self, timeout: float | None = None) -> dict[str, Any] | None:
        """The next binary message, decoded; None when the connection closed (see
        ``close_code``). Pings are answered on the way. ``TimeoutError`` if nothing comes."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        parts: list[bytes] = []
        while True:
            if self.closed:
                return None
            got = self._frame(deadline)
            if got is None:
                return None
            fin, opcode, payload = got
            if opcode == OP_PING:
                self._send_control(OP_PONG, payload)
                continue
            if opcode == OP_PONG:
                continue
            if opcode == OP_CLOSE:
                self._on_close(payload)
                return None
            if opcode == OP_TEXT:
                raise AssertionError("the server sent a text frame")
            parts.append(payload)
            if fin:
                msg = msgpack.unpackb(b"".join(parts), raw=False)
                if not isinstance(msg, dict):
                    raise AssertionError(f"the server sent a frame that is not a map: {msg!r}")
                return msg

    def expect_close(self, timeout: float | None = None) -> int:
        """Read (and drop) messages until the server closes; return its close code."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while self.recv(max(0.0, deadline - time.monotonic())) is not None:
            pass
        assert self.close_code is not None
        return self.close_code

    def _frame(self, deadline: float) -> tuple[bool, int, bytes] | None:
        if not self._need(2, deadline):
            return None
        b0, b1 = self._buf[0], self._buf[1]
        if b1 & 0x80:
            raise AssertionError("the server masked a frame")
        n = b1 & 0x7F
        offset = 2
        if n == 126:
            if not self._need(4, deadline):
                return None
            n = struct.unpack_from("!H", self._buf, 2)[0]
            offset = 4
        elif n == 127:
            if not self._need(10, deadline):
                return None
            n = struct.unpack_from("!Q", self._buf, 2)[0]
            offset = 10
        if not self._need(offset + n, deadline):
            return None
        payload = bytes(self._buf[offset : offset + n])
        del self._buf[: offset + n]
        return bool(b0 & 0x80), b0 & 0x0F, payload

    def _need(self, n: int, deadline: float) -> bool:
        """Buffer at least ``n`` bytes; False if the TCP connection ended first."""
        while len(self._buf) < n:
            if not self._fill(deadline):
                self.close_code = self.close_code or 1006
                self._shut()
                return False
        return True

    def _fill(self, deadline: float) -> bool:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("no message from the server in time")
        self.sock.settimeout(left)
        try:
            chunk = self.sock.recv(65536)
        except TimeoutError:
            raise TimeoutError("no message from the server in time") from None
        except ConnectionError:
            return False
        if not chunk:
            return False
        self._buf += chunk
        return True

    def _on_close(self, payload: bytes) -> None:
        self.close_code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else 1005
        self.close_reason = payload[2:].decode("utf-8", "replace")
        if not self._closing:  # answer the close handshake, as a browser does
            self._closing = True
            with contextlib.suppress(OSError):
                self._send_control(OP_CLOSE, payload[:2])
        self._shut()

    def _send_control(self, opcode: int, payload: bytes) -> None:
        self.send_frame(opcode, payload)

    # -- closing ---------------------------------------------------------------------------

    def close(self, code: int = 1000, timeout: float | None = None) -> int | None:
        """A clean close: send a close frame, wait for the server's; return its code."""
        if self.closed:
            self._shut()
            return self.close_code
        try:
            self._closing = True
            self._send_control(OP_CLOSE, struct.pack("!H", code))
            return self.expect_close(timeout)
        except (OSError, TimeoutError):
            self._shut()
            return self.close_code

    def abort(self) -> None:
        """Drop the TCP connection without a close frame (a laptop lid, a lost network)."""
        self.close_code = self.close_code or 1006
        self._shut()

    def _shut(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()


def _mask(payload: bytes, mask: bytes) -> bytes:
    """XOR with the 4-byte mask, done on one big int rather than byte by byte."""
    n = len(payload)
    if not n:
        return b""
    key = (mask * (n // 4 + 1))[:n]
    return (int.from_bytes(payload, "big") ^ int.from_bytes(key, "big")).to_bytes(n, "big")
