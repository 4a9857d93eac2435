"""Run one replica: ``python -m target_app.serve --port P [--reuseport] [--private-port-file F]``.

The replica listens on the public port (shared with its siblings through SO_REUSEPORT when
``--reuseport`` is given) and on a private port of its own (``--private-port``, 0 = any free one,
written to ``--private-port-file`` once bound) so its /metrics can be scraped separately. SIGTERM
stops accepting, lets in-flight requests finish (up to ``--graceful-s``), then exits.

Forwarded headers: uvicorn believes ``X-Forwarded-For``/``-Proto`` only from ``TRUSTED_PROXIES``
(``proxy_headers`` off when it is empty), never from its default of "any loopback peer", so a client
on the same host cannot pick its own address (and rate-limit identity) with a header.
"""

from __future__ import annotations

import argparse
import os
import socket
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from target_app.config import Settings


def _bind(host: str, port: int, reuseport: bool) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if reuseport:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.set_inheritable(True)
    return sock


def proxy_settings(settings: Settings) -> dict[str, object]:
    """uvicorn's forwarded-header settings from ``TRUSTED_PROXIES`` (the app's one list of proxies)."""
    trusted = sorted(settings.trusted_proxies)
    return {"proxy_headers": bool(trusted), "forwarded_allow_ips": trusted or None}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m target_app.serve", description=__doc__)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=None, help="public port (omit: private port only)")
    p.add_argument("--reuseport", action="store_true", help="share the public port with other replicas")
    p.add_argument("--private-port", type=int, default=0)
    p.add_argument("--private-port-file", type=Path, default=None)
    p.add_argument("--cpus", default="", help="comma-separated CPU ids to pin this process to")
    p.add_argument("--graceful-s", type=float, default=10.0, help="drain time on SIGTERM")
    p.add_argument("--keepalive-s", type=float, default=75.0, help="HTTP keep-alive timeout")
    p.add_argument("--log-level", default="warning")
    args = p.parse_args(argv)

    if args.cpus:
        os.sched_setaffinity(0, {int(c) for c in args.cpus.split(",")})
    sockets = []
    try:
        if args.port is not None:
            sockets.append(_bind(args.host, args.port, args.reuseport))
        private = _bind(args.host, args.private_port, False)
        sockets.append(private)
    except OSError as exc:
        print(f"target_app: cannot bind {args.host}: {exc}", file=sys.stderr)
        return 3
    if args.private_port_file:
        tmp = args.private_port_file.with_suffix(".tmp")
        tmp.write_text(str(private.getsockname()[1]))
        tmp.replace(args.private_port_file)

    os.environ.setdefault("PROMETHEUS_DISABLE_CREATED_SERIES", "True")  # fewer series to scrape
    import uvicorn

    from target_app.app import create_app
    from target_app.config import ConfigError, Settings

    try:
        settings = Settings.from_env()
    except ConfigError as exc:
        print(f"target_app: {exc}", file=sys.stderr)
        return 2
    app = create_app(settings)

    class _Server(uvicorn.Server):
        def handle_exit(self, sig: int, frame: object) -> None:
            app.state.ctx.draining = True  # readiness turns 503 while in-flight requests finish
            super().handle_exit(sig, frame)  # type: ignore[arg-type]

    config = uvicorn.Config(
        app,
        **proxy_settings(settings),
        log_level=args.log_level,
        access_log=False,
        timeout_graceful_shutdown=args.graceful_s,
        timeout_keep_alive=int(args.keepalive_s),
        backlog=4096,
        lifespan="on",
    )
    server = _Server(config)
    server.run(sockets=sockets)
    return 0 if server.started else 1


if __name__ == "__main__":
    raise SystemExit(main())
