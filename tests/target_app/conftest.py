"""Fixtures for target_app tests: an app on a fresh SQLite file, driven through httpx's ASGI transport."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from pathlib import Path

import httpx
import pytest

from target_app.app import create_app
from target_app.config import Settings

MakeClient = Callable[..., Awaitable[httpx.AsyncClient]]
_count = itertools.count()

#: Small and fast defaults for tests; each test overrides what it exercises.
TEST_ENV = {
    "SEED_CONTENT_ROWS": "200",
    "LLM_LATENCY_SCALE": "0.01",
    "RATE_LIMIT_GENERATE": "1000/minute",
    "EVENT_LOOP_LAG_INTERVAL_S": "0.05",
}


@pytest.fixture
async def make_client(tmp_path: Path) -> AsyncIterator[MakeClient]:
    async with AsyncExitStack() as stack:

        async def factory(**env: str) -> httpx.AsyncClient:
            merged = {
                "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/app{next(_count)}.db",
                **TEST_ENV,
                **env,
            }
            app = create_app(Settings.from_env(merged))
            await stack.enter_async_context(app.router.lifespan_context(app))
            client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")
            await stack.enter_async_context(client)
            client.app = app  # type: ignore[attr-defined]
            return client

        yield factory


@pytest.fixture
async def client(make_client: MakeClient) -> httpx.AsyncClient:
    return await make_client()
