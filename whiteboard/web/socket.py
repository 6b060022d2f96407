"""BoardSocket: one browser's WebSocket on one board.

It turns frames into validated messages (``protocol``), answers refusals to their author only,
and hands valid ops to its ``Board`` through the ``Session`` the board gave it. It never touches
the Document: the board's tick does. To the board it is only a ``Transport`` (``send``,
``send_frame``, ``close``). Writes bypass ``write_message`` on the hot path (see
``send_frame``) because the same encoded frame goes to every connection of a board, and a Task
plus a Future per message per client is most of the cost of a fan-out.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import re
import socket
import time
from collections.abc import Awaitable
from enum import Enum
from typing import Any

from tornado.iostream import IOStream, SSLIOStream, StreamClosedError
from tornado.web import HTTPError
from tornado.websocket import WebSocketClosedError, WebSocketHandler, WebSocketProtocol

from whiteboard import metrics, protocol
from whiteboard.config import Settings
from whiteboard.live.board import Board
from whiteboard.live.lifecycle import DELETED
from whiteboard.live.opening import Opening
from whiteboard.live.registry import BoardDeleted, Hub
from whiteboard.live.session import Session
from whiteboard.protocol import (
    BOARD_ID_PATTERN,
    CloseError,
    CursorMessage,
    Hello,
    ProtocolError,
    SummonMessage,
    ViewMessage,
)
from whiteboard.store.base import StoreError
from whiteboard.web.addresses import client_ip
from whiteboard.web.auth.policy import refusal
from whiteboard.web.auth.visitor import Visitor, visitor
from whiteboard.web.buckets import TokenBucket
from whiteboard.web.connections import Connections
from whiteboard.web.guard import set_headers
from whiteboard.web.origin import same_site
from whiteboard.web.wsread import TURN, pushed
from whiteboard.web.wswrite import FrameWriter

log = logging.getLogger(__name__)

_BOARD_ID = re.compile(BOARD_ID_PATTERN)


SNDBUF_BYTES = 256 * 1024
SLOW_DOWN = "Too many changes at once: slow down a little."
READ_ONLY = "This board is view-only: open it with its edit link to draw."
PRESENCE_FRAME_BYTES = 512
"""Largest presence frame (cursor; view, laser, summon) relayed: a cursor is about 20 bytes, and
a padded one is dropped (PROTOCOL.md lets the server drop cursors), not relayed to everyone."""
PRESENCE_PER_S, PRESENCE_BURST = 600.0, 1200.0
"""Presence frames relayed per second per connection: room for a laser stroke's every point
(the app sends each one, several per animation frame on a fast pointer); past it they are
dropped. With PRESENCE_FRAME_BYTES this bounds a connection's presence to 300 kB/s."""
READ_ONLY_PRESENT = "This board is view-only: open it with its edit link to point or summon."
NO_VIEW = "Send a 'view' before a 'summon': the others are brought to your last view."
ABORT_AFTER_S = 5  # a client that does not read may never let the close handshake finish
ADDRESS_STREAMS = 2
"""The connections of one address share a byte budget of this many times a connection's (rate
and burst): 20 connections from one address may not cost the server 20
budgets of decoding and validating (issue 12). People behind one address draw far below it."""
MEMORY_PAUSE_S = 0.1
"""Pause in reading a connection after the memory budget refused some of its ops."""
PAUSE_MAX_S = 1.0
"""Longest pause in reading a connection whose byte budget is in debt (``_over_budget``)."""


class State(Enum):
    HELLO = "hello"  # waiting for the first message
    JOINING = "joining"  # hello accepted: the board is loading, or storing the client's id
    LIVE = "live"  # on the board (its welcome may be a tick away: the board holds ops till then)
    CLOSED = "closed"


