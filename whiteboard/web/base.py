"""What every handler shares: security headers, error pages, and the API's parsing and replies.

API answers are JSON unless the ``Accept`` header names ``application/msgpack``. Every answer
shows committed state only: a board's ops still in a tick are not visible here.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import secrets
import string
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import tornado.iostream
import tornado.web

from whiteboard.codec import pack
from whiteboard.history import jobs
from whiteboard.history.state import state_inputs
from whiteboard.live.budget import SHORT_OF_MEMORY
from whiteboard.live.lifecycle import DELETED
from whiteboard.live.registry import BoardDeleted, Hub
from whiteboard.points import plain
from whiteboard.protocol import BOARD_ID_PATTERN
from whiteboard.store.base import Checkpoint, LogRow, Store, StoreError
from whiteboard.web.addresses import client_ip
from whiteboard.web.auth.creating import CreateRefused, creator
from whiteboard.web.auth.policy import refusal
from whiteboard.web.auth.session import User
from whiteboard.web.auth.visitor import visitor
from whiteboard.web.creations import CreationLimiter
from whiteboard.web.guard import PAGE_CSP as PAGE_CSP
from whiteboard.web.guard import set_headers
from whiteboard.web.heavy import RETRY_AFTER_S, Busy, HeavyWork, WorkerLost
from whiteboard.web.origin import same_site

T = TypeVar("T")
log = logging.getLogger(__name__)

BOARD_ID = re.compile(BOARD_ID_PATTERN)
_INT = re.compile(r"-?[0-9]{1,18}")
_ID_CHARS = string.ascii_letters + string.digits


def random_board_id() -> str:
    """12 letters or digits: 71 bits, so ids of new boards cannot be guessed or collide."""
    return "".join(secrets.choice(_ID_CHARS) for _ in range(12))


MSGPACK = "application/msgpack"
LARGE_BODY = 1 << 20  # write_body: from here, no ETag and no copy
SEND_SLICE = 1 << 20  # send_answer: bytes read from a worker's file per write

# No inline script anywhere: user text can never become code, even if escaping failed somewhere.
# img-src data: for the pictures export.svg embeds (PROTOCOL.md 1.1); nothing else loads.
SVG_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'"


class BaseHandler(tornado.web.RequestHandler):
    def initialize(self, hub: Hub, store: Store) -> None:
        self.hub = hub
        self.store = store

    def set_default_headers(self) -> None:
        set_headers(self)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        """A page in words with a way back, rather than Tornado's bare status line."""
        if status_code == 404:
            title = "No such board"
            message = (
                "Board names use letters, digits, - and _ (up to 64), starting with a letter "
                "or a digit. Check the link, or open a board from the start page."
            )
        else:
            title = self._reason
            message = "Something went wrong on the server. Try again in a moment."
        self.render("error.html", title=title, message=message)


class ApiError(tornado.web.HTTPError):
    """A refusal with a sentence for the person behind the request (``{error}``)."""

    def __init__(self, status: int, message: str, retry_after: int | None = None) -> None:
        super().__init__(status)
        self.status = status
        self.message = message
        self.retry_after = retry_after  # seconds, sent as Retry-After (429, 503)


GONE = DELETED  # the same sentence as the WebSocket close reason


async def is_deleted(hub: Hub, store: Store, board: str) -> bool:
    """A loaded board is never deleted (deletion evicts it): no store read on the hot path."""
    return hub.loaded(board) is None and await store.deleted_at(board) is not None


