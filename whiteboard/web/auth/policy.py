"""Who may do what on an owned board: a pure function of its access data and the visitor.

Roles, weakest first: ``none`` (refused), ``view`` (watch and replay; every op refused),
``edit``, ``owner`` (edit, and change who may do what: the owner and the admins). The
strongest of what the visitor holds wins: the edit key of the current edit link, a share to
their e-mail, what the plain link grants to anyone.
"""

from __future__ import annotations

from whiteboard.store.access import BoardAccess
from whiteboard.web.auth.session import User

ORDER = ("none", "view", "edit", "owner")


def role_on(access: BoardAccess, user: User | None, *, admin: bool, key_ok: bool) -> str:
    if admin or (user is not None and user.email == access.owner):
        return "owner"
    held = [access.link]
    if key_ok:
        held.append("edit")
    if user is not None and user.email in access.shares:
        held.append(access.shares[user.email])
    return max(held, key=ORDER.index)


def refusal(user: User | None) -> tuple[int, str]:
    """The status and sentence of a refused visitor: sign in first, or ask the owner."""
    if user is None:
        return 401, "This board is private: sign in with an account it is shared with."
    return 403, f"This board is not shared with {user.email}: ask its owner to share it."
