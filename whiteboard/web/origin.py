"""One same-site rule for the WebSocket handshake and for the HTTP routes that create boards.

A page on another site must not make its visitors' browsers draw on, or create, boards here
(PROTOCOL.md, Transport). A request is same-site when its ``Origin`` has the host and port the
request was sent to, or is on ``--allow-origin`` (whole origin, or the same host and port).
"""

from __future__ import annotations

from urllib.parse import urlsplit


def same_site(origin: str, host: str, allowed: tuple[str, ...]) -> bool:
    """True when a request from ``origin`` to ``host`` (the Host header) may act here."""
    if origin in allowed:
        return True
    netloc = urlsplit(origin.lower()).netloc
    if netloc and netloc == host.lower():
        return True
    return any(netloc == urlsplit(a.lower()).netloc for a in allowed)
