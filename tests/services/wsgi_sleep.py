"""A plain WSGI service, not written for scalectl: run it with gunicorn sync workers (each worker serves
one request at a time), so the number of workers, not the CPU, limits it.

    gunicorn -w 2 -b 127.0.0.1:8000 tests.services.wsgi_sleep:app

``/work`` sleeps ``SLEEP_MS`` (default 100) milliseconds; ``/echo-env`` returns ``GREETING``; ``/`` is a
cheap page. No /metrics.
"""

from __future__ import annotations

import os
import time


def app(environ, start_response):
    path = environ.get("PATH_INFO", "/")
    if path == "/work":
        time.sleep(float(os.environ.get("SLEEP_MS", "100")) / 1000.0)
        body = b"done\n"
    elif path == "/echo-env":
        body = os.environ.get("GREETING", "").encode() + b"\n"
    elif path == "/":
        body = b"ok\n"
    else:
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found\n"]
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
