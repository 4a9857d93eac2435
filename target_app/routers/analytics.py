"""Content analytics over a time window: count and average quality per day, cached with single flight."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Query, Request
from sqlalchemy import func, select

from target_app.context import AppContext, ctx
from target_app.models import Content, utcnow

router = APIRouter(prefix="/api/analytics", tags=["analytics"])


async def _per_day(c: AppContext, days: int) -> dict[str, Any]:
    since = utcnow() - timedelta(days=days)
    day = func.date(Content.created_at)
    q = (
        select(day.label("day"), func.count(), func.avg(Content.quality_score))
        .where(Content.created_at >= since)
        .group_by(day)
        .order_by(day)
    )
    async with c.db.session(read_only=True) as s:
        rows = (await s.execute(q)).all()
    per_day = [{"day": str(d), "count": int(n), "avg_quality": round(float(a), 2)} for d, n, a in rows]
    return {
        "days": days,
        "since": since.isoformat(),
        "total": sum(r["count"] for r in per_day),
        "per_day": per_day,
    }


@router.get("/content")
async def content_analytics(request: Request, days: int = Query(30, ge=1, le=365)) -> dict[str, Any]:
    c = ctx(request)
    return await c.cache.get_or_load("analytics", f"analytics:{days}", lambda: _per_day(c, days))
