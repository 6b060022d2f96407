"""What every response shares whatever answers it: the Host allow-list and security headers.

Why at the application, not in a handler base class: Tornado's own handlers (the default 404,
static files, a WebSocket refused before it opens) answer too, and each of them must carry the
same headers and no server version; checking the Host in ``Application.find_handler`` covers
every route, present and future, in one place.

The Host check defeats DNS rebinding: a page on ``evil.example`` whose name is made to resolve
to 127.0.0.1 sends its requests with ``Host: evil.example``, which a server on localhost would
otherwise answer as its own (the same-site rule compares Origin with that very Host). Allowed:
IP literals (a rebinding needs a name), localhost names, the listen address, the hosts of
``--allow-origin``; any name on a wildcard address when no ``--allow-origin`` says which
(nothing else would tell the server its public name), and any Host a trusted proxy forwards.
"""

from __future__ import annotations

import ipaddress
from typing import Any
from urllib.parse import urlsplit

import tornado.httputil
import tornado.web

from whiteboard.config import Settings
from whiteboard.web.addresses import in_networks

PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; connect-src 'self'; font-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": PAGE_CSP,
}
SERVER = "whiteboard"
"""The ``Server`` header: no version of Tornado or Python for a scanner to match."""

_WILDCARDS = ("", "0.0.0.0", "::")


def page_csp(frame_ancestors: tuple[str, ...]) -> str:
    """The pages' policy: framed by nobody unless ``--frame-ancestors`` names the sites."""
    if not frame_ancestors:
        return PAGE_CSP
    return PAGE_CSP.replace(
        "frame-ancestors 'none'", "frame-ancestors " + " ".join(frame_ancestors)
    )


def set_headers(handler: tornado.web.RequestHandler) -> None:
    for name, value in HEADERS.items():
        handler.set_header(name, value)
    csp = getattr(handler.application, "page_csp", None)
    if csp is not None:
        handler.set_header("Content-Security-Policy", csp)
    handler.set_header("Server", SERVER)


class HostAllowList:
    def __init__(self, settings: Settings) -> None:
        self.names = {"localhost", settings.host.lower().strip("[]")}
        self.names.update(
            (urlsplit(origin.lower()).hostname or "") for origin in settings.allow_origin
        )
        self.names.discard("")
        self.any_name = settings.host in _WILDCARDS and not settings.allow_origin
        self.trusted = settings.trusted_proxies

    def allows(self, request: tornado.httputil.HTTPServerRequest) -> bool:
        if self.any_name:
            return True
        name = _hostname(request.headers.get("Host", ""))
        if name in self.names or name.endswith(".localhost"):
            return True
        try:
            ipaddress.ip_address(name)
            return True
        except ValueError:
            pass
        return in_networks(request.remote_ip, self.trusted)  # a trusted proxy chose the name


def _hostname(host: str) -> str:
    host = host.strip().lower()
    if host.startswith("["):  # [::1]:8888
        return host[1 : host.find("]")] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


class WrongHost(tornado.web.RequestHandler):
    """421 in words: which name was refused, and how to allow it."""

    def set_default_headers(self) -> None:
        set_headers(self)

    def prepare(self) -> None:
        self.set_status(421)
        self.set_header("Content-Type", "text/plain; charset=utf-8")
        name = _hostname(self.request.headers.get("Host", ""))[:100]
        self.finish(
            f"This server does not answer for the host name {name!r}. If it is this "
            "server's name, start it with --allow-origin https://that-name.\n"
        )


class NotFound(tornado.web.RequestHandler):
    """Tornado's default 404, with the headers every answer carries."""

    def set_default_headers(self) -> None:
        set_headers(self)

    def prepare(self) -> None:
        raise tornado.web.HTTPError(404)


class StaticFiles(tornado.web.StaticFileHandler):
    def set_default_headers(self) -> None:
        set_headers(self)


class GuardedApplication(tornado.web.Application):
    """Every request's Host checked before any route is chosen."""

    def __init__(self, *args: Any, settings: Settings, **kwargs: Any) -> None:
        super().__init__(
            *args, default_handler_class=NotFound, static_handler_class=StaticFiles, **kwargs
        )
        self.hosts = HostAllowList(settings)
        self.page_csp = page_csp(settings.frame_ancestors)

    def find_handler(
        self, request: tornado.httputil.HTTPServerRequest, **kwargs: Any
    ) -> tornado.web._HandlerDelegate:
        if not self.hosts.allows(request):
            return self.get_handler_delegate(request, WrongHost)
        return super().find_handler(request, **kwargs)
