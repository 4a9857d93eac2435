"""A plain Starlette (ASGI) service with no /metrics, not written for scalectl:

    uvicorn --workers 2 --port 8000 tests.services.asgi_plain:app

``/hash`` burns CPU (``HASH_ROUNDS`` rounds of SHA-256, default 20000: a few milliseconds), so the CPU
limits it; ``/`` is a cheap page.
"""

from __future__ import annotations

import hashlib
import os

from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

ROUNDS = int(os.environ.get("HASH_ROUNDS", "20000"))


async def index(request):
    return PlainTextResponse("ok\n")


async def hash_(request):
    h = b"scalectl"
    for _ in range(ROUNDS):
        h = hashlib.sha256(h).digest()
    return PlainTextResponse(h.hex() + "\n")


app = Starlette(routes=[Route("/", index), Route("/hash", hash_)])