class BoardSocket(FrameWriter, WebSocketHandler):
    """One connection: ``state`` goes HELLO -> JOINING -> LIVE -> CLOSED (or straight to it)."""

    def initialize(self, hub: Hub, settings: Settings, connections: Connections) -> None:
        self.hub = hub
        self.cfg = settings
        self.connections = connections
        self.board_id = ""
        self.board: Board | None = None
        self.session: Session | None = None
        self.ip = ""
        self.state = State.HELLO
        # The stream while frames may be written to it: None before open and once closing.
        self._stream: IOStream | None = None
        self._direct = False  # a plain TCP stream: frames may go straight to its socket
        self._ops_bucket = TokenBucket(settings.ops_per_s, settings.ops_burst)
        self._bytes_bucket = TokenBucket(settings.bytes_per_s, settings.bytes_burst)
        self._address_bytes = self._bytes_bucket  # the address's own, from ``open``
        self._presence_bucket = TokenBucket(PRESENCE_PER_S, PRESENCE_BURST)
        self._refusals: list[float] = []
        self._counted = False
        self._hello_timer: asyncio.TimerHandle | None = None

    # -- handshake -----------------------------------------------------------------------------

    async def get(self, *args: Any, **kwargs: Any) -> None:
        if not _BOARD_ID.fullmatch(args[0] if args else ""):
            raise HTTPError(404)
        await super().get(*args, **kwargs)

    def set_default_headers(self) -> None:
        set_headers(self)  # refusals before the upgrade (400, 403) carry them too

    def check_origin(self, origin: str) -> bool:
        """Same host and port as the request, or on the allow-list (PROTOCOL.md, Transport)."""
        return same_site(origin, self.request.headers.get("Host", ""), self.cfg.allow_origin)

    def get_websocket_protocol(self) -> WebSocketProtocol | None:
        protocol = super().get_websocket_protocol()
        pushed(protocol)  # frames handled as their bytes arrive: web/wsread.py
        return protocol

    def get_compression_options(self) -> None:
        # permessage-deflate is per connection: it would defeat encoding a frame once.
        return None

    def open(self, *args: str, **kwargs: str) -> None:
        self.board_id = args[0]
        self.connections.add(self)
        stream = self.ws_connection.stream if self.ws_connection else None
        if stream is not None and not stream.closed():
            self._stream = stream
            # Not TLS: its socket takes our bytes as is (wsread's PushedStream is a plain one).
            self._direct = not isinstance(stream, SSLIOStream)
        self.ip = client_ip(self.request, self.cfg.trusted_proxies)
        if not self.connections.count_ip(self.ip, self.cfg.connections_per_ip):
            self._refuse(ProtocolError("rate_limited", "Too many connections from your address."))
            self.close(protocol.CLOSE_POLICY, "too many connections from your address")
            return
        self._counted = True
        cfg = self.cfg
        self._address_bytes = self.connections.shared(
            self.ip,
            lambda: TokenBucket(
                cfg.bytes_per_s * ADDRESS_STREAMS, cfg.bytes_burst * ADDRESS_STREAMS
            ),
        )
        # A connection that never says hello holds a descriptor and a slot of its address.
        self._hello_timer = asyncio.get_running_loop().call_later(
            self.cfg.hello_timeout_s, self._no_hello
        )
        # Tornado turns TCP_NODELAY off again after the upgrade; small frames need it on.
        self.set_nodelay(True)
        # A small kernel send buffer keeps a non-reading client's backlog visible to us (and
        # bounded by backlog_bytes) instead of hidden in megabytes of kernel memory.
        if stream is not None and stream.socket is not None:
            with contextlib.suppress(OSError):
                stream.socket.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SNDBUF_BYTES)

    # -- input ---------------------------------------------------------------------------------

    def on_message(self, message: str | bytes) -> Awaitable[None] | None:
        """Not a coroutine: Tornado wraps an awaitable answer in a Task (and converts it through
        a singledispatch and ABC checks) before reading the next frame. Presence, the bulk of
        what a busy board receives (cursors at 30 Hz from everyone, views at 10 Hz), is handled
        here and answers ``None``: no Task. An ops frame answers ``TURN`` (one round of the
        loop before this connection is read again, without a Task: web/wsread.py); the hello
        and the pauses of a client over its budget answer an awaitable."""
        if self.state is State.CLOSED:
            return None
        if isinstance(message, str):
            self.close(protocol.CLOSE_UNSUPPORTED, "text frames are not accepted")
            return None
        # Every frame pays for its bytes before it is even decoded, whatever it turns out to be
        # (a cursor padded to a megabyte cost nothing before issue 12).
        # (The hello is not: one per connection, and the budget is announced in its answer.)
        affordable = self.state is State.HELLO or self._afford(len(message))
        if not affordable and self.state is State.LIVE and len(message) > PRESENCE_FRAME_BYTES:
            return self._over_budget(message)
        try:
            msg = protocol.decode_frame(message)
            if self.state is State.HELLO:
                return self._on_hello(msg)
            parsed = protocol.parse_message(msg, self.hub.limits)
        except CloseError as exc:
            self.close(exc.code, exc.reason)
            return None
        except ProtocolError as exc:
            self._refuse(exc)
            return None
        board, session = self.board, self.session
        if board is None or session is None:
            return None  # not reached: Tornado reads no frame while the hello is being handled
        if not isinstance(parsed, protocol.OpsMessage):
            self._presence(board, session, parsed, len(message), affordable)
            return None
        if not affordable:
            for item in parsed.items:
                c = item.c if isinstance(item, ProtocolError) else item["c"]
                self._refuse(ProtocolError("rate_limited", SLOW_DOWN, c))
            return TURN
        ops = self._admit_ops(parsed.items, session.readonly)
        wanted = len(ops)
        if ops:
            ops = self._within_memory(ops, len(message))
        if ops:
            board.submit(session, ops)
        if len(ops) < wanted:  # short of memory: read this connection more slowly for now
            return asyncio.sleep(MEMORY_PAUSE_S)
        # Give every other connection a turn before reading more from this one: Tornado would
        # otherwise read up to 256 KB of a flooding client's frames first.
        return TURN

    def _afford(self, nbytes: int) -> bool:
        """Charge the connection's byte budget, then, if it had the bytes, its address's."""
        if not self._bytes_bucket.charge(nbytes):
            return False
        return self._address_bytes.charge(nbytes)

    async def _over_budget(self, message: bytes) -> None:
        """A large frame past the byte budget: its ops refused without being validated, then
        nothing more read from this connection until the debt is repaid (at most
        ``PAUSE_MAX_S``). Validating a frame of pen points costs the loop milliseconds, and
        refusing frames as fast as a flooder sends them would still take the loop from every
        other board; not reading lets TCP slow the sender to its budget."""
        try:
            msg = protocol.decode_frame(message)
        except CloseError as exc:
            self.close(exc.code, exc.reason)
            return
        ops = msg.get("ops")
        if msg.get("t") == "ops" and isinstance(ops, list) and 0 < len(ops) <= len(message):
            for op in ops[: self.cfg.ops_per_frame]:
                c = op.get("c") if isinstance(op, dict) else None
                ok = type(c) is int and 0 <= c <= protocol.MAX_C
                self._refuse(ProtocolError("rate_limited", SLOW_DOWN, c if ok else None))
        elif msg.get("t") == "summon":
            self._refuse(ProtocolError("rate_limited", SLOW_DOWN))
        debt = max(
            -self._bytes_bucket.tokens / self._bytes_bucket.rate,
            -self._address_bytes.tokens / self._address_bytes.rate,
        )
        await asyncio.sleep(min(PAUSE_MAX_S, max(0.0, debt)))

    def presence_allowed(self, nbytes: int, affordable: bool) -> bool:
        """Whether a presence frame (cursor, and every presence message after it) is relayed:
        within the byte budget (``affordable``, charged on arrival), small, and not too
        frequent. Presence is dropped silently, never refused: it is ephemeral by contract."""
        return affordable and nbytes <= PRESENCE_FRAME_BYTES and self._presence_bucket.take()

    def _presence(
        self,
        board: Board,
        session: Session,
        msg: CursorMessage | ViewMessage | SummonMessage,
        size: int,
        affordable: bool,
    ) -> None:
        """Cursors, views, laser points and summons: charged to the byte budget like ops
        (on arrival: ``affordable``), size-capped and rate-limited (``presence_allowed``).

        Over budget, a cursor or a view is dropped without an answer (the next one replaces
        it: docs/protocol.md says cursors are never refused); a summon is refused.
        """
        if isinstance(msg, SummonMessage):
            if session.readonly:
                self._refuse(ProtocolError("read_only", READ_ONLY_PRESENT))
            elif session.vp is None:
                self._refuse(ProtocolError("bad_message", NO_VIEW))
            elif not affordable:
                self._refuse(ProtocolError("rate_limited", SLOW_DOWN))
            else:
                board.summon(session)
            return
        if isinstance(msg, CursorMessage) and msg.laser and session.readonly:
            self._refuse(ProtocolError("read_only", READ_ONLY_PRESENT))
            return
        if not self.presence_allowed(size, affordable):
            return
        if isinstance(msg, ViewMessage):
            board.view(session, list(msg.vp))
        elif msg.laser and msg.x is not None and msg.y is not None:
            board.laser(session, msg.x, msg.y)
        else:
            board.cursor(session, msg.x, msg.y)

    def _admit_ops(
        self, items: list[dict[str, Any] | ProtocolError], readonly: bool
    ) -> list[dict[str, Any]]:
        ops: list[dict[str, Any]] = []
        for item in items:
            if isinstance(item, ProtocolError):
                self._refuse(item)
            elif readonly:
                self._refuse(ProtocolError("read_only", READ_ONLY, item["c"]))
            else:
                ops.append(item)
        granted = self._ops_bucket.take_up_to(len(ops)) if ops else 0
        for op in ops[granted:]:
            self._refuse(ProtocolError("rate_limited", SLOW_DOWN, op["c"]))
        return ops[:granted] if granted < len(ops) else ops

    def _within_memory(self, ops: list[dict[str, Any]], nbytes: int) -> list[dict[str, Any]]:
        """The ops the memory budget lets through (``live/budget.py``); the others refused."""
        kept, why = self.hub.budget.admit(self, self.ip, self.board_id, ops, nbytes)
        if why is not None:
            passed = {id(op) for op in kept}
            for op in ops:
                if id(op) not in passed:
                    self._refuse(ProtocolError("rate_limited", why, op["c"]))
        return kept

    def _no_hello(self) -> None:
        if self.state is State.HELLO:
            self.close(protocol.CLOSE_POLICY, "no hello in time")

    async def _on_hello(self, msg: dict[str, Any]) -> None:
        if self._hello_timer is not None:
            self._hello_timer.cancel()
        try:
            hello = protocol.parse_hello(msg)
        except ProtocolError as exc:
            metrics.refused(exc.code)
            self.send(protocol.encode_err(exc.code, exc.msg))
            self.close(protocol.CLOSE_POLICY, "the first message must be a valid hello")
            return
        self.state = State.JOINING
        if self.hub.loaded(self.board_id) is None and self.hub.budget.shedding():
            self.close(protocol.CLOSE_TRY_AGAIN, "the server is short of memory; try again later")
            return
        try:
            # A big board still decoding (``live/opening.py``) welcomes from its stored bytes
            # now and takes the client in once it is ready; this connection is not read until
            # then. Any other joins the loaded board.
            opening = None if hello.since is not None else await self.hub.opening(self.board_id)
            joining = opening if opening is not None else await self.hub.get(self.board_id)
            readonly, who, hello = await self._grant(joining, hello)
            if self._closed():
                return  # refused (1008), or the client left while its access was read
            session = await joining.join(self, hello, readonly=readonly, who=who)
            if isinstance(joining, Board):
                board = self.board = joining
            else:
                board = self.board = await self.hub.get(self.board_id)
                board.adopt(session)
                await self._regrant(board, hello, readonly)  # may close: left below
        except BoardDeleted:
            self.close(protocol.CLOSE_POLICY, DELETED)
            return
        except StoreError as exc:
            log.warning("could not join board %s: %s", self.board_id, exc)
            self.close(protocol.CLOSE_TRY_AGAIN, "the board cannot be opened now; try again")
            return
        except Exception as exc:  # a board whose stored bytes do not load (a damaged row)
            log.warning("board %s cannot be loaded: %r", self.board_id, exc)
            self.close(protocol.CLOSE_SERVER_ERROR, "the board cannot be opened")
            return
        if self.state is State.CLOSED:  # closed while joining
            board.leave(session)
            return
        self.session = session
        self.state = State.LIVE

    async def _grant(
        self, board: Board | Opening, hello: Hello
    ) -> tuple[bool | None, Visitor | None, Hello]:
        """With sign-in: the signed-in name replaces the one in ``hello`` (presence and
        history show who people are), and an owned board's access data decides read-only,
        or refuses (1008 with the sentence a page would show). Without: nothing changes."""
        if not self.cfg.sign_in:
            return None, None, hello
        store = self.hub.store
        who = await visitor(self, store, self.cfg, hello.key)
        if who.user is not None:
            hello = dataclasses.replace(hello, name=who.user.name)
        access = await store.get_access(board.id)
        if access is None:
            return None, who, hello
        # The stored key, not the live board's copy: another process may have replaced it.
        board.key_hash = await store.key_hash(board.id)
        role = who.role(access, board.key_hash)
        if role == "none":
            self.close(protocol.CLOSE_POLICY, refusal(who.user)[1])
            return None, who, hello
        return role == "view", who, hello

    async def _regrant(self, board: Board, hello: Hello, readonly: bool | None) -> None:
        """With sign-in, access read before a board's early welcome (``live/opening.py``) is
        read again once it has loaded: a share changed or withdrawn meanwhile found no board to
        judge its clients (``Board.regrant``). A client whose access changed reconnects."""
        if not self.cfg.sign_in:
            return
        now, _, _ = await self._grant(board, hello)  # refused now: closed with 1008
        if not self._closed() and now != readonly:
            self.close(protocol.CLOSE_TRY_AGAIN, "your access changed: reconnecting")

    def _closed(self) -> bool:
        """Read after an await: ``close`` may have run meanwhile (mypy narrows ``state``)."""
        return self.state is State.CLOSED

    def _refuse(self, exc: ProtocolError) -> None:
        metrics.refused(exc.code)
        self.send(protocol.encode_err(exc.code, exc.msg, exc.c))
        now = time.monotonic()
        self._refusals.append(now)
        if len(self._refusals) > self.cfg.refusals_per_min:
            self._refusals = [t for t in self._refusals if now - t < 60]
            if len(self._refusals) > self.cfg.refusals_per_min:
                self.close(protocol.CLOSE_POLICY, "too many refused messages")

    def close(self, code: int | None = None, reason: str | None = None) -> None:
        """Close now and leave the board at once, before TCP finishes closing.

        Every close from our side comes here, the board's (``Transport.close``) included.
        """
        if self.state is State.CLOSED:
            return
        self.state = State.CLOSED
        stream, self._stream = self._stream, None
        if self.board is not None and self.session is not None:
            self.board.leave(self.session)
        with contextlib.suppress(StreamClosedError, WebSocketClosedError):
            super().close(code, reason)
        if stream is not None:
            asyncio.get_running_loop().call_later(ABORT_AFTER_S, stream.close)

    def on_close(self) -> None:
        self.hub.budget.closed(self)
        if self._hello_timer is not None:
            self._hello_timer.cancel()
        if self._counted:
            self._counted = False
            self.connections.uncount_ip(self.ip)
        self.state = State.CLOSED
        self._stream = None
        if self.board is not None and self.session is not None:
            self.board.leave(self.session)
        self.connections.discard(self)
