"""A small service that scalectl did not write: a plain WSGI app for gunicorn's sync workers (one
request at a time per worker), ~100 ms per request (``HANDLER_MS``), no /metrics, no /health."""

from __future__ import annotations

import os
import time

HANDLER_MS = float(os.environ.get("HANDLER_MS", "100"))


def app(environ, start_response):
    time.sleep(HANDLER_MS / 1000.0)  # waits on something (a database, an API): the worker is held
    body = b'{"ok": true}'
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]
