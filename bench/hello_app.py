"""The bare FastAPI "hello" app that bench_target.py measures as the reference rate."""

from __future__ import annotations

from fastapi import FastAPI

app = FastAPI()


@app.get("/")
async def hello() -> dict[str, str]:
    return {"hello": "world"}
