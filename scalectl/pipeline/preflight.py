"""Before load is sent to a host scalectl did not start: loopback unless allowed, and reachable."""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

import httpx

from scalectl.errors import InputError, TargetError


def is_loopback(host: str) -> bool:
    name = urlsplit(host).hostname or ""
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(name, None)
    except OSError:
        return False
    return bool(infos) and all(ipaddress.ip_address(i[4][0]).is_loopback for i in infos)


def preflight(host: str, *, allow_remote: bool) -> None:
    """Refuse a non-loopback host without ``allow_remote`` (exit 2); an unreachable one is exit 3."""
    parts = urlsplit(host)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InputError(f"host {host!r}: expected a URL such as http://127.0.0.1:8000")
    if not allow_remote and not is_loopback(host):
        raise InputError(
            f"host {host} is not a loopback address; refusing to send load to it",
            hint="pass --allow-remote if you really mean to load-test that host",
        )
    try:
        httpx.get(host.rstrip("/") + "/", timeout=5.0)
    except httpx.HTTPError as exc:
        raise TargetError(f"target {host} is unreachable: {type(exc).__name__}: {exc}") from None
