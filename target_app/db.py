"""The async SQLAlchemy engine, a bounded pool that fails fast, and pool metrics.

Connections are taken explicitly (``async with db.session() as s``) so a handler holds one only while
it talks to the database, never across an LLM wait. A checkout that waits longer than
``DB_POOL_TIMEOUT`` raises ``PoolExhausted``, which the app answers with 503 + Retry-After.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.exc import TimeoutError as SATimeoutError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine
from sqlalchemy.pool import AsyncAdaptedQueuePool
from sqlalchemy.util import await_only

from target_app.chaos import Chaos
from target_app.config import Settings
from target_app.metrics import Metrics

#: Execution option that exempts a connection from the injected DB_SLOW_QUERY_MS (the readiness ping).
FAST_PATH = "target_app_fast_path"


class PoolExhausted(Exception):
    def __init__(self, waited_s: float, retry_after_s: int) -> None:
        super().__init__(f"database pool exhausted after {waited_s:.2f}s")
        self.retry_after_s = retry_after_s


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


class Database:
    def __init__(self, settings: Settings, metrics: Metrics, chaos: Chaos | None = None) -> None:
        self.settings = settings
        self.metrics = metrics
        self.chaos = chaos or Chaos()
        self.is_sqlite = settings.database_url.startswith("sqlite")
        connect_args: dict[str, Any] = {"timeout": 30} if self.is_sqlite else {}
        self.engine: AsyncEngine = create_async_engine(
            settings.database_url,
            poolclass=AsyncAdaptedQueuePool,
            pool_size=settings.db_pool_size,
            max_overflow=settings.db_max_overflow,
            pool_timeout=settings.db_pool_timeout,
            connect_args=connect_args,
        )
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
        pool = self.engine.pool
        metrics.bind_pool(
            settings.db_pool_size,
            settings.db_max_overflow,
            checked_out=lambda: pool.checkedout(),  # type: ignore[attr-defined]
            overflow=lambda: pool.overflow(),  # type: ignore[attr-defined]
        )

    def enable_slow_queries(self) -> None:
        """Apply DB_SLOW_QUERY_MS to every statement from now on (called after seeding)."""
        if self.settings.db_slow_query_ms <= 0:
            return
        delay = self.settings.db_slow_query_ms / 1000.0

        def _slow(conn: Any, *_args: Any) -> None:  # runs inside SQLAlchemy's greenlet, so it may await
            if not conn.get_execution_options().get(FAST_PATH):  # never the readiness ping
                await_only(asyncio.sleep(delay))

        event.listen(self.engine.sync_engine, "before_cursor_execute", _slow)

    def _exhausted(self, start: float) -> PoolExhausted:
        waited = time.perf_counter() - start
        self.metrics.pool_wait.observe(waited)
        self.metrics.pool_timeouts.inc()
        return PoolExhausted(waited, max(1, math.ceil(self.settings.db_pool_timeout)))

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[Any]:
        start = time.perf_counter()
        gate = self.chaos.pool_gate  # a pool shrunk at run time (POST /api/admin/chaos)
        if gate is not None:
            try:
                await asyncio.wait_for(gate.acquire(), self.settings.db_pool_timeout)
            except TimeoutError:
                raise self._exhausted(start) from None
        try:
            try:
                conn = await self.engine.connect()
            except SATimeoutError:
                raise self._exhausted(start) from None
            self.metrics.pool_wait.observe(time.perf_counter() - start)
            try:
                yield conn
            finally:
                await conn.close()
        finally:
            if gate is not None:
                gate.release()

    @asynccontextmanager
    async def session(self, read_only: bool = False) -> AsyncIterator[AsyncSession]:
        """A session on one pooled connection; commit explicitly, rolled back if not committed.

        ``read_only`` on PostgreSQL runs in autocommit: no BEGIN/ROLLBACK round trips around reads
        (each statement sees its own snapshot)."""
        async with self.connection() as conn:
            if read_only and not self.is_sqlite:
                await conn.execution_options(isolation_level="AUTOCOMMIT")
            session = AsyncSession(bind=conn, expire_on_commit=False)
            try:
                yield session
            finally:
                await session.close()

    async def ping(self, timeout_s: float = 1.0) -> None:
        async def _ping() -> None:
            async with self.connection() as conn:
                await conn.execution_options(**{FAST_PATH: True})
                await conn.execute(text("SELECT 1"))

        await asyncio.wait_for(_ping(), timeout_s)

    async def dispose(self) -> None:
        await self.engine.dispose()
