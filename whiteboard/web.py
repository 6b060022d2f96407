"""Pages and the HTTP API: snapshot, log pages, SVG export, health.

API answers are JSON unless the ``Accept`` header names ``application/msgpack``. Every answer
shows committed state only: a board's ops still in a tick are not visible here.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import string
from typing import Any
from urllib.parse import urlsplit

import msgpack
import tornado.web

from whiteboard import BOARD_ID_PATTERN, history, seek, svg
from whiteboard.hub import Hub, hash_key
from whiteboard.store.base import Store, StoreError

log = logging.getLogger(__name__)

_BOARD_ID = re.compile(BOARD_ID_PATTERN)
_INT = re.compile(r"-?[0-9]{1,18}")
_ID_CHARS = string.ascii_letters + string.digits


def random_board_id() -> str:
    """12 letters or digits: 71 bits, so ids of new boards cannot be guessed or collide."""
    return "".join(secrets.choice(_ID_CHARS) for _ in range(12))


MSGPACK = "application/msgpack"

# No inline script anywhere: user text can never become code, even if escaping failed somewhere.
PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; connect-src 'self'; font-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
SVG_CSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"


class BaseHandler(tornado.web.RequestHandler):
    def initialize(self, hub: Hub, store: Store) -> None:
        self.hub = hub
        self.store = store

    def set_default_headers(self) -> None:
        self.set_header("X-Content-Type-Options", "nosniff")
        self.set_header("Referrer-Policy", "no-referrer")
        self.set_header("Content-Security-Policy", PAGE_CSP)

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


class IndexHandler(BaseHandler):
    def get(self) -> None:
        self.render("index.html")


class BoardPageHandler(BaseHandler):
    def get(self, board: str) -> None:
        if not _BOARD_ID.fullmatch(board):
            raise tornado.web.HTTPError(404)
        self.render("board.html", board=board)


class HealthHandler(BaseHandler):
    def get(self) -> None:
        self.set_header("Content-Type", "text/plain; charset=utf-8")
        self.write("ok")

    def head(self) -> None:
        """Uptime monitors often ask with HEAD."""
        self.set_header("Content-Type", "text/plain; charset=utf-8")


class ApiError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class ApiHandler(BaseHandler):
    """Shared parsing and encoding; malformed input is a 400 with ``{error}``, never a trace."""

    def wants_msgpack(self) -> bool:
        return MSGPACK in self.request.headers.get("Accept", "")

    def reply(self, body: dict[str, Any]) -> None:
        if self.wants_msgpack():
            self.set_header("Content-Type", MSGPACK)
            self.write(msgpack.packb(body, use_bin_type=True))
        else:
            self.set_header("Content-Type", "application/json; charset=utf-8")
            self.write(json.dumps(body, separators=(",", ":"), ensure_ascii=False))

    def board_id(self, board: str) -> str:
        if not _BOARD_ID.fullmatch(board):
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

    def check_same_site(self) -> None:
        """Refuse POSTs from other sites' pages, as the WebSocket handshake refuses their
        origins: a page elsewhere must not make its visitors' browsers create boards here."""
        origin = self.request.headers.get("Origin")
        if origin is None:
            return
        allowed = self.hub.settings.allow_origin
        netloc = urlsplit(origin.lower()).netloc
        host = self.request.headers.get("Host", "").lower()
        if origin in allowed or (netloc and netloc == host):
            return
        if any(netloc == urlsplit(a.lower()).netloc for a in allowed):
            return
        raise ApiError(403, "Boards can only be created from this site's pages.")

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.finish(json.dumps({"error": self._reason}))

    async def elements_at(self, board: str, at: int | None) -> tuple[int, list[dict[str, Any]]]:
        """The committed state at ``at`` (the head when None)."""
        head = await self.board_head(board)
        if at is not None and at > head:
            raise ApiError(400, f"'at' must be between 0 and the head ({head}).")
        if at is None or at == head:
            live = self.hub.loaded(board)
            if live is not None:
                state = await live.committed_elements()
                if state is not None:
                    return state
            at = head
        doc = await history.state_at(self.store, board, at, self.hub.limits)
        return at, doc.elements()

    async def board_head(self, board: str) -> int:
        return await self.store.head(board)

    async def handle(self, board: str) -> None:
        raise NotImplementedError

    async def get(self, board: str) -> None:
        try:
            await self.handle(self.board_id(board))
        except ApiError as exc:
            self.set_status(exc.status)
            self.reply({"error": exc.message})
        except StoreError as exc:
            log.error("API read failed on %s: %s", board, exc)
            self.set_status(503)
            self.reply({"error": "The board could not be read; try again."})


class CreateBoardHandler(ApiHandler):
    """``POST /api/boards``: a new board with a random id; ``{"protected": true}`` adds an edit
    key, returned once and stored only as a hash. The app puts it in the link's fragment, which
    browsers never send to the server, so it appears in no request line and no log."""

    async def post(self) -> None:
        try:
            self.check_same_site()
        except ApiError as exc:
            self.set_status(exc.status)
            self.reply({"error": exc.message})
            return
        try:
            body = json.loads(self.request.body or b"{}")
        except ValueError:
            body = None
        if not isinstance(body, dict) or not isinstance(body.get("protected", False), bool):
            self.set_status(400)
            self.reply({"error": 'The body must be a JSON object like {"protected": true}.'})
            return
        key = secrets.token_urlsafe(24) if body.get("protected") else None
        for _ in range(5):
            board = random_board_id()
            if await self.store.create_board(board, hash_key(key) if key else None):
                self.set_status(201)
                self.reply({"board": board, "key": key} if key else {"board": board})
                return
        raise StoreError("could not pick a free board id")


class SnapshotHandler(ApiHandler):
    async def handle(self, board: str) -> None:
        at = self.int_arg("at", None, 0, 2**53 - 1)
        if at is not None and self.wants_msgpack() and at < await self.board_head(board):
            # A past state, spliced from the checkpoint's bytes (seek.py says why).
            self.set_header("Content-Type", MSGPACK)
            self.write(await seek.snapshot_msgpack(self.store, board, at, self.hub.limits))
            return
        seq, elements = await self.elements_at(board, at)
        self.reply({"board": board, "seq": seq, "elements": elements})


class OpsHandler(ApiHandler):
    async def handle(self, board: str) -> None:
        after = self.int_arg("after", 0, 0, 2**53 - 1)
        limit = self.int_arg("limit", 1000, 1, 10_000)
        assert after is not None and limit is not None
        head = await self.board_head(board)
        if after > head:
            raise ApiError(400, f"'after' must be between 0 and the head ({head}).")
        if self.wants_msgpack():
            # Spliced from the stored rows, not decoded and re-encoded (history.py says why).
            self.set_header("Content-Type", MSGPACK)
            self.write(await history.ops_page_msgpack(self.store, board, after, limit, head))
            return
        page = await history.ops_page(self.store, board, after, limit, head)
        self.reply(page.body())


class SvgHandler(ApiHandler):
    async def handle(self, board: str) -> None:
        at = self.int_arg("at", None, 0, 2**53 - 1)
        _, elements = await self.elements_at(board, at)
        self.set_header("Content-Type", "image/svg+xml; charset=utf-8")
        self.set_header("Content-Security-Policy", SVG_CSP)
        self.write(svg.render(elements))
