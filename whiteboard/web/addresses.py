"""Whether an address is one of ours to trust: the one rule for ``--trusted-proxies``.

The socket (which client an ``X-Forwarded-For`` names), the Host allow-list (a trusted proxy
chose the server name) and the per-address connection cap (a proxy carries many clients) all
ask the same question, so they share the same answer, malformed entries included (skipped).
"""

from __future__ import annotations

import ipaddress

from tornado.httputil import HTTPServerRequest


def in_networks(ip: str | None, networks: tuple[str, ...]) -> bool:
    """True when ``ip`` lies in one of ``networks`` (addresses or CIDR blocks)."""
    try:
        addr = ipaddress.ip_address(ip or "")
    except ValueError:
        return False
    for net in networks:
        try:
            if addr in ipaddress.ip_network(net, strict=False):
                return True
        except ValueError:
            continue
    return False


def client_ip(request: HTTPServerRequest, trusted: tuple[str, ...]) -> str:
    """The peer address, or the client named by X-Forwarded-For when a trusted proxy sent it.

    The header is read right to left, skipping trusted proxies, so a client cannot pick its
    own address by sending the header itself.
    """
    ip = request.remote_ip or ""
    if not trusted or not in_networks(ip, trusted):
        return ip
    hops = [h.strip() for h in request.headers.get("X-Forwarded-For", "").split(",") if h.strip()]
    for hop in reversed(hops):
        if not in_networks(hop, trusted):
            return hop
    return hops[0] if hops else ip
