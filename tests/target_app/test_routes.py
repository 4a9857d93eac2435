"""API behaviour of every route: status codes, shapes, validation errors (422 with field names)."""

from __future__ import annotations

import asyncio

import httpx

from tests.target_app.conftest import MakeClient
from tests.target_app.helpers import auth, metric


def _fields(resp: httpx.Response) -> set[str]:
    assert resp.status_code == 422, resp.text
    return {str(e["loc"][-1]) for e in resp.json()["detail"]}


async def test_health_and_ready(client: httpx.AsyncClient) -> None:
    assert (await client.get("/health")).json() == {"status": "ok"}
    r = await client.get("/health/ready")
    assert r.status_code == 200
    assert r.json() == {"status": "ready", "components": {"database": "ok", "redis": "not configured"}}


async def test_metrics_names_and_route_templates(client: httpx.AsyncClient) -> None:
    await client.get("/api/content/7", headers=auth("u1"))
    await client.get("/no/such/path/123")
    text = (await client.get("/metrics")).text
    for name in (
        "process_cpu_seconds_total", "process_resident_memory_bytes", "http_requests_total",
        "http_request_duration_seconds_bucket", "http_requests_in_flight", "db_pool_size",
        "db_pool_max_overflow", "db_pool_checked_out", "db_pool_overflow", "db_pool_wait_seconds_bucket",
        "db_pool_timeouts_total", "cache_hits_total", "cache_misses_total", "cache_errors_total",
        "rate_limit_rejections_total", "circuit_breaker_state", "circuit_breaker_rejections_total",
        "upstream_duration_seconds_bucket", "event_loop_lag_seconds",
    ):  # fmt: skip
        assert f"\n{name}" in text or f"# TYPE {name.removesuffix('_bucket')}" in text, name
    assert metric(text, "http_requests_total", route="/api/content/{id}", status="200", method="GET") == 1
    assert metric(text, "http_requests_total", route="<unmatched>", status="404") == 1
    assert "/api/content/7" not in text and "/no/such" not in text
    assert metric(text, "db_pool_size") == 5


