"""Who is calling: ``Authorization: Bearer <user-id>``, else the client address.

``X-Forwarded-For`` is believed only when the TCP peer is one of ``TRUSTED_PROXIES`` (addresses or
CIDR networks); then the right-most address that is not itself a trusted proxy is the client.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from functools import lru_cache

from starlette.requests import Request


@lru_cache(maxsize=64)
def _networks(trusted: frozenset[str]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(t, strict=False) for t in trusted)


def _is_trusted(addr: str, trusted: frozenset[str]) -> bool:
    try:
        ip = ipaddress.ip_address(addr)
    except ValueError:
        return False
    return any(ip in net for net in _networks(trusted))


def client_address(peer: str | None, forwarded_for: Iterable[str], trusted: frozenset[str]) -> str:
    peer = peer or "unknown"
    if not trusted or not _is_trusted(peer, trusted):
        return peer
    hops = [h.strip() for line in forwarded_for for h in line.split(",") if h.strip()]
    for hop in reversed(hops):
        if not _is_trusted(hop, trusted):
            return hop
    return hops[0] if hops else peer


def user_id(request: Request, trusted: frozenset[str]) -> str:
    auth = request.headers.get("authorization", "")
    scheme, _, token = auth.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return "user:" + token.strip()[:200]
    peer = request.client.host if request.client else None
    return "ip:" + client_address(peer, request.headers.getlist("x-forwarded-for"), trusted)
