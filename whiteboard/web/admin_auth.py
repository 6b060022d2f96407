"""Who is an admin, decided in one place for the admin page's API and anything else that asks.

Today one way: the request carries ``Authorization: Bearer <--admin-token>``. Sign-in (issue 17,
OpenID Connect) adds "a signed-in user listed in --admins" here, in ``is_admin``, and every
caller follows. Tokens are compared in constant time.
"""

from __future__ import annotations

import hmac

import tornado.web

from whiteboard.config import Settings


def bearer(handler: tornado.web.RequestHandler) -> str | None:
    """The token of an ``Authorization: Bearer`` header, or None without one."""
    scheme, _, token = handler.request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def token_matches(given: str | None, expected: str | None) -> bool:
    if not given or not expected:
        return False
    return hmac.compare_digest(given.encode(), expected.encode())


def _settings(handler: tornado.web.RequestHandler) -> Settings:
    settings: Settings = handler.application.settings["config"]
    return settings


def is_admin(handler: tornado.web.RequestHandler) -> bool:
    return token_matches(bearer(handler), _settings(handler).admin_token)


def has_credentials(handler: tornado.web.RequestHandler) -> bool:
    """Whether the request says who it is at all (401 without, 403 when it is not an admin)."""
    return bearer(handler) is not None
