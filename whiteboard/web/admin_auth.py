"""Who is an admin, decided in one place for the admin page's API and anything else that asks.

Two ways: the request carries ``Authorization: Bearer <--admin-token>`` (servers without
sign-in, scripts), or its session cookie is a signed-in user listed in ``--admins``
(``auth/admins.py``). Every caller asks ``is_admin`` and follows. Tokens are compared in
constant time.
"""

from __future__ import annotations

import hmac

import tornado.web

from whiteboard.config import Settings
from whiteboard.store.base import Store
from whiteboard.web.auth import admins
from whiteboard.web.auth.session import current_user


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


async def is_admin(handler: tornado.web.RequestHandler, store: Store) -> bool:
    settings = _settings(handler)
    if token_matches(bearer(handler), settings.admin_token):
        return True
    return admins.is_admin(settings, await current_user(handler, store, settings))


def configured(handler: tornado.web.RequestHandler) -> bool:
    """Whether anyone at all can be an admin here: without a token or a sign-in with
    ``--admins``, a refusal should say how to make one rather than ask for a token."""
    settings = _settings(handler)
    return bool(settings.admin_token) or (settings.sign_in and bool(settings.admins))


async def has_credentials(handler: tornado.web.RequestHandler, store: Store) -> bool:
    """Whether the request says who it is at all (401 without, 403 when it is not an admin)."""
    if bearer(handler) is not None:
        return True
    return await current_user(handler, store, _settings(handler)) is not None
