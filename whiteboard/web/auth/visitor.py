"""What a request or a connection may do on a board, when sign-in is on.

``Visitor`` is who came (signed-in user or not, admin or not, holding the current edit key or
not); ``grant`` turns it and the board's access data into a role. Boards without access data
(every board of a server without sign-in, and boards made before it or anonymously) answer
None: their edit key decides, as before.
"""

from __future__ import annotations

from dataclasses import dataclass

import tornado.web

from whiteboard.config import Settings
from whiteboard.keys import key_matches
from whiteboard.store.access import BoardAccess
from whiteboard.store.base import Store
from whiteboard.web.auth.admins import is_admin
from whiteboard.web.auth.policy import role_on
from whiteboard.web.auth.session import User, current_user


@dataclass(frozen=True)
class Visitor:
    user: User | None
    admin: bool
    key: str | None  # the edit key they brought, if any

    def role(self, access: BoardAccess, key_hash: str | None) -> str:
        key_ok = key_hash is not None and key_matches(self.key, key_hash)
        return role_on(access, self.user, admin=self.admin, key_ok=key_ok)


async def visitor(
    handler: tornado.web.RequestHandler, store: Store, settings: Settings, key: str | None
) -> Visitor:
    user = await current_user(handler, store, settings)
    return Visitor(user, is_admin(settings, user), key)
