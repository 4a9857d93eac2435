"""The one I/O helper of the capacity package: ask PostgreSQL for ``max_connections`` (asyncpg)."""

from __future__ import annotations

import asyncio

from scalectl.errors import InputError, TargetError


def read_max_connections(dsn: str, *, timeout: float = 5.0) -> int:
    """``SHOW max_connections`` on ``dsn`` (postgresql://...). TargetError when unreachable."""
    if not dsn.startswith(("postgres://", "postgresql://", "postgresql+asyncpg://")):
        raise InputError(f"{dsn!r} is not a PostgreSQL URL (postgresql://user@host:port/db)")
    dsn = dsn.replace("postgresql+asyncpg://", "postgresql://", 1)

    async def _show() -> int:
        import asyncpg

        conn = await asyncpg.connect(dsn, timeout=timeout)
        try:
            return int(await conn.fetchval("SHOW max_connections"))
        finally:
            await conn.close()

    try:
        return asyncio.run(_show())
    except (OSError, TimeoutError) as exc:
        raise TargetError(f"cannot reach PostgreSQL at {dsn}: {exc}") from None
    except Exception as exc:  # asyncpg's own errors (auth, unknown database)
        raise TargetError(f"PostgreSQL at {dsn}: {type(exc).__name__}: {exc}") from None