class ApiHandler(BaseHandler):
    """Shared parsing and encoding; malformed input is a 400 with ``{error}``, never a trace.

    Errors are answered in one place (``write_error``): a handler raises ``ApiError`` with its
    sentence, and a ``StoreError`` becomes a 503 with ``store_failure`` (one log line, no
    traceback: an unreachable store is an operator's problem, not a bug).
    """

    store_failure = "The board could not be read; try again."
    refuse_deleted = True
    """A soft-deleted board's routes answer 410 (the admin API's do not)."""
    role: str | None = None
    """What this visitor may do on the board of the route, when it is an owned board
    (``web/auth/policy.py``); None for boards that have no owner."""

    async def prepare(self) -> None:
        """A soft-deleted board's routes answer 410. With sign-in, an owned board's routes then
        ask who is asking: refused here, with 401 (sign in) or 403 (not shared with you), before
        any handler reads the board."""
        if not self.path_args:
            return
        board = self.path_args[0]
        if not BOARD_ID.fullmatch(board):
            return
        if self.refuse_deleted and await is_deleted(self.hub, self.store, board):
            raise ApiError(410, GONE)
        settings = self.hub.settings
        if not settings.sign_in or not self.request.path.startswith("/api/boards/"):
            return
        access = await self.store.get_access(board)
        if access is None:
            return
        key = self.request.headers.get("X-Edit-Key")
        key_hash = await self.store.key_hash(board) if key is not None else None
        who = await visitor(self, self.store, settings, key)
        self.role = who.role(access, key_hash)
        if self.role == "none":
            raise ApiError(*refusal(who.user))

    def wants_msgpack(self) -> bool:
        return MSGPACK in self.request.headers.get("Accept", "")

    def reply(self, body: dict[str, Any]) -> None:
        if self.wants_msgpack():
            self.set_header("Content-Type", MSGPACK)
            self.write(pack(body))
        else:
            self.set_header("Content-Type", "application/json; charset=utf-8")
            self.write(json.dumps(body, separators=(",", ":"), ensure_ascii=False, default=plain))

    def board_id(self, board: str) -> str:
        if not BOARD_ID.fullmatch(board):
            raise ApiError(400, f"{board!r} is not a valid board id.")
        return board

    def int_arg(self, name: str, default: int | None, low: int, high: int) -> int | None:
        raw = self.get_query_argument(name, None)
        if raw is None:
            return default
        if not _INT.fullmatch(raw):
            raise ApiError(400, f"'{name}' must be an integer.")
        value = int(raw)
        if not low <= value <= high:
            raise ApiError(400, f"'{name}' must be between {low} and {high}.")
        return value

    def check_same_site(
        self, refusal: str = "Boards can only be created from this site's pages."
    ) -> None:
        """Refuse POSTs from other sites' pages, as the WebSocket handshake refuses their
        origins: a page elsewhere must not make its visitors' browsers create boards here."""
        origin = self.request.headers.get("Origin")
        host = self.request.headers.get("Host", "")
        if origin is None or same_site(origin, host, self.hub.settings.allow_origin):
            return
        raise ApiError(403, refusal)

    async def creator(self) -> User | None:
        """Who creates a board (its owner, with sign-in), or a 401/403 from ``--create``."""
        try:
            return await creator(self, self.store, self.hub.settings)
        except CreateRefused as exc:
            raise ApiError(exc.status, exc.message) from None

    def check_storage(self, stored_bytes: int | None = None, adding: int = 0) -> None:
        """Refuse what would add ``adding`` bytes to a board holding ``stored_bytes`` (None:
        a new board) past ``--board-mb``, or anything while the store is past ``--disk-mb``:
        507 with the quota's sentence (``live/quota.py``)."""
        quota = self.hub.quota
        if stored_bytes is None:
            refusal = quota.board_refusal(0, adding) if adding else quota.total_refusal()
        else:
            refusal = quota.board_refusal(stored_bytes, adding)
        if refusal is not None:
            raise ApiError(507, refusal)

    def check_creation_rate(self) -> None:
        """Refuse a creation (create, fork, import) past the address's allowance
        (``web/creations.py``): 429 with ``Retry-After`` and a sentence."""
        limiter: CreationLimiter | None = self.application.settings.get("creations")
        if limiter is None:
            return
        if not limiter.allow(client_ip(self.request, self.hub.settings.trusted_proxies)):
            raise ApiError(
                429,
                f"Too many boards created from your address (at most {limiter.per_min} a "
                "minute): wait a moment and try again.",
                retry_after=limiter.retry_after(),
            )

    def log_exception(self, typ: Any, value: Any, tb: Any) -> None:
        if isinstance(value, BoardDeleted):
            return
        if isinstance(value, StoreError):
            log.error("%s %s failed: %s", self.request.method, self.request.path, value)
        else:
            super().log_exception(typ, value, tb)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        exc = kwargs.get("exc_info", (None, None, None))[1]
        if isinstance(exc, BoardDeleted):
            self.set_status(410)
            message = GONE
        elif isinstance(exc, ApiError):
            message = exc.message
            if exc.retry_after is not None:
                self.set_header("Retry-After", str(exc.retry_after))
        elif isinstance(exc, StoreError):
            self.set_status(503)
            message = self.store_failure
        else:
            message = self._reason
        self.reply({"error": message})

    async def state_inputs_at(
        self, board: str, at: int | None
    ) -> tuple[int, Checkpoint | None, list[LogRow]]:
        """What a worker rebuilds the committed state at ``at`` (the head when None) from: the
        I/O half, here; the CPU half is a ``history/jobs.py`` function run by ``compute``.
        The head is read from the store, which holds everything committed, rather than from a
        live board: copying a live state out would be as heavy, on the loop, as rebuilding it."""
        head = await self.board_head(board)
        if at is None:
            at = head
        elif at > head:
            raise ApiError(400, f"'at' must be between 0 and the head ({head}).")
        cp, rows = await state_inputs(self.store, board, at)
        return at, cp, rows

    async def export(
        self, kind: str, board: str, at: int | None, title: str
    ) -> tuple[int, jobs.Answer]:
        """``export.svg`` or ``.pdf`` at ``at``, built in a worker process with the pictures
        the state shows (``jobs.export`` says why it may take two rounds)."""
        seq, cp, rows = await self.state_inputs_at(board, at)
        held = frozenset(await self.store.blob_names(board))
        limits = self.hub.limits
        pictures: dict[str, tuple[str, bytes]] = {}
        missing, body = await self.compute(
            jobs.export, kind, cp, rows, seq, limits, held, pictures, title
        )
        if body is None:
            found = await self.store.get_blobs(board, missing)
            pictures = {n: (b.type, b.data) for n, b in found.items()}
            held = frozenset(pictures)
            _, body = await self.compute(
                jobs.export, kind, cp, rows, seq, limits, held, pictures, title
            )
        assert body is not None
        return seq, body

    @contextlib.contextmanager
    def heavy_slot(self) -> Iterator[None]:
        """Wrap a heavy request's whole handling (``web/heavy.py``); 503 when all are taken."""
        heavy: HeavyWork = self.application.settings["heavy"]
        if self.hub.budget.shedding():
            raise ApiError(503, SHORT_OF_MEMORY, retry_after=RETRY_AFTER_S)
        try:
            slot = heavy.slot()
            slot.__enter__()
        except Busy:
            raise ApiError(
                503,
                "The server is busy with other large requests: try again in a moment.",
                retry_after=RETRY_AFTER_S,
            ) from None
        try:
            yield
        finally:
            slot.__exit__(None, None, None)

    async def off_loop(self, fn: Callable[[], T]) -> T:
        """``fn`` in a heavy-request thread; the caller holds a ``heavy_slot``."""
        heavy: HeavyWork = self.application.settings["heavy"]
        return await heavy.run(fn)

    async def compute(self, fn: Callable[..., T], *args: Any) -> T:
        """``fn(*args)`` in a heavy-request worker process; the caller holds a ``heavy_slot``."""
        heavy: HeavyWork = self.application.settings["heavy"]
        try:
            return await heavy.compute(fn, *args)
        except WorkerLost:
            raise ApiError(
                503,
                "The server ran short of memory building this answer: try again later.",
                retry_after=RETRY_AFTER_S,
            ) from None

    async def reply_off_loop(self, make: Callable[[], dict[str, Any]]) -> None:
        """``reply`` of a body built and encoded in a heavy-request thread."""
        as_msgpack = self.wants_msgpack()

        def encode() -> bytes:
            body = make()
            if as_msgpack:
                packed: bytes = pack(body)
                return packed
            text = json.dumps(body, separators=(",", ":"), ensure_ascii=False, default=plain)
            return text.encode()

        data = await self.off_loop(encode)
        self.reply_bytes(data, as_msgpack)

    def reply_bytes(self, data: bytes, as_msgpack: bool) -> None:
        """An answer already encoded, as JSON or msgpack."""
        self._content_type(as_msgpack)
        self.write_body(data)

    async def reply_answer(self, answer: jobs.Answer, as_msgpack: bool) -> None:
        """``reply_bytes`` of a worker's answer (``send_answer``)."""
        self._content_type(as_msgpack)
        await self.send_answer(answer)

    def _content_type(self, as_msgpack: bool) -> None:
        if as_msgpack:
            self.set_header("Content-Type", MSGPACK)
        else:
            self.set_header("Content-Type", "application/json; charset=utf-8")

    async def send_answer(self, answer: jobs.Answer) -> None:
        """A worker's answer as the body: its bytes, or its file sent in slices (each written
        before the next is read: the client's pace) and then deleted, sent or not."""
        if answer.path is None:
            self.write_body(answer.data)
            return
        try:
            with open(answer.path, "rb") as f:
                self.set_header("Content-Length", str(os.fstat(f.fileno()).st_size))
                while chunk := f.read(SEND_SLICE):
                    self.write(chunk)
                    await self.flush()
        except tornado.iostream.StreamClosedError:
            pass  # the client went away: nothing to answer
        finally:
            os.unlink(answer.path)

    def write_body(self, data: bytes) -> None:
        """The whole body, already built. A large one (an export, a snapshot) skips what
        Tornado's ``finish`` does to a body on the loop: an ETag (a SHA-1 of all of it: 0.15 s
        for an 80 MB export.svg) and joining it to the headers (a copy). The headers go first,
        with the length; the body follows as one write that the stream holds by reference."""
        if len(data) < LARGE_BODY or self.request.method != "GET":
            self.write(data)
            return
        self.set_header("Content-Length", str(len(data)))
        self.flush()
        self.write(data)

    async def board_head(self, board: str) -> int:
        return await self.store.head(board)

    async def handle(self, board: str) -> None:
        raise NotImplementedError

    async def get(self, board: str) -> None:
        await self.handle(self.board_id(board))
