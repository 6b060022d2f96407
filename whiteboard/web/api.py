"""The board API: create, snapshot (any seq), log pages, SVG and PDF export."""

from __future__ import annotations

import json
import secrets
from typing import Any

from whiteboard.history import jobs, pages, seek
from whiteboard.keys import hash_key
from whiteboard.store.base import StoreError
from whiteboard.web import admin_auth
from whiteboard.web.addresses import in_networks
from whiteboard.web.auth.creating import give_owner
from whiteboard.web.base import MSGPACK, SVG_CSP, ApiError, ApiHandler, random_board_id
from whiteboard.web.titles import BAD_TITLE, clean_title


class CreateBoardHandler(ApiHandler):
    """``POST /api/boards``: a new board with a random id; ``{"protected": true}`` adds an edit
    key, returned once and stored only as a hash. The app puts it in the link's fragment, which
    browsers never send to the server, so it appears in no request line and no log.

    Another service holding ``--api-token`` (``Authorization: Bearer``) may create boards from
    anywhere, past the per-address limit, and gets the edit and view links in the answer.
    """

    store_failure = "The board could not be created; try again."

    async def post(self) -> None:
        service = self._service()
        if not service:
            self.check_same_site()
            self.check_creation_rate()
        self.check_storage()
        try:
            body = json.loads(self.request.body or b"{}")
        except ValueError:
            body = None
        if not isinstance(body, dict) or not isinstance(body.get("protected", False), bool):
            raise ApiError(400, 'The body must be a JSON object like {"protected": true}.')
        try:
            title = clean_title(body.get("title"))
        except ValueError:
            raise ApiError(400, BAD_TITLE) from None
        # A service with the API token creates unowned boards, whatever --create says.
        owner = None if service else await self.creator()
        # An owned board always has an edit link, so that its owner can replace it; its plain
        # link lets anyone edit unless the board was asked for protected (as before).
        protected = bool(body.get("protected"))
        key = secrets.token_urlsafe(24) if protected or owner is not None else None
        for _ in range(5):
            board = random_board_id()
            if await self.store.create_board(board, hash_key(key) if key else None):
                await give_owner(self.store, board, owner, "view" if protected else "edit")
                if title is not None:
                    await self.store.set_title(board, title)
                answer: dict[str, Any] = {"board": board, "key": key} if key else {"board": board}
                if service:
                    view = f"{self._scheme()}://{self.request.host}/b/{board}"
                    answer["view"] = view
                    answer["edit"] = f"{view}#key={key}" if key else view
                self.set_status(201)
                self.reply(answer)
                return
        raise StoreError("could not pick a free board id")

    def _scheme(self) -> str:
        """The scheme the service reached us by: a trusted proxy's ``X-Forwarded-Proto`` (it
        ends TLS), else this connection's."""
        forwarded = self.request.headers.get("X-Forwarded-Proto", "").strip().lower()
        trusted = in_networks(self.request.remote_ip or "", self.hub.settings.trusted_proxies)
        return forwarded if trusted and forwarded in ("http", "https") else self.request.protocol

    def _service(self) -> bool:
        """True for a request with the API token; a wrong token is refused, not ignored."""
        given = admin_auth.bearer(self)
        if given is None:
            return False
        if admin_auth.token_matches(given, self.hub.settings.api_token):
            return True
        raise ApiError(403, "The API token (Authorization: Bearer) is not right.")


class SnapshotHandler(ApiHandler):
    async def handle(self, board: str) -> None:
        at = self.int_arg("at", None, 0, 2**53 - 1)
        if at is not None and self.wants_msgpack() and at < await self.board_head(board):
            # A past state, spliced from the checkpoint's bytes (seek.py says why).
            self.set_header("Content-Type", MSGPACK)
            self.write(await seek.snapshot_msgpack(self.store, board, at, self.hub.limits))
            return
        with self.heavy_slot():
            seq, cp, rows = await self.state_inputs_at(board, at)
            as_msgpack = self.wants_msgpack()
            limits = self.hub.limits
            answer = await self.compute(jobs.snapshot, board, cp, rows, seq, limits, as_msgpack)
        await self.reply_answer(answer, as_msgpack)


class OpsHandler(ApiHandler):
    async def handle(self, board: str) -> None:
        after = self.int_arg("after", 0, 0, 2**53 - 1)
        limit = self.int_arg("limit", 1000, 1, 10_000)
        assert after is not None and limit is not None
        head = await self.board_head(board)
        if after > head:
            raise ApiError(400, f"'after' must be between 0 and the head ({head}).")
        if self.wants_msgpack():
            # Spliced from the stored rows, not decoded and re-encoded (history/pages.py says why).
            self.set_header("Content-Type", MSGPACK)
            self.write(await pages.ops_page_msgpack(self.store, board, after, limit, head))
            return
        with self.heavy_slot():
            page = await pages.ops_page(self.store, board, after, limit, head)
            await self.reply_off_loop(page.body)


class SvgHandler(ApiHandler):
    async def handle(self, board: str) -> None:
        at = self.int_arg("at", None, 0, 2**53 - 1)
        with self.heavy_slot():
            _, body = await self.export("svg", board, at, board)
        self.set_header("Content-Type", "image/svg+xml; charset=utf-8")
        self.set_header("Content-Security-Policy", SVG_CSP)
        await self.send_answer(body)


class PdfHandler(ApiHandler):
    """``export.pdf?at=S``: a page per frame, or one page (``export/pdf.py``). Heavy like
    export.svg: built off the loop, within ``--heavy-requests``."""

    async def handle(self, board: str) -> None:
        at = self.int_arg("at", None, 0, 2**53 - 1)
        with self.heavy_slot():
            seq, data = await self.export("pdf", board, at, board)
        self.set_header("Content-Type", "application/pdf")
        self.set_header("Content-Disposition", f'inline; filename="{board}-{seq}.pdf"')
        await self.send_answer(data)
