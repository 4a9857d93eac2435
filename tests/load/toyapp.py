"""A tiny FastAPI app standing in for a target in tests: counts requests like the bundled target.

Run as ``python tests/load/toyapp.py PORT``; ``TOY_DELAY_MS`` adds latency to every /api request,
``TOY_STALL_AFTER_S``/``TOY_STALL_S`` make the whole server stall once (blocking the event loop).
"""

from __future__ import annotations

import asyncio
import os
import sys
import time

import uvicorn
from fastapi import FastAPI, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, generate_latest

registry = CollectorRegistry()
REQUESTS = Counter("http_requests_total", "requests", ["method", "route", "status"], registry=registry)
app = FastAPI()
START = time.time()
STALLED = {"done": False}


@app.middleware("http")
async def count(request: Request, call_next):
    stall_after = float(os.environ.get("TOY_STALL_AFTER_S", "0") or 0)
    if (
        stall_after
        and not STALLED["done"]
        and time.time() - START > stall_after
        and request.url.path.startswith("/api")
    ):
        STALLED["done"] = True
        time.sleep(float(os.environ.get("TOY_STALL_S", "1")))  # blocks the loop: a whole-server stall
    delay = float(os.environ.get("TOY_DELAY_MS", "0") or 0)
    if delay and request.url.path.startswith("/api"):
        await asyncio.sleep(delay / 1000)
    response = await call_next(request)
    route = request.scope.get("route")
    REQUESTS.labels(request.method, getattr(route, "path", request.url.path), str(response.status_code)).inc()
    return response


@app.get("/health")
async def health():
    return {"ok": True}


@app.get("/metrics")
async def metrics():
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)


@app.get("/api/content/{cid}")
async def content(cid: int, request: Request):
    if not request.headers.get("authorization", "").startswith("Bearer "):
        return Response(status_code=401)
    return {"id": cid, "user": request.headers["authorization"][7:]}


@app.post("/api/content/generate")
async def generate(body: dict):
    return {"topic": body.get("topic"), "words": body.get("words")}


@app.get("/api/fail")
async def fail():
    return Response(status_code=503)


if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", access_log=False)
