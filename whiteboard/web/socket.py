"""BoardSocket: one browser's WebSocket on one board.

It turns frames into validated messages (``protocol``), answers refusals to their author only,
and hands valid ops to its ``Board``. It never touches the Document: the board's tick does.
Writes bypass ``write_message`` on the hot path (see ``send``) because the same encoded frame
goes to every connection of a board, and a Task plus a Future per message per client is most of
the cost of a fan-out.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import re
import socket
import time
from typing import Any

from tornado.httputil import HTTPServerRequest
from tornado.iostream import IOStream, StreamClosedError
from tornado.web import HTTPError
from tornado.websocket import WebSocketClosedError, WebSocketHandler

from whiteboard import BOARD_ID_PATTERN, metrics, protocol
from whiteboard.config import Settings
from whiteboard.hub import Board, Hub
from whiteboard.protocol import CloseError, CursorMessage, ProtocolError
from whiteboard.store.base import StoreError
from whiteboard.web.origin import same_site
from whiteboard.wsframe import ws_frame

log = logging.getLogger(__name__)

_BOARD_ID = re.compile(BOARD_ID_PATTERN)


SNDBUF_BYTES = 256 * 1024
SLOW_DOWN = "Too many changes at once: slow down a little."
READ_ONLY = "This board is view-only: open it with its edit link to draw."


def client_ip(request: HTTPServerRequest, trusted: tuple[str, ...]) -> str:
    """The peer address, or the client named by X-Forwarded-For when a trusted proxy sent it.

    The header is read right to left, skipping trusted proxies, so a client cannot pick its
    own address by sending the header itself.
    """
    ip = request.remote_ip or ""
    if not trusted or not _in_networks(ip, trusted):
        return ip
    hops = [h.strip() for h in request.headers.get("X-Forwarded-For", "").split(",") if h.strip()]
    for hop in reversed(hops):
        if not _in_networks(hop, trusted):
            return hop
    return hops[0] if hops else ip


def _prev(value: Any) -> tuple[int, str] | None:
    """hello.prev = {id, token} from the previous welcome; anything else is ignored."""
    if not isinstance(value, dict):
        return None
    cid, token = value.get("id"), value.get("token")
    if type(cid) is int and isinstance(token, str) and len(token) <= 64:
        return cid, token
    return None


def _in_networks(ip: str, networks: tuple[str, ...]) -> bool:
    try:
        addr = ipaddress.ip_address(ip)
    except ValueError:
        return False
    for net in networks:
        try:
            if addr in ipaddress.ip_network(net, strict=False):
                return True
        except ValueError:
            continue
    return False


class TokenBucket:
    """A rate with a burst: ``take()`` is true while tokens remain."""

    __slots__ = ("burst", "last", "rate", "tokens")

    def __init__(self, rate: float, burst: float) -> None:
        self.rate = rate
        self.burst = burst
        self.tokens = burst
        self.last = time.monotonic()

    def _refill(self) -> None:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.last) * self.rate)
        self.last = now

    def take(self, n: float = 1.0) -> bool:
        self._refill()
        if self.tokens >= n:
            self.tokens -= n
            return True
        return False

    def take_up_to(self, n: int) -> int:
        """As many of ``n`` single tokens as are left: one clock read per frame, not per op."""
        self._refill()
        granted = min(n, int(self.tokens))
        self.tokens -= granted
        return granted


class BoardSocket(WebSocketHandler):
    """States: waiting for ``hello`` -> joining (id stored, welcome pending) -> live -> closed."""

    def initialize(self, hub: Hub, settings: Settings) -> None:
        self.hub = hub
        self.cfg = settings
        self.board_id = ""
        self.board: Board | None = None
        self.client_id = 0
        self.name = ""
        self.color = ""
        self.readonly = False
        self.token = ""
        self.compact = False
        self.ip = ""
        self.state = "hello"
        self._early: list[list[dict[str, Any]]] = []
        self._ops_bucket = TokenBucket(settings.ops_per_s, settings.ops_burst)
        self._bytes_bucket = TokenBucket(settings.bytes_per_s, settings.bytes_burst)
        self._refusals: list[float] = []
        self._dropped = False
        self._counted = False

    # -- handshake -----------------------------------------------------------------------------

    async def get(self, *args: Any, **kwargs: Any) -> None:
        if not _BOARD_ID.fullmatch(args[0] if args else ""):
            raise HTTPError(404)
        await super().get(*args, **kwargs)

    def check_origin(self, origin: str) -> bool:
        """Same host and port as the request, or on the allow-list (PROTOCOL.md, Transport)."""
        return same_site(origin, self.request.headers.get("Host", ""), self.cfg.allow_origin)

    def get_compression_options(self) -> None:
        # permessage-deflate is per connection: it would defeat encoding a frame once.
        return None

    def open(self, *args: str, **kwargs: str) -> None:
        self.board_id = args[0]
        self.hub.sockets.add(self)
        self.ip = client_ip(self.request, self.cfg.trusted_proxies)
        if self.hub.ip_connections[self.ip] >= self.cfg.connections_per_ip:
            self._refuse(ProtocolError("rate_limited", "Too many connections from your address."))
            self._drop(protocol.CLOSE_POLICY, "too many connections from your address")
            return
        self.hub.ip_connections[self.ip] += 1
        self._counted = True
        # Tornado turns TCP_NODELAY off again after the upgrade; small frames need it on.
        self.set_nodelay(True)
        # A small kernel send buffer keeps a non-reading client's backlog visible to us (and
        # bounded by backlog_bytes) instead of hidden in megabytes of kernel memory.
        stream = self.ws_connection.stream if self.ws_connection else None
        if stream is not None and stream.socket is not None:
            with contextlib.suppress(OSError):
                stream.socket.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SNDBUF_BYTES)

    # -- input ---------------------------------------------------------------------------------

    async def on_message(self, message: str | bytes) -> None:
        if self.state == "closed":
            return
        if isinstance(message, str):
            self._drop(protocol.CLOSE_UNSUPPORTED, "text frames are not accepted")
            return
        try:
            msg = protocol.decode_frame(message)
            if self.state == "hello":
                await self._on_hello(msg)
                return
            parsed = protocol.parse_message(msg, self.hub.limits)
        except CloseError as exc:
            self._drop(exc.code, exc.reason)
            return
        except ProtocolError as exc:
            self._refuse(exc)
            return
        if isinstance(parsed, CursorMessage):
            if self.state == "live" and self.board is not None:
                self.board.cursor(self, parsed.x, parsed.y)
            return
        if not self._bytes_bucket.take(len(message)):
            for item in parsed.items:
                c = item.c if isinstance(item, ProtocolError) else item["c"]
                self._refuse(ProtocolError("rate_limited", SLOW_DOWN, c))
            await asyncio.sleep(0)
            return
        ops = self._admit_ops(parsed.items)
        if ops:
            if self.state == "live" and self.board is not None:
                self.board.submit(self, ops)
            else:
                self._early.append(ops)
        # Give every other connection a turn before reading more from this one: Tornado would
        # otherwise read up to 256 KB of a flooding client's frames first.
        await asyncio.sleep(0)

    def _admit_ops(self, items: list[dict[str, Any] | ProtocolError]) -> list[dict[str, Any]]:
        ops: list[dict[str, Any]] = []
        for item in items:
            if isinstance(item, ProtocolError):
                self._refuse(item)
            elif self.readonly:
                self._refuse(ProtocolError("read_only", READ_ONLY, item["c"]))
            else:
                ops.append(item)
        granted = self._ops_bucket.take_up_to(len(ops)) if ops else 0
        for op in ops[granted:]:
            self._refuse(ProtocolError("rate_limited", SLOW_DOWN, op["c"]))
        return ops[:granted] if granted < len(ops) else ops

    async def _on_hello(self, msg: dict[str, Any]) -> None:
        try:
            hello = protocol.parse_hello(msg)
        except ProtocolError as exc:
            metrics.refused(exc.code)
            self.send(protocol.encode_err(exc.code, exc.msg))
            self._drop(protocol.CLOSE_POLICY, "the first message must be a valid hello")
            return
        self.compact = hello.compact
        self.state = "joining"
        try:
            board = await self.hub.get(self.board_id)
            self.board = board
            key = msg.get("key")
            await board.join(
                self,
                hello.name,
                hello.since,
                key if isinstance(key, str) else None,
                _prev(msg.get("prev")),
            )
        except StoreError as exc:
            log.warning("could not join board %s: %s", self.board_id, exc)
            self._drop(protocol.CLOSE_TRY_AGAIN, "the board cannot be opened now; try again")
            return
        if self.state == "closed":
            board.leave(self)

    def admitted(self) -> None:
        """The welcome is out: ops sent before it are handled now, in order."""
        if self.state != "joining":
            return
        self.state = "live"
        assert self.board is not None
        for ops in self._early:
            self.board.submit(self, ops)
        self._early = []

    def _refuse(self, exc: ProtocolError) -> None:
        metrics.refused(exc.code)
        self.send(protocol.encode_err(exc.code, exc.msg, exc.c))
        now = time.monotonic()
        self._refusals.append(now)
        if len(self._refusals) > self.cfg.refusals_per_min:
            self._refusals = [t for t in self._refusals if now - t < 60]
            if len(self._refusals) > self.cfg.refusals_per_min:
                self._drop(protocol.CLOSE_POLICY, "too many refused messages")

    # -- output --------------------------------------------------------------------------------

    def send(self, message: bytes) -> None:
        frame = ws_frame(message)
        metrics.sent(len(frame))  # one client's own message; broadcasts are counted by the hub
        self.send_frame(frame)

    def send_frame(self, frame: bytes) -> None:
        """Write one complete WebSocket frame without a Task or awaiting anything.

        The unsent backlog is checked on every write: past ``backlog_bytes`` the client is
        dropped (1013) instead of buffering without bound.
        """
        conn = self.ws_connection
        if conn is None or self._dropped:
            return
        stream = conn.stream
        if stream is None or stream.closed():
            return
        backlog = stream._total_write_index - stream._total_write_done_index
        if backlog > self.cfg.backlog_bytes:
            metrics.slow_client_dropped()
            self._drop(protocol.CLOSE_TRY_AGAIN, "you read too slowly: reconnect to resume")
            return
        if backlog == 0 and type(stream) is IOStream:
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
            frame = frame[sent:]
        with contextlib.suppress(StreamClosedError, WebSocketClosedError):
            stream.write(frame)

    def _drop(self, code: int, reason: str) -> None:
        """Close now and leave the board at once, before TCP finishes closing."""
        if self._dropped:
            return
        self._dropped = True
        if self.board is not None:
            self.board.leave(self)
        self.state = "closed"
        with contextlib.suppress(StreamClosedError, WebSocketClosedError):
            self.close(code, reason)
        # A client that does not read may never let the close handshake finish.
        asyncio.get_running_loop().call_later(5, self._abort)

    def _abort(self) -> None:
        conn = self.ws_connection
        if conn is not None and conn.stream is not None:
            conn.stream.close()

    def replaced(self) -> None:
        self._drop(1000, "replaced by a newer connection of this client")

    def close_for_error(self) -> None:
        self._drop(1011, "the server could not store the board; reconnect")

    def close_going_away(self) -> None:
        self._drop(protocol.CLOSE_GOING_AWAY, "the server is restarting")

    def on_close(self) -> None:
        if self._counted:
            self._counted = False
            self.hub.ip_connections[self.ip] -= 1
            if self.hub.ip_connections[self.ip] <= 0:
                del self.hub.ip_connections[self.ip]
        self.state = "closed"
        if self.board is not None:
            self.board.leave(self)
        self.hub.sockets.discard(self)
