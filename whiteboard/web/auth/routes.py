"""The sign-in routes: ``/auth/login`` (off to the provider), ``/auth/callback`` (back, with a
code), ``/auth/logout`` and ``/api/me`` (who the app is talking to).

What the browser must bring back (state, nonce, PKCE verifier, where to go next) travels in a
signed cookie of ten minutes scoped to ``/auth``, so nothing is kept per pending sign-in on the
server and any process can answer the callback.
"""

from __future__ import annotations

import json
import logging
import secrets

from whiteboard.live.registry import Hub
from whiteboard.store.base import Store
from whiteboard.web.auth.admins import is_admin
from whiteboard.web.auth.idtoken import IdTokenError
from whiteboard.web.auth.provider import Provider, ProviderError
from whiteboard.web.auth.session import User, current_user, end_login, secure, start_login
from whiteboard.web.base import ApiHandler, BaseHandler

log = logging.getLogger(__name__)

FLOW_COOKIE = "wb_signin"
FLOW_MINUTES = 10
AGAIN = "Start again from the board or the start page."
EXPIRED = "This sign-in took too long or was not started here. " + AGAIN
MISMATCH = "The answer from the provider does not match this sign-in. " + AGAIN
UNTRUSTED = "The provider's answer could not be trusted. " + AGAIN


def safe_next(raw: str | None) -> str:
    """Only a path on this site: an open redirect would let a link send people anywhere."""
    if not raw or not raw.startswith("/") or raw.startswith("//") or "\\" in raw:
        return "/"
    return raw


class AuthHandler(BaseHandler):
    """The pages of sign-in: refusals are pages in words (``error.html``)."""

    def initialize(self, hub: Hub, store: Store, provider: Provider | None = None) -> None:
        super().initialize(hub, store)
        self.provider = provider

    def refuse(self, status: int, title: str, message: str) -> None:
        self.set_status(status)
        self.render("error.html", title=title, message=message)

    def redirect_uri(self) -> str:
        return f"{(self.hub.settings.public_url or '').rstrip('/')}/auth/callback"


class LoginHandler(AuthHandler):
    async def get(self) -> None:
        if self.provider is None:
            self.refuse(404, "Sign-in is off", "This server has no sign-in: boards are open.")
            return
        state, nonce = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
        verifier = secrets.token_urlsafe(48)
        try:
            url = await self.provider.authorize_url(self.redirect_uri(), state, nonce, verifier)
        except ProviderError as exc:
            log.warning("sign-in provider unreachable: %s", exc)
            self.refuse(502, "Sign-in unavailable", "The sign-in provider cannot be reached now.")
            return
        back = safe_next(self.get_argument("next", "/"))
        flow = {"s": state, "n": nonce, "v": verifier, "next": back}
        self.set_signed_cookie(
            FLOW_COOKIE,
            json.dumps(flow),
            expires_days=FLOW_MINUTES / 1440,
            httponly=True,
            samesite="Lax",
            secure=secure(self.hub.settings),
            path="/auth",
        )
        self.redirect(url)


class CallbackHandler(AuthHandler):
    async def get(self) -> None:
        if self.provider is None:
            self.refuse(404, "Sign-in is off", "This server has no sign-in: boards are open.")
            return
        raw = self.get_signed_cookie(FLOW_COOKIE, max_age_days=FLOW_MINUTES / 1440)
        self.clear_cookie(FLOW_COOKIE, path="/auth")
        try:
            flow = json.loads(raw) if raw else None
        except ValueError:
            flow = None
        if not isinstance(flow, dict) or not all(isinstance(flow.get(k), str) for k in "snv"):
            self.refuse(400, "Sign-in expired", EXPIRED)
            return
        if self.get_argument("error", None) is not None:
            self.refuse(401, "Sign-in refused", "The provider did not sign you in. " + AGAIN)
            return
        state, code = self.get_argument("state", ""), self.get_argument("code", "")
        if not code or not secrets.compare_digest(state, flow["s"]):
            self.refuse(400, "Sign-in refused", MISMATCH)
            return
        try:
            who = await self.provider.sign_in(code, self.redirect_uri(), flow["v"], flow["n"])
        except IdTokenError as exc:
            log.warning("ID token refused: %s", exc)
            self.refuse(401, "Sign-in refused", UNTRUSTED)
            return
        except ProviderError as exc:
            log.warning("sign-in failed: %s", exc)
            self.refuse(502, "Sign-in unavailable", "The sign-in provider cannot be reached now.")
            return
        await start_login(self, self.store, self.hub.settings, User(who.email, who.name))
        self.redirect(safe_next(flow.get("next")))


class LogoutHandler(ApiHandler):
    """``POST /auth/logout``: the login is deleted, so the cookie is worthless even if kept."""

    async def post(self) -> None:
        self.check_same_site("Signing out is only possible from this site's pages.")
        await end_login(self, self.store)
        if "application/json" in self.request.headers.get("Accept", ""):
            self.set_status(204)
            return
        self.redirect(safe_next(self.get_argument("next", "/")), status=303)


class MeHandler(ApiHandler):
    """``GET /api/me``: whether sign-in is on, and who this browser is signed in as."""

    async def get(self) -> None:  # type: ignore[override]
        settings = self.hub.settings
        self.set_header("Cache-Control", "no-store")
        if not settings.sign_in:
            self.reply({"sign_in": False})
            return
        user = await current_user(self, self.store, settings)
        if user is None:
            self.reply({"sign_in": True, "user": None})
            return
        admin = is_admin(settings, user)
        self.reply(
            {
                "sign_in": True,
                "user": {"email": user.email, "name": user.name, "admin": admin},
            }
        )
