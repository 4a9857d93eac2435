"""Blog research as start-then-poll. Job state lives in the database, so every replica sees it;
finished results are cached, and a cached topic returns an already-completed task."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import uuid
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, Field
from sqlalchemy import select, update

from target_app.breaker import BreakerOpen
from target_app.context import AppContext, ctx, current_user
from target_app.db import PoolExhausted
from target_app.llm import UpstreamError
from target_app.models import ResearchJob, utcnow

router = APIRouter(prefix="/api/blog/research", tags=["research"])
log = logging.getLogger("target_app.research")


class BlogResearchRequest(BaseModel):
    """ALwrity's blog research request shape."""

    keywords: list[str] = Field(min_length=1, max_length=10)
    topic: str | None = Field(None, max_length=200)
    industry: str | None = Field(None, max_length=100)
    target_audience: str | None = Field(None, max_length=200)
    tone: str | None = Field(None, max_length=50)
    word_count_target: int | None = Field(1500, ge=100, le=10000)


def research_key(body: BlogResearchRequest) -> str:
    norm = json.dumps(
        [
            sorted(k.lower().strip() for k in body.keywords),
            (body.topic or "").lower(),
            (body.industry or "").lower(),
        ]
    )
    return "research:" + hashlib.sha256(norm.encode()).hexdigest()[:32]


def _result(body: BlogResearchRequest, summary: str) -> dict[str, Any]:
    return {
        "success": True,
        "sources": [
            {
                "title": f"Source on {k}",
                "url": f"https://research.example/{k.replace(' ', '-')}",
                "credibility_score": 0.8,
            }
            for k in body.keywords
        ],
        "keyword_analysis": {"primary": body.keywords[:1], "secondary": body.keywords[1:]},
        "suggested_angles": [f"Why {k} matters in {body.industry or 'your industry'}" for k in body.keywords],
        "summary": summary,
    }


async def _set_state(c: AppContext, task_id: str, **values: Any) -> None:
    for attempt in range(3):
        try:
            async with c.db.session() as s:
                await s.execute(
                    update(ResearchJob).where(ResearchJob.id == task_id).values(updated_at=utcnow(), **values)
                )
                await s.commit()
            return
        except PoolExhausted:
            await asyncio.sleep(0.5 * (attempt + 1))
    log.error("could not record state of research task %s", task_id)


async def _run(c: AppContext, task_id: str, body: BlogResearchRequest, key: str) -> None:
    await _set_state(c, task_id, status="running", progress=["Researching sources"])
    try:
        summary = await c.llm.complete("research", f"research|{key}", words=60)
    except (UpstreamError, BreakerOpen) as exc:
        await _set_state(c, task_id, status="failed", error=str(exc), progress=["Research failed"])
        return
    result = _result(body, summary)
    await c.cache.set("research", key, result)
    await _set_state(
        c, task_id, status="completed", result=result, progress=["Researching sources", "Research completed"]
    )


@router.post("/start", status_code=202)
async def start(body: BlogResearchRequest, request: Request) -> dict[str, str]:
    c = ctx(request)
    user = current_user(request)
    key = research_key(body)
    hit, cached = await c.cache.lookup("research", key)
    task_id = uuid.uuid4().hex
    now = utcnow()
    job = ResearchJob(
        id=task_id,
        user_id=user,
        request=body.model_dump(),
        created_at=now,
        updated_at=now,
        status="completed" if hit else "pending",
        progress=["Served from cache"] if hit else ["Queued"],
        result=cached,
    )
    async with c.db.session() as s:
        s.add(job)
        await s.commit()
    if not hit:
        c.spawn(_run(c, task_id, body, key))
    return {"task_id": task_id, "status": "completed" if hit else "started"}


@router.get("/status/{task_id}")
async def status(task_id: str, request: Request) -> dict[str, Any]:
    c = ctx(request)
    user = current_user(request)
    async with c.db.session(read_only=True) as s:
        job = (await s.execute(select(ResearchJob).where(ResearchJob.id == task_id))).scalar_one_or_none()
    if job is None or job.user_id != user:
        raise HTTPException(404, detail=f"research task {task_id} not found")
    return {
        "task_id": job.id,
        "status": job.status,
        "progress_messages": job.progress,
        "result": job.result,
        "error": job.error,
    }
