"""SEO dashboard: CPU-bound analysis stored per URL, and a cached overview aggregate."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy import case, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from target_app.context import AppContext, ctx
from target_app.models import SeoAnalysis, utcnow
from target_app.schemas import STRICT, Keyword, Str
from target_app.seo_score import analyze_text

router = APIRouter(prefix="/api/seo-dashboard", tags=["seo"])


class SeoAnalyzeRequest(BaseModel):
    model_config = STRICT
    url: Str(300, pattern=r"^https?://\S+$")
    text: Str(100_000, 1)
    keywords: list[Keyword] = Field(default_factory=list, max_length=20)


@router.post("/analyze")
async def analyze(
    body: SeoAnalyzeRequest,
    request: Request,
    store: bool = Query(True, description="false: score only (a preview), nothing is written"),
) -> dict[str, Any]:
    c = ctx(request)
    result = analyze_text(body.text, body.keywords, c.settings.seo_cpu_work)
    if not store:
        return {"url": body.url, **result}
    values = {k: result[k] for k in ("score", "readability", "keyword_density", "headings", "issues")}
    values["analyzed_at"] = utcnow()
    insert = sqlite_insert if c.db.is_sqlite else pg_insert
    stmt = insert(SeoAnalysis).values(url=body.url, **values)
    stmt = stmt.on_conflict_do_update(index_elements=[SeoAnalysis.url], set_=values)
    async with c.db.session() as s:
        await s.execute(stmt)
        await s.commit()
    return {"url": body.url, **result}


async def _overview(c: AppContext) -> dict[str, Any]:
    score = SeoAnalysis.score
    q = select(
        func.count(),
        func.avg(score),
        func.avg(SeoAnalysis.readability),
        func.sum(case((score < 50, 1), else_=0)),
        func.sum(case(((score >= 50) & (score < 70), 1), else_=0)),
        func.sum(case(((score >= 70) & (score < 90), 1), else_=0)),
        func.sum(case((score >= 90, 1), else_=0)),
    )
    async with c.db.session(read_only=True) as s:
        n, avg_score, avg_read, b0, b1, b2, b3 = (await s.execute(q)).one()
    return {
        "total_analyses": int(n),
        "average_score": round(float(avg_score or 0), 2),
        "average_readability": round(float(avg_read or 0), 2),
        "score_distribution": {
            "0-49": int(b0 or 0),
            "50-69": int(b1 or 0),
            "70-89": int(b2 or 0),
            "90-100": int(b3 or 0),
        },
    }


@router.get("/overview")
async def overview(request: Request) -> dict[str, Any]:
    c = ctx(request)
    return await c.cache.get_or_load("seo", "seo:overview", lambda: _overview(c))
