"""The HTML pages (landing, board) and the health check."""

from __future__ import annotations

import tornado.web

from whiteboard.web.base import BOARD_ID, BaseHandler


class IndexHandler(BaseHandler):
    def get(self) -> None:
        self.render("index.html")


class BoardPageHandler(BaseHandler):
    def get(self, board: str) -> None:
        if not BOARD_ID.fullmatch(board):
            raise tornado.web.HTTPError(404)
        self.render("board.html", board=board)


class HealthHandler(BaseHandler):
    def get(self) -> None:
        self.set_header("Content-Type", "text/plain; charset=utf-8")
        self.write("ok")

    def head(self) -> None:
        """Uptime monitors often ask with HEAD."""
        self.set_header("Content-Type", "text/plain; charset=utf-8")
