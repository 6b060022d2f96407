"""The Share dialog's routes, on owned boards when sign-in is on (docs/protocol.md, "Owners
and sharing"): read the access data, change it, replace the edit link.

A change applies at once to the clients on the board in this process (``Board.regrant``): a
viewer made editor, an editor made viewer, a holder of a replaced key, each joins again under
the new rule; someone no longer allowed is closed with 1008.
"""

from __future__ import annotations

import json
import re
import secrets
from typing import Any

from whiteboard.keys import hash_key
from whiteboard.live.lifecycle import Lifecycle
from whiteboard.live.session import Session
from whiteboard.store.access import LINK_ACCESS, ROLES, BoardAccess
from whiteboard.web.auth.policy import refusal
from whiteboard.web.auth.visitor import Visitor, visitor
from whiteboard.web.base import ApiError, ApiHandler

EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]{1,190}")
MAX_SHARES = 500


def _view(access: BoardAccess, role: str) -> dict[str, Any]:
    body: dict[str, Any] = {"role": role, "owner": access.owner}
    if role == "owner":
        body["link"] = access.link
        body["shares"] = [{"email": e, "role": r} for e, r in sorted(access.shares.items())]
        body["key_gen"] = access.key_gen
    return body


class AccessHandler(ApiHandler):
    """``GET``/``PUT /api/boards/{board}/access``."""

    store_failure = "The board's sharing could not be read or saved; try again."

    async def _access(self, board: str) -> BoardAccess:
        if not self.hub.settings.sign_in:
            raise ApiError(404, "Sign-in is off on this server: boards have no owners.")
        access = await self.store.get_access(board)
        if access is None:
            raise ApiError(404, "This board has no owner: it cannot be shared by e-mail.")
        return access

    async def _owner_only(self, board: str) -> BoardAccess:
        access = await self._access(board)
        if self.role != "owner":
            who = await visitor(self, self.store, self.hub.settings, None)
            if who.user is None:
                raise ApiError(*refusal(None))
            raise ApiError(403, "Only the board's owner can change who may use it.")
        return access

    async def get(self, board: str) -> None:
        board = self.board_id(board)
        access = await self._access(board)
        self.set_header("Cache-Control", "no-store")
        self.reply(_view(access, self.role or "none"))

    async def put(self, board: str) -> None:
        board = self.board_id(board)
        self.check_same_site("Sharing can only be changed from this site's pages.")
        access = await self._owner_only(board)
        try:
            body = json.loads(self.request.body or b"")
        except ValueError:
            body = None
        if not isinstance(body, dict) or set(body) - {"link", "shares"}:
            raise ApiError(400, 'The body must be a JSON object like {"link": "view", '
                           '"shares": {"bob@example.com": "edit"}}.')  # fmt: skip
        link = body.get("link", access.link)
        if link not in LINK_ACCESS:
            raise ApiError(400, "'link' must be one of edit, view, none.")
        shares = dict(access.shares)
        changes = body.get("shares", {})
        if not isinstance(changes, dict):
            raise ApiError(400, "'shares' must map e-mails to edit, view or null.")
        for email, role in changes.items():
            if not isinstance(email, str) or not EMAIL.fullmatch(email.strip()):
                raise ApiError(400, f"{str(email)[:80]!r} is not an e-mail address.")
            if role is not None and role not in ROLES:
                raise ApiError(400, f"The role of {email} must be edit, view or null.")
            key = email.strip().lower()
            if role is None:
                shares.pop(key, None)
            else:
                shares[key] = role
        if len(shares) > MAX_SHARES:
            raise ApiError(400, f"A board can be shared with at most {MAX_SHARES} people.")
        access = BoardAccess(access.owner, link, shares, access.key_gen)
        await self.store.put_access(board, access)
        regrant(self, board, access)
        self.reply(_view(access, "owner"))


class RotateHandler(AccessHandler):
    """``POST /api/boards/{board}/access/rotate``: a new edit key; the old one stops now."""

    async def get(self, board: str) -> None:
        raise ApiError(405, "Use POST to replace the edit link.")

    async def post(self, board: str) -> None:
        board = self.board_id(board)
        self.check_same_site("Sharing can only be changed from this site's pages.")
        access = await self._owner_only(board)
        key = secrets.token_urlsafe(24)
        await self.store.set_key_hash(board, hash_key(key))
        access = BoardAccess(access.owner, access.link, access.shares, access.key_gen + 1)
        await self.store.put_access(board, access)
        live = self.hub.loaded(board)
        if live is not None:
            live.key_hash = hash_key(key)
        regrant(self, board, access)
        self.reply({"key": key, "key_gen": access.key_gen})


class OwnerDeleteHandler(AccessHandler):
    """``POST /api/boards/{board}/delete``: the owner moves the board to the trash (as an
    admin's ``DELETE /api/admin/boards/{board}`` does: 410 everywhere, restorable for
    ``--trash-days``). 204."""

    restoring = False

    async def post(self, board: str) -> None:
        board = self.board_id(board)
        verb = "restored" if self.restoring else "deleted"
        self.check_same_site(f"Boards can only be {verb} from this site's pages.")
        await self._owner_only(board)
        lifecycle = Lifecycle(self.store, self.hub, self.hub.cluster)
        await (lifecycle.restore if self.restoring else lifecycle.delete)(board)
        self.set_status(204)


class OwnerRestoreHandler(OwnerDeleteHandler):
    """``POST /api/boards/{board}/restore``: the owner takes the board out of the trash. 204.
    The one route of a deleted board that does not answer 410."""

    refuse_deleted = False
    restoring = True


def regrant(handler: ApiHandler, board: str, access: BoardAccess) -> None:
    live = handler.hub.loaded(board)
    if live is None:
        return
    key_hash = live.key_hash

    def judge(session: Session) -> bool | None:
        who = session.who if isinstance(session.who, Visitor) else Visitor(None, False, None)
        role = who.role(access, key_hash)
        return None if role == "none" else role == "view"

    live.regrant(judge)
