"""The session cookie: a signed, HttpOnly, SameSite random id of a ``Login`` in the store.

The cookie is signed with Tornado's secure cookies, so it cannot be forged, and it only names
a login: signing out deletes the login, and the same cookie, replayed, names nothing. SameSite
is Lax, not Strict: the browser comes back from the provider by a cross-site redirect, and a
Strict cookie would not be sent on the page it lands on.
"""

from __future__ import annotations

import os
import secrets
import time
from dataclasses import dataclass

import tornado.web

from whiteboard.config import Settings
from whiteboard.store.access import Login
from whiteboard.store.base import Store

SESSION_COOKIE = "wb_session"
LOGIN_DAYS = 14
SECRET_FILE = "cookie-secret"


@dataclass(frozen=True)
class User:
    email: str
    name: str


def cookie_secret(settings: Settings) -> str:
    """``--cookie-secret``, else one generated once into the data directory (owner-only)."""
    if settings.cookie_secret:
        return settings.cookie_secret
    path = os.path.join(settings.data, SECRET_FILE)
    try:
        with open(path, encoding="ascii") as f:
            secret = f.read().strip()
        if len(secret) >= 32:
            return secret
    except FileNotFoundError:
        pass
    os.makedirs(settings.data, exist_ok=True)
    secret = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as f:
        f.write(secret)
    return secret


def secure(settings: Settings) -> bool:
    return (settings.public_url or "").startswith("https://")


async def start_login(
    handler: tornado.web.RequestHandler, store: Store, settings: Settings, user: User
) -> None:
    sid = secrets.token_urlsafe(32)
    expires = int(time.time()) + LOGIN_DAYS * 86400
    await store.put_login(sid, Login(user.email, user.name, expires))
    handler.set_signed_cookie(
        SESSION_COOKIE,
        sid,
        expires_days=LOGIN_DAYS,
        httponly=True,
        samesite="Lax",
        secure=secure(settings),
        path="/",
    )


async def current_user(
    handler: tornado.web.RequestHandler, store: Store, settings: Settings
) -> User | None:
    if not settings.sign_in:
        return None
    raw = handler.get_signed_cookie(SESSION_COOKIE, max_age_days=LOGIN_DAYS)
    if raw is None:
        return None
    try:
        sid = raw.decode("ascii")
    except UnicodeDecodeError:
        return None
    login = await store.get_login(sid, int(time.time()))
    return User(login.email, login.name) if login is not None else None


async def end_login(handler: tornado.web.RequestHandler, store: Store) -> None:
    raw = handler.get_signed_cookie(SESSION_COOKIE, max_age_days=LOGIN_DAYS)
    if raw is not None:
        await store.delete_login(raw.decode("ascii", errors="replace"))
    handler.clear_cookie(SESSION_COOKIE, path="/")
