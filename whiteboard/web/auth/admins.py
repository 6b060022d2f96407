"""Who is an administrator: one seam, so that every route asks the same question.

With sign-in, the e-mails of ``--admins``. (The admin routes may add other proofs here, such
as a bearer token for servers without sign-in: callers only ever ask ``is_admin``.)
"""

from __future__ import annotations

from whiteboard.config import Settings
from whiteboard.web.auth.session import User


def is_admin(settings: Settings, user: User | None) -> bool:
    if user is None or not settings.sign_in:
        return False
    return user.email in {a.strip().lower() for a in settings.admins}
