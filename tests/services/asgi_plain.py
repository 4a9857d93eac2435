"""A plain Starlette (ASGI) service with no /metrics, not written for scalectl:

    uvicorn --workers 2 --port 8000 tests.services.asgi_plain:app

``/pooled`` waits ``DELAY_MS`` (default 100) milliseconds holding one of ``POOL_SIZE`` (default 2)
slots per worker, as a handler holding a connection from a small pool does: each worker serves at most
POOL_SIZE requests at a time, so workers, not the CPU, limit it. ``/hash`` burns CPU (``HASH_ROUNDS``
rounds of SHA-256), so the CPU limits it. ``/`` is a cheap page.
"""

from __future__ import annotations

import asyncio
import hashlib
import os

from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

ROUNDS = int(os.environ.get("HASH_ROUNDS", "20000"))
DELAY_S = float(os.environ.get("DELAY_MS", "100")) / 1000.0
POOL = asyncio.Semaphore(int(os.environ.get("POOL_SIZE", "2")))


async def index(request):
    return PlainTextResponse("ok\n")


async def pooled(request):
    async with POOL:
        await asyncio.sleep(DELAY_S)
    return PlainTextResponse("done\n")


async def hash_(request):
    h = b"scalectl"
    for _ in range(ROUNDS):
        h = hashlib.sha256(h).digest()
    return PlainTextResponse(h.hex() + "\n")


app = Starlette(routes=[Route("/", index), Route("/pooled", pooled), Route("/hash", hash_)])
