"""Whether an address is one of ours to trust: the one rule for ``--trusted-proxies``.

The socket (which client an ``X-Forwarded-For`` names), the Host allow-list (a trusted proxy
chose the server name) and the per-address connection cap (a proxy carries many clients) all
ask the same question, so they share the same answer, malformed entries included (skipped).
"""

from __future__ import annotations

import ipaddress


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
