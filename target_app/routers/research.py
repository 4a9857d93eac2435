"""Blog research as start-then-poll. Job state lives in the database, so every replica sees it;
finished results are cached, and a cached topic returns an already-completed task.

Leases: a running job's row is its lease; the replica running it renews ``updated_at`` every
``JOB_LEASE_S / 3`` seconds. A job still ``pending``/``running`` whose lease is older than
``JOB_LEASE_S`` (its replica stopped or was killed) is marked ``failed`` when it is next read. A job
cancelled at shutdown records ``failed`` itself when it can."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import uuid
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, HTTPException, Path, Request
from pydantic import BaseModel, Field
from sqlalchemy import select, update

from target_app.breaker import BreakerOpen
from target_app.context import AppContext, ctx, current_user
from target_app.db import PoolExhausted
from target_app.llm import LlmBusy, UpstreamError
from target_app.models import ResearchJob, utcnow
from target_app.schemas import STRICT, Keyword, Str

router = APIRouter(prefix="/api/blog/research", tags=["research"])
log = logging.getLogger("target_app.research")


class BlogResearchRequest(BaseModel):
    """ALwrity's blog research request shape."""

    model_config = STRICT
    keywords: list[Keyword] = Field(min_length=1, max_length=10)
    topic: Str(200) | None = None
    industry: Str(100) | None = None
    target_audience: Str(200) | None = None
    tone: Str(50) | None = None
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


LIVE = ("pending", "running")
LEASE_EXPIRED = "lease expired: the replica running this job stopped"


async def _heartbeat(c: AppContext, task_id: str) -> None:
    while True:
        await asyncio.sleep(c.settings.job_lease_s / 3)
        await _set_state(c, task_id)


async def _run(c: AppContext, task_id: str, body: BlogResearchRequest, key: str) -> None:
    try:
        await _set_state(c, task_id, status="running", progress=["Researching sources"])
        beat = asyncio.create_task(_heartbeat(c, task_id))
        try:
            summary = await c.llm.complete("research", f"research|{key}", words=60)
        finally:
            beat.cancel()
    except (UpstreamError, BreakerOpen, LlmBusy) as exc:
        await _set_state(c, task_id, status="failed", error=str(exc), progress=["Research failed"])
        return
    except asyncio.CancelledError:  # shutdown: say so rather than leave the job "running"
        with contextlib.suppress(Exception):
            await asyncio.shield(
                _set_state(c, task_id, status="failed", error="interrupted by shutdown", progress=["Stopped"])
            )
        raise
    result = _result(body, summary)
    await c.cache.set("research", key, result)
    await _set_state(
        c, task_id, status="completed", result=result, progress=["Researching sources", "Research completed"]
    )


async def _expire(c: AppContext, job: ResearchJob) -> ResearchJob:
    """Mark a job whose lease ran out as failed (only if nobody renewed it meanwhile)."""
    cutoff = utcnow() - timedelta(seconds=c.settings.job_lease_s)
    async with c.db.session() as s:
        await s.execute(
            update(ResearchJob)
            .where(ResearchJob.id == job.id, ResearchJob.status.in_(LIVE), ResearchJob.updated_at < cutoff)
            .values(status="failed", error=LEASE_EXPIRED, updated_at=utcnow())
        )
        await s.commit()
        return (await s.execute(select(ResearchJob).where(ResearchJob.id == job.id))).scalar_one()


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
async def status(
    request: Request, task_id: str = Path(max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
) -> dict[str, Any]:
    c = ctx(request)
    user = current_user(request)
    async with c.db.session(read_only=True) as s:
        job = (await s.execute(select(ResearchJob).where(ResearchJob.id == task_id))).scalar_one_or_none()
    if job is None or job.user_id != user:
        raise HTTPException(404, detail=f"research task {task_id} not found")
    if job.status in LIVE and job.updated_at < utcnow() - timedelta(seconds=c.settings.job_lease_s):
        job = await _expire(c, job)
    return {
        "task_id": job.id,
        "status": job.status,
        "progress_messages": job.progress,
        "result": job.result,
        "error": job.error,
    }
