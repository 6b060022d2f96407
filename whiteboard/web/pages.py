"""The HTML pages (landing, board) and the health check."""

from __future__ import annotations

import tornado.web

from whiteboard.web.auth.visitor import visitor
from whiteboard.web.base import BOARD_ID, GONE, BaseHandler, is_deleted


class IndexHandler(BaseHandler):
    def get(self) -> None:
        self.render("index.html")


class BoardPageHandler(BaseHandler):
    async def get(self, board: str) -> None:
        if not BOARD_ID.fullmatch(board):
            raise tornado.web.HTTPError(404)
        if await is_deleted(self.hub, self.store, board):
            self.set_status(410)
            self.render("deleted.html", board=board, message=GONE, owner=await self._owns(board))
            return
        title = await self.store.board_title(board)
        self.render("board.html", board=board, title=title)

    async def _owns(self, board: str) -> bool:
        """Whether the visitor may take the deleted board out of the trash (its owner, or an
        admin): the page then offers it (``POST /api/boards/{board}/restore``)."""
        settings = self.hub.settings
        if not settings.sign_in:
            return False
        access = await self.store.get_access(board)
        if access is None:
            return False
        who = await visitor(self, self.store, settings, None)
        return who.role(access, None) == "owner"


class AdminPageHandler(BaseHandler):
    """The admin page: it asks for the admin token and uses ``/api/admin/...`` with it, so
    the page itself holds nothing secret."""

    def get(self) -> None:
        self.render("admin.html")


class HealthHandler(BaseHandler):
    def get(self) -> None:
        self.set_header("Content-Type", "text/plain; charset=utf-8")
        self.write("ok")

    def head(self) -> None:
        """Uptime monitors often ask with HEAD."""
        self.set_header("Content-Type", "text/plain; charset=utf-8")