async def test_content_item_shape_cache_and_404(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/content/3", headers=auth("alice"))
    assert r.status_code == 200
    body = r.json()
    assert body["id"] == 3 and set(body["author"]) == {"id", "name", "plan"}
    assert isinstance(body["tags"], list) and body["status"] in {"draft", "published", "archived"}
    assert (await client.get("/api/content/3", headers=auth("alice"))).json() == body
    assert body["seo"] is None  # seeded SEO rows exist for every 4th content row
    assert set((await client.get("/api/content/4")).json()["seo"]) == {"score", "readability", "issues"}
    missing = await client.get("/api/content/999999", headers=auth("alice"))
    assert missing.status_code == 404
    assert (await client.get("/api/content/999999", headers=auth("alice"))).status_code == 404
    text = (await client.get("/metrics")).text
    assert metric(text, "cache_hits_total", cache="content") == 2  # the item and the cached "not found"
    assert metric(text, "cache_misses_total", cache="content") == 3
    assert _fields(await client.get("/api/content/abc")) == {"id"}


async def test_content_list_keyset_pagination(client: httpx.AsyncClient) -> None:
    first = (await client.get("/api/content", params={"limit": 5})).json()
    assert len(first["items"]) == 5 and first["next_cursor"]
    second = (await client.get("/api/content", params={"limit": 5, "cursor": first["next_cursor"]})).json()
    ids1, ids2 = {i["id"] for i in first["items"]}, {i["id"] for i in second["items"]}
    assert not ids1 & ids2
    stamps = [i["created_at"] for i in first["items"] + second["items"]]
    assert stamps == sorted(stamps, reverse=True)
    pub = (
        await client.get("/api/content", params={"status": "published", "author_id": 8, "limit": 100})
    ).json()
    assert all(i["status"] == "published" and i["author_id"] == 8 for i in pub["items"])
    assert _fields(await client.get("/api/content", params={"limit": 0})) == {"limit"}
    assert _fields(await client.get("/api/content", params={"cursor": "%%%"})) == {"cursor"}
    assert _fields(await client.get("/api/content", params={"status": "bogus"})) == {"status"}


async def test_analytics(client: httpx.AsyncClient) -> None:
    body = (await client.get("/api/analytics/content", params={"days": 365})).json()
    assert body["days"] == 365 and body["total"] == sum(d["count"] for d in body["per_day"]) > 0
    assert set(body["per_day"][0]) == {"day", "count", "avg_quality"}
    assert _fields(await client.get("/api/analytics/content", params={"days": 0})) == {"days"}


async def test_generate_content(client: httpx.AsyncClient) -> None:
    r = await client.post("/api/content/generate", json={"topic": "Edge caching", "keywords": ["cdn"]})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["id"] > 200 and body["content"] and body["status"] == "draft"
    assert (await client.get(f"/api/content/{body['id']}")).json()["title"] == "Edge Caching"
    assert _fields(await client.post("/api/content/generate", json={"keywords": []})) == {"topic"}
    assert _fields(await client.post("/api/content/generate", json={"topic": "abc", "word_count": 5})) == {
        "word_count"
    }


async def test_linkedin_post_shape(client: httpx.AsyncClient) -> None:
    r = await client.post("/api/linkedin/generate-post", json={"topic": "AI in sales", "industry": "Tech"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["success"] is True and body["error"] is None
    assert body["data"]["character_count"] == len(body["data"]["content"])
    assert body["data"]["hashtags"] and body["data"]["call_to_action"]
    assert _fields(await client.post("/api/linkedin/generate-post", json={"topic": "AI in sales"})) == {
        "industry"
    }


async def _poll(client: httpx.AsyncClient, task_id: str, user: str) -> dict:
    for _ in range(200):
        body = (await client.get(f"/api/blog/research/status/{task_id}", headers=auth(user))).json()
        if body["status"] in {"completed", "failed"}:
            return body
        await asyncio.sleep(0.02)
    raise AssertionError("research task did not finish")


async def test_research_start_poll_and_cache(client: httpx.AsyncClient) -> None:
    req = {"keywords": ["edge caching", "cdn"], "topic": "Caching"}
    r = await client.post("/api/blog/research/start", json=req, headers=auth("bob"))
    assert r.status_code == 202 and r.json()["status"] == "started"
    done = await _poll(client, r.json()["task_id"], "bob")
    assert done["status"] == "completed" and done["result"]["sources"]
    again = await client.post("/api/blog/research/start", json=req, headers=auth("bob"))
    assert again.json()["status"] == "completed"  # cache hit: a finished task at once
    status = await client.get(f"/api/blog/research/status/{again.json()['task_id']}", headers=auth("bob"))
    assert status.json()["result"] == done["result"]
    other = await client.get(f"/api/blog/research/status/{again.json()['task_id']}", headers=auth("eve"))
    assert other.status_code == 404
    assert (await client.get("/api/blog/research/status/nope", headers=auth("bob"))).status_code == 404
    assert _fields(await client.post("/api/blog/research/start", json={"keywords": []})) == {"keywords"}


async def test_seo_analyze_and_overview(client: httpx.AsyncClient) -> None:
    before = (await client.get("/api/seo-dashboard/overview")).json()
    assert set(before) == {"total_analyses", "average_score", "average_readability", "score_distribution"}
    page = "# Title\n\n## Part\n\n" + "Caching makes pages fast. " * 50
    r = await client.post(
        "/api/seo-dashboard/analyze",
        json={"url": "https://x.example/a", "text": page, "keywords": ["caching"]},
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["headings"]["h1"] == 1 and body["headings"]["h2"] == 1 and 0 <= body["score"] <= 100
    assert body["keyword_density"]["caching"] > 0
    again = await client.post(
        "/api/seo-dashboard/analyze", json={"url": "https://x.example/a", "text": "Hi."}
    )
    assert again.status_code == 200  # upsert by url
    assert (await client.get("/api/seo-dashboard/overview")).json() == before  # cached
    assert _fields(await client.post("/api/seo-dashboard/analyze", json={"url": "ftp:/x", "text": "a"})) == {
        "url"
    }


async def test_seo_analyze_preview_writes_nothing(make_client: MakeClient) -> None:
    client = await make_client(CACHE_ENABLED="0")
    seo = {"url": "https://x.example/p", "text": "# Title\n\nShort words help.", "keywords": ["words"]}

    async def total() -> int:
        return (await client.get("/api/seo-dashboard/overview")).json()["total_analyses"]

    start = await total()
    preview = await client.post("/api/seo-dashboard/analyze?store=false", json=seo)
    assert preview.status_code == 200 and preview.json()["headings"]["h1"] == 1
    assert await total() == start
    assert (await client.post("/api/seo-dashboard/analyze", json=seo)).status_code == 200
    assert await total() == start + 1


async def test_admin_invalidate(make_client: MakeClient) -> None:
    client = await make_client(ADMIN_TOKEN="s3cret")
    await client.get("/api/content/1", headers=auth("a"))
    await client.get("/api/content/2", headers=auth("a"))
    await client.get("/api/analytics/content")
    url = "/api/admin/cache/invalidate"
    assert (await client.post(url, json={"prefix": "content:"})).status_code == 403
    assert (
        await client.post(url, json={"prefix": "content:"}, headers={"X-Admin-Token": "no"})
    ).status_code == 403
    r = await client.post(url, json={"prefix": "content:"}, headers={"X-Admin-Token": "s3cret"})
    assert r.json() == {"prefix": "content:", "deleted": 2}
    assert _fields(await client.post(url, json={"prefix": "a*"}, headers={"X-Admin-Token": "s3cret"})) == {
        "prefix"
    }


async def test_admin_disabled_without_token(client: httpx.AsyncClient) -> None:
    r = await client.post("/api/admin/cache/invalidate", json={"prefix": ""}, headers={"X-Admin-Token": ""})
    assert r.status_code == 403 and "ADMIN_TOKEN" in r.json()["detail"]
