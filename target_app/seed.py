"""Deterministic seed data, created at start-up when the database has fewer rows than asked for.

Every row is a pure function of its id (``random.Random(id)``), dates are offsets from an anchor time
stored with the seed state, so the data are the same on every run and growing ``SEED_CONTENT_ROWS``
only adds rows. Several replicas may start at once on one database: schema creation and seeding run
under a lock (a PostgreSQL advisory transaction lock, or an flock next to the SQLite file), and the
``seed_state`` row says what is already there.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from target_app.db import Database
from target_app.models import Author, Base, Content, SeedState, SeoAnalysis, Tag, content_tags, utcnow

AUTHORS = 200
TAGS = 40
STATUSES = ("published",) * 7 + ("draft",) * 2 + ("archived",)
_ADVISORY_KEY = 0x5CA1EC7
_BATCH = 5000
_WORDS = [
    "seo",
    "content",
    "blog",
    "marketing",
    "strategy",
    "audience",
    "growth",
    "search",
    "ranking",
    "keyword",
    "social",
    "linkedin",
    "engagement",
    "brand",
    "story",
    "analytics",
    "conversion",
    "funnel",
    "insight",
    "research",
    "writing",
    "quality",
]


def content_url(i: int) -> str:
    return f"https://alwrity.example/content/{i}"


def _content_row(i: int, anchor: datetime) -> dict[str, Any]:
    rng = random.Random(i)
    words = [rng.choice(_WORDS) for _ in range(60)]
    return {
        "id": i,
        "author_id": (i * 7919) % AUTHORS + 1,
        "title": " ".join(words[:6]).title(),
        "body": " ".join(words),
        "status": rng.choice(STATUSES),
        "quality_score": round(rng.uniform(20, 100), 2),
        "url": content_url(i),
        "created_at": anchor - timedelta(seconds=rng.randrange(365 * 86400)),
    }


def _seo_row(i: int, anchor: datetime) -> dict[str, Any]:
    rng = random.Random(-i)
    return {
        "url": content_url(i),
        "score": round(rng.uniform(30, 98), 1),
        "readability": round(rng.uniform(20, 90), 1),
        "keyword_density": {rng.choice(_WORDS): round(rng.uniform(0.5, 4), 2)},
        "headings": {"h1": 1, "h2": rng.randrange(1, 6), "h3": rng.randrange(0, 8)},
        "issues": [] if rng.random() < 0.5 else ["meta description missing"],
        "analyzed_at": anchor - timedelta(seconds=rng.randrange(90 * 86400)),
    }


@asynccontextmanager
async def _seed_lock(db: Database) -> AsyncIterator[AsyncConnection]:
    if db.is_sqlite:
        path = db.engine.url.database or ":memory:"
        lock_path = (path if path != ":memory:" else "/tmp/alwrity-memory") + ".seedlock"
        fd = os.open(lock_path, os.O_CREAT | os.O_RDWR, 0o644)
        try:
            await asyncio.to_thread(fcntl.flock, fd, fcntl.LOCK_EX)
            async with db.engine.begin() as conn:
                yield conn
        finally:
            with suppress(OSError):
                fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)
    else:
        async with db.engine.begin() as conn:
            await conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _ADVISORY_KEY})
            yield conn


async def _insert_batches(conn: AsyncConnection, table: Any, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), _BATCH):
        await conn.execute(insert(table), rows[start : start + _BATCH])


async def ensure_seeded(db: Database, content_rows: int) -> int:
    """Create the schema and seed up to ``content_rows`` content rows; returns rows added."""
    async with _seed_lock(db) as conn:
        await conn.run_sync(Base.metadata.create_all)
        state = (await conn.execute(select(SeedState).where(SeedState.id == 1))).first()
        have = state.content_rows if state else 0
        anchor = state.seeded_at if state else utcnow().replace(microsecond=0)
        if have >= content_rows:
            return 0
        if state is None:
            await _insert_batches(
                conn,
                Author,
                [
                    {
                        "id": a,
                        "name": f"Author {a}",
                        "email": f"author{a}@alwrity.example",
                        "plan": "pro" if a % 5 == 0 else "free",
                    }
                    for a in range(1, AUTHORS + 1)
                ],
            )
            await _insert_batches(conn, Tag, [{"id": t, "name": f"tag-{t}"} for t in range(1, TAGS + 1)])
        ids = range(have + 1, content_rows + 1)
        await _insert_batches(conn, Content, [_content_row(i, anchor) for i in ids])
        links = [
            {"content_id": i, "tag_id": (i * k * 31) % TAGS + 1}
            for i in ids
            for k in (1, 2, 3)
            if (i + k) % 4
        ]
        unique_links = list({(r["content_id"], r["tag_id"]): r for r in links}.values())
        await _insert_batches(conn, content_tags, unique_links)
        await _insert_batches(conn, SeoAnalysis, [_seo_row(i, anchor) for i in ids if i % 4 == 0])
        if state is None:
            await conn.execute(insert(SeedState).values(id=1, content_rows=content_rows, seeded_at=anchor))
        else:
            await conn.execute(
                SeedState.__table__.update().where(SeedState.id == 1).values(content_rows=content_rows)
            )
        if not db.is_sqlite:  # explicit ids were inserted: move the sequences past them
            for table in ("content", "authors", "tags"):
                await conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT max(id) FROM {table}))"
                    )
                )
        return len(ids)
