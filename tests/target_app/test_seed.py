"""Seeding: deterministic rows, concurrent start-up on one SQLite file seeds once, growth adds rows."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import func, select

from target_app.config import Settings
from target_app.db import Database
from target_app.metrics import Metrics
from target_app.models import Content, SeoAnalysis
from target_app.seed import ensure_seeded


def _db(path: Path) -> Database:
    return Database(Settings(database_url=f"sqlite+aiosqlite:///{path}"), Metrics())


async def _rows(db: Database) -> list[tuple]:
    async with db.session() as s:
        return (await s.execute(select(Content.id, Content.title, Content.status, Content.author_id))).all()


async def test_concurrent_seeding_on_one_sqlite_file(tmp_path: Path) -> None:
    dbs = [_db(tmp_path / "one.db") for _ in range(3)]
    try:
        added = await asyncio.gather(*(ensure_seeded(db, 300) for db in dbs))
        assert sorted(added) == [0, 0, 300]
        async with dbs[0].session() as s:
            assert await s.scalar(select(func.count()).select_from(Content)) == 300
            assert await s.scalar(select(func.count()).select_from(SeoAnalysis)) == 75
        assert await ensure_seeded(dbs[1], 350) == 50
    finally:
        for db in dbs:
            await db.dispose()


async def test_seed_is_deterministic(tmp_path: Path) -> None:
    a, b = _db(tmp_path / "a.db"), _db(tmp_path / "b.db")
    try:
        await ensure_seeded(a, 100)
        await ensure_seeded(b, 40)
        await ensure_seeded(b, 100)  # grown in two steps: same rows
        assert await _rows(a) == await _rows(b)
    finally:
        await a.dispose()
        await b.dispose()
