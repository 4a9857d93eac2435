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


def _redis_up() -> bool:
    import socket

    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return True
    except OSError:
        return False


@pytest.fixture
async def redis_env() -> AsyncIterator[dict[str, str]]:
    """REDIS_URL of the machine's Redis and a unique key prefix; the prefix's keys are deleted after."""
    import uuid

    from redis.asyncio import Redis

    if not _redis_up():
        pytest.skip("Redis is not reachable on 127.0.0.1:6379")
    prefix = f"scalectl-test-{uuid.uuid4().hex[:12]}:"
    yield {"REDIS_URL": "redis://127.0.0.1:6379/0", "REDIS_KEY_PREFIX": prefix}
    client = Redis.from_url("redis://127.0.0.1:6379/0")
    keys = [k async for k in client.scan_iter(match=prefix + "*", count=500)]
    if keys:
        await client.unlink(*keys)
    await client.aclose()


@pytest.fixture
async def pg_url() -> AsyncIterator[str]:
    """A fresh PostgreSQL database (dropped after) as an asyncpg SQLAlchemy URL."""
    import uuid

    import asyncpg

    admin_dsn = "postgresql://postgres@127.0.0.1:5432/test"
    try:
        conn = await asyncpg.connect(admin_dsn, timeout=2)
    except (OSError, asyncpg.PostgresError) as exc:
        pytest.skip(f"PostgreSQL is not reachable on 127.0.0.1:5432 ({exc})")
    name = f"scalectl_test_{uuid.uuid4().hex[:12]}"
    await conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
    finally:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.close()
