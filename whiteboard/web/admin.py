"""The admin API (issue 17): list and search boards, soft-delete, restore, purge.

Exact, so that other tools can rely on it (docs/protocol.md, "Administration"). Who is an admin
is ``admin_auth.is_admin``'s answer alone: 401 when the request says nothing of who it is, 403
when it is not an admin. Deleted boards are listed here and answered here, not with 410.
"""

from __future__ import annotations

from typing import Any

from whiteboard.history import jobs
from whiteboard.history.state import state_inputs
from whiteboard.live.lifecycle import Lifecycle
from whiteboard.store.meta import BoardSummary, parse_cursor
from whiteboard.web import admin_auth
from whiteboard.web.base import ApiError, ApiHandler

NOT_ADMIN = (
    "This needs an administrator: the admin token (Authorization: Bearer) is not right, "
    "or you are not one of --admins."
)
NO_CREDENTIALS = "This needs an administrator: send the admin token as Authorization: Bearer."
NO_ADMINS = (
    "This server has no administrator: start it with --admin-token (or, with sign-in, "
    "--admins) to use the admin page and API."
)
NO_SUCH_BOARD = "There is no board with that id."
Q_CHARS = 200


class AdminHandler(ApiHandler):
    refuse_deleted = False

    async def prepare(self) -> None:
        if await admin_auth.is_admin(self, self.store):
            return
        if not await admin_auth.has_credentials(self, self.store):
            raise ApiError(401, NO_CREDENTIALS if admin_auth.configured(self) else NO_ADMINS)
        raise ApiError(403, NOT_ADMIN)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        if status_code == 401:  # set here: an error clears the headers set before it
            self.set_header("WWW-Authenticate", 'Bearer realm="whiteboard admin"')
        super().write_error(status_code, **kwargs)

    @property
    def lifecycle(self) -> Lifecycle:
        return Lifecycle(self.store, self.hub, self.hub.cluster)


class AdminBoardsHandler(AdminHandler):
    """``GET /api/admin/boards?q=&after=&limit=``: ``{boards: [...], next}``."""

    async def get(self, *_: str) -> None:
        q = self.get_query_argument("q", "").strip()
        if len(q) > Q_CHARS:
            raise ApiError(400, f"'q' must be at most {Q_CHARS} characters.")
        after = self.get_query_argument("after", None) or None
        if after is not None:
            try:
                parse_cursor(after)
            except ValueError:
                raise ApiError(400, "'after' must be the 'next' of an earlier page.") from None
        limit = self.int_arg("limit", 50, 1, 500)
        with self.heavy_slot():
            page, following = await self.store.list_boards(q, after, limit)
            boards = [await self._row(s) for s in page]
        self.reply({"boards": boards, "next": following})

    async def _row(self, s: BoardSummary) -> dict[str, Any]:
        return {
            "board": s.board,
            "title": s.title,
            "owner": s.owner,
            "created": s.created,
            "active": s.active,
            "seq": s.seq,
            "elements": await self._elements(s),
            "bytes": s.bytes,
            "blobs": s.blobs,
            "protected": s.protected,
            "deleted": s.deleted,
        }

    async def _elements(self, s: BoardSummary) -> int:
        """Live elements at the head: from memory when the board is loaded, else replayed
        from its last checkpoint off the loop."""
        live = self.hub.loaded(s.board)
        if live is not None:
            return len(live.doc.elements())
        if s.seq == 0:
            return 0
        cp, rows = await state_inputs(self.store, s.board, s.seq)
        return await self.compute(jobs.count, cp, rows, s.seq, self.hub.limits)


class AdminBoardHandler(AdminHandler):
    """``DELETE /api/admin/boards/{board}`` (``?purge=1`` purges): 204."""

    async def delete(self, board: str) -> None:
        board = self.board_id(board)
        self.check_same_site("Boards can only be deleted from this site's pages.")
        purge = self.get_query_argument("purge", "0")
        if purge not in ("0", "1"):
            raise ApiError(400, "'purge' must be 1 or 0.")
        done = await (self.lifecycle.purge if purge == "1" else self.lifecycle.delete)(board)
        if not done:
            raise ApiError(404, NO_SUCH_BOARD)
        self.set_status(204)


class AdminRestoreHandler(AdminHandler):
    """``POST /api/admin/boards/{board}/restore``: 204."""

    async def post(self, board: str) -> None:
        board = self.board_id(board)
        self.check_same_site("Boards can only be restored from this site's pages.")
        if not await self.lifecycle.restore(board):
            raise ApiError(404, NO_SUCH_BOARD)
        self.set_status(204)
