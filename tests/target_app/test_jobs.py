"""Research jobs cannot stay ``running`` forever: shutdown records them failed, and a job whose
replica died (no heartbeat within JOB_LEASE_S) is failed when next read."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import httpx

from target_app.app import create_app
from target_app.config import Settings
from target_app.models import ResearchJob, utcnow
from tests.target_app.conftest import TEST_ENV, MakeClient
from tests.target_app.helpers import auth


async def test_job_cancelled_at_shutdown_is_not_running_after_restart(tmp_path: Path) -> None:
    env = {**TEST_ENV, "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/jobs.db", "LLM_LATENCY_SCALE": "100",
           "LLM_TIMEOUT_S": "1000", "JOB_DRAIN_S": "0"}  # fmt: skip
    app = create_app(Settings.from_env(env))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            r = await client.post("/api/blog/research/start", json={"keywords": ["slow"]}, headers=auth("u"))
            task_id = r.json()["task_id"]
            await asyncio.sleep(0.2)
            running = await client.get(f"/api/blog/research/status/{task_id}", headers=auth("u"))
            assert running.json()["status"] == "running"
    again = create_app(Settings.from_env(env))  # the restarted replica
    async with again.router.lifespan_context(again):
        transport = httpx.ASGITransport(app=again)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            body = (await client.get(f"/api/blog/research/status/{task_id}", headers=auth("u"))).json()
    assert body["status"] == "failed" and "shutdown" in body["error"]


async def test_job_of_a_dead_replica_fails_when_its_lease_expires(make_client: MakeClient) -> None:
    client = await make_client(JOB_LEASE_S="30")
    db = client.app.state.ctx.db  # type: ignore[attr-defined]
    old = utcnow() - timedelta(seconds=31)
    async with db.session() as s:  # what a replica killed with SIGKILL leaves behind
        for job_id, updated in (("dead", old), ("alive", utcnow())):
            s.add(ResearchJob(id=job_id, user_id="user:u", status="running", request={}, progress=[],
                              created_at=old, updated_at=updated))  # fmt: skip
        await s.commit()
    dead = (await client.get("/api/blog/research/status/dead", headers=auth("u"))).json()
    assert dead["status"] == "failed" and "lease expired" in dead["error"]
    alive = (await client.get("/api/blog/research/status/alive", headers=auth("u"))).json()
    assert alive["status"] == "running"


async def test_a_long_job_renews_its_lease(make_client: MakeClient) -> None:
    client = await make_client(JOB_LEASE_S="1", LLM_LATENCY_SCALE="1.2", CACHE_ENABLED="0")  # ~1.8 s job
    r = await client.post("/api/blog/research/start", json={"keywords": ["long"]}, headers=auth("u"))
    task_id = r.json()["task_id"]
    seen = []
    for _ in range(60):
        body = (await client.get(f"/api/blog/research/status/{task_id}", headers=auth("u"))).json()
        seen.append(body["status"])
        if body["status"] in ("completed", "failed"):
            break
        await asyncio.sleep(0.1)
    assert seen[-1] == "completed", body
