"""Who may create boards (``--create``), and the owner a new board gets."""

from __future__ import annotations

import tornado.web

from whiteboard.config import Settings
from whiteboard.store.access import BoardAccess
from whiteboard.store.base import Store
from whiteboard.web.auth.admins import is_admin
from whiteboard.web.auth.session import User, current_user


class CreateRefused(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


async def creator(
    handler: tornado.web.RequestHandler, store: Store, settings: Settings
) -> User | None:
    """The signed-in creator (the new board's owner), None for an anonymous one; refused
    (``CreateRefused``) when ``--create`` does not allow this visitor."""
    if not settings.sign_in:
        return None
    user = await current_user(handler, store, settings)
    if settings.create != "anyone" and user is None:
        raise CreateRefused(401, "Sign in to create boards on this server.")
    if settings.create == "admins" and not is_admin(settings, user):
        raise CreateRefused(403, "Only the administrators create boards on this server.")
    return user


async def give_owner(store: Store, board: str, owner: User | None, link: str) -> None:
    if owner is not None:
        await store.put_access(board, BoardAccess(owner.email, link))
