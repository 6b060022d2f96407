"""``GET``/``PUT /api/boards/{board}/title``: a board's title, shown in the tab and in lists.

Stored with the board (``store/meta.py``), not in its log: renaming is not an edit of the
drawing, and history does not replay it. Changing it takes what drawing takes: a page of this
site, and the edit key of a protected board (``X-Edit-Key``, as for pictures).
"""

from __future__ import annotations

import json
import unicodedata

from whiteboard.keys import key_matches
from whiteboard.store.meta import TITLE_CHARS
from whiteboard.web.base import ApiError, ApiHandler

BAD_TITLE = (
    'The body must be JSON like {"title": "Sprint planning"}: a title of at most '
    f"{TITLE_CHARS} characters, or null to remove it."
)


def clean_title(value: object) -> str | None:
    """The title to store (None: none), or ``ValueError``. Control characters are refused:
    a title lands in the tab, in lists and in the admin's terminal."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError(value)
    title = value.strip()
    if len(title) > TITLE_CHARS or any(unicodedata.category(c) == "Cc" for c in title):
        raise ValueError(value)
    return title or None


class TitleHandler(ApiHandler):
    store_failure = "The title could not be saved; try again."

    async def handle(self, board: str) -> None:
        self.reply({"board": board, "title": await self.store.board_title(board)})

    async def put(self, board: str) -> None:
        board = self.board_id(board)
        self.check_same_site("Boards can only be renamed from this site's pages.")
        try:
            title = clean_title(json.loads(self.request.body or b"null").get("title"))
        except (ValueError, AttributeError):
            raise ApiError(400, BAD_TITLE) from None
        live = await self.hub.get(board)
        if live.key_hash is not None and not key_matches(
            self.request.headers.get("X-Edit-Key"), live.key_hash
        ):
            raise ApiError(403, "Renaming this board needs its edit link.")
        await self.store.set_title(board, title)
        self.set_status(204)
