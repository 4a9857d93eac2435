"""A small service that scalectl did not write: a plain WSGI app for gunicorn's sync workers (one
request at a time per worker), ``HANDLER_MS`` (100) per request, no /metrics, no /health.

``HANDLER_KIND=sleep`` (default) waits (a database, an API: the worker is held, the CPU idle);
``HANDLER_KIND=cpu`` computes for that long (the worker holds a core).
"""

from __future__ import annotations

import os
import time

HANDLER_MS = float(os.environ.get("HANDLER_MS", "100"))
HANDLER_KIND = os.environ.get("HANDLER_KIND", "sleep")


def _work() -> None:
    if HANDLER_KIND == "cpu":
        end = time.thread_time() + HANDLER_MS / 1000.0
        x = 0
        while time.thread_time() < end:
            x += sum(i * i for i in range(200))
    else:
        time.sleep(HANDLER_MS / 1000.0)


def app(environ, start_response):
    _work()
    body = b'{"ok": true}'
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]
