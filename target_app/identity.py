"""Who is calling: ``Authorization: Bearer <token>``, else the client address.

A token listed in ``API_TOKENS`` (``token=user:plan``) names its user and plan; any other bearer token
is a self-declared identity (``user:<token>``, the free plan), counted per user *and*, for generation,
per client address (``RATE_LIMIT_GENERATE_CLIENT``), so rotating tokens do not each get a fresh budget.
A token longer than ``MAX_TOKEN_CHARS`` is refused before any work (it would not fit the user column).

``X-Forwarded-For`` is believed only when the TCP peer is one of ``TRUSTED_PROXIES`` (addresses or
CIDR networks); then the right-most address that is not itself a trusted proxy is the client.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
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
            return hop[:45]  # the longest textual IPv6 address; a proxy passes on what it was sent
    return hops[0] if hops else peer


class TokenTooLong(ValueError):
    pass


@dataclass(frozen=True)
class Identity:
    key: str  # "user:<id>" or "ip:<address>": the rate-limit and ownership key
    plan: str  # "free" or "pro" (only from API_TOKENS)
    client: str  # the client address (after trusted proxies)
    self_declared: bool  # a bearer token not in API_TOKENS


def identify(
    request: Request, trusted: frozenset[str], tokens: Mapping[str, tuple[str, str]], max_chars: int
) -> Identity:
    """The caller; raises ``TokenTooLong`` for a bearer token over ``max_chars`` characters."""
    peer = request.client.host if request.client else None
    client = client_address(peer, request.headers.getlist("x-forwarded-for"), trusted)
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return Identity("ip:" + client, "free", client, False)
    known = tokens.get(token)
    if known is not None:
        return Identity("user:" + known[0], known[1], client, False)
    if len(token) > max_chars:
        raise TokenTooLong(f"bearer token longer than {max_chars} characters")
    return Identity("user:" + token, "free", client, True)
