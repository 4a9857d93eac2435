"""Hostile input: each case once gave a 500, a bypass or unbounded work (issue 17)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import pytest

from tests.target_app.conftest import MakeClient
from tests.target_app.helpers import auth

GEN = {"topic": "Hostile input"}


async def test_body_over_the_limit_is_413_by_content_length(make_client: MakeClient) -> None:
    client = await make_client(MAX_BODY_BYTES="1000")
    body = {"url": "https://x.example/", "text": "word " * 400}
    r = await client.post("/api/seo-dashboard/analyze", json=body)
    assert r.status_code == 413 and "MAX_BODY_BYTES" in r.json()["detail"]


async def test_chunked_body_is_counted_while_it_streams(make_client: MakeClient) -> None:
    client = await make_client(MAX_BODY_BYTES="1000")
    sent = 0

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: chunked transfer
        nonlocal sent
        yield b'{"url": "https://x.example/", "text": "'
        for _ in range(1000):
            sent += 1
            yield b"word " * 100
        yield b'"}'

    r = await client.post("/api/seo-dashboard/analyze", content=chunks())
    assert r.status_code == 413
    assert sent < 10  # stopped at the limit, not after reading 500 kB


async def test_default_body_limit_is_one_mebibyte(client) -> None:
    big = {"url": "https://x.example/", "text": "a" * (1 << 20)}
    assert (await client.post("/api/seo-dashboard/analyze", json=big)).status_code == 413


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/seo-dashboard/analyze", {"url": "https://x.example/", "text": "t", "keywords": ["k" * 5000]}),
        ("/api/blog/research/start", {"keywords": ["k" * 5000]}),
        ("/api/content/generate", {"topic": "abc", "keywords": ["k" * 5000]}),
        ("/api/linkedin/generate-post", {"topic": "abc", "industry": "x" * 10, "key_points": ["p" * 5000]}),
    ],
)
async def test_list_items_are_bounded(client, path: str, body: dict) -> None:
    r = await client.post(path, json=body)
    assert r.status_code == 422, r.text


@pytest.mark.parametrize(
    ("method", "path", "params"),
    [
        ("GET", "/api/content/2147483648", None),
        ("GET", "/api/content/9223372036854775808", None),
        ("GET", "/api/content", {"author_id": 2**31}),
        ("GET", "/api/content", {"author_id": 2**63}),
    ],
)
async def test_integers_beyond_the_column_are_422(client, method: str, path: str, params) -> None:
    r = await client.request(method, path, params=params)
    assert r.status_code == 422, r.text


def _cursor(created: str, cid: object) -> str:
    import base64

    return base64.urlsafe_b64encode(json.dumps([created, cid]).encode()).decode().rstrip("=")


async def test_cursor_id_beyond_range_is_422(client) -> None:
    for cid in (2**31, 2**63, 10**30):
        r = await client.get("/api/content", params={"cursor": _cursor("2026-01-01T00:00:00", cid)})
        assert r.status_code == 422, r.text


async def test_tz_aware_cursor_means_the_same_instant(client) -> None:
    first = (await client.get("/api/content", params={"limit": 2})).json()
    last = first["items"][-1]
    aware = _cursor(last["created_at"] + "+00:00", last["id"])
    r = await client.get("/api/content", params={"limit": 2, "cursor": aware})
    assert r.status_code == 200
    plain = (await client.get("/api/content", params={"limit": 2, "cursor": first["next_cursor"]})).json()
    assert r.json()["items"] == plain["items"]


@pytest.mark.parametrize(
    "raw",
    [
        b'{"topic": "abc", "word_count": NaN}',
        b'{"topic": "abc", "word_count": 1e400}',
        b'{"topic": "abc", "word_count": Infinity}',
        b'{"topic": "\\ud800abc"}',
        b'{"topic": "abc", "\\ud800": 1}',
        b'{"topic": "ab\\u0000c"}',
    ],
)
async def test_bad_numbers_and_text_are_422_never_500(client, raw: bytes) -> None:
    r = await client.post("/api/content/generate", content=raw, headers={"content-type": "application/json"})
    assert r.status_code == 422, r.text
    assert r.json()["detail"][0]["loc"][0] == "body"


async def test_nan_in_a_float_field_is_422(make_client: MakeClient) -> None:
    client = await make_client(ADMIN_TOKEN="t")
    raw = b'{"latency_ms": NaN}'
    r = await client.post("/api/admin/chaos", content=raw, headers={"X-Admin-Token": "t"})
    assert r.status_code == 422, r.text


async def test_invalid_utf8_and_nul_in_a_query_string_are_not_500(client) -> None:
    for query in ("status=%ED%A0%80", "cursor=%ED%A0%80%00", "cursor=%00"):
        r = await client.get("/api/content?" + query)
        assert r.status_code == 422, (query, r.text)


async def test_task_id_is_bounded(client) -> None:
    r = await client.get("/api/blog/research/status/" + "a" * 500, headers=auth("u"))
    assert r.status_code == 422
    r = await client.get("/api/blog/research/status/a%00b", headers=auth("u"))
    assert r.status_code == 422


async def test_long_identity_refused_before_the_llm_and_the_budget(make_client: MakeClient) -> None:
    client = await make_client(RATE_LIMIT_GENERATE="1/minute")
    llm = client.app.state.ctx.llm  # type: ignore[attr-defined]
    calls = 0
    real = llm.complete

    async def counting(*a, **kw):
        nonlocal calls
        calls += 1
        return await real(*a, **kw)

    llm.complete = counting
    r = await client.post("/api/content/generate", json=GEN, headers=auth("x" * 300))
    assert r.status_code == 401 and calls == 0
    ok = await client.post("/api/content/generate", json=GEN, headers=auth("x" * 190))
    assert ok.status_code == 201 and calls == 1


async def test_readiness_ignores_the_injected_slow_query_delay(make_client: MakeClient) -> None:
    client = await make_client(DB_SLOW_QUERY_MS="1500", CACHE_ENABLED="0")
    r = await client.get("/health/ready")
    assert r.status_code == 200, r.text


async def test_llm_timeout_covers_the_wait_for_a_slot(make_client: MakeClient) -> None:
    client = await make_client(LLM_MAX_CONCURRENCY="1", LLM_TIMEOUT_S="0.3", RATE_LIMIT_ENABLED="0")
    llm = client.app.state.ctx.llm  # type: ignore[attr-defined]
    await llm._slots.acquire()  # a long call holds the only slot
    try:
        loop = asyncio.get_running_loop()
        start = loop.time()
        r = await asyncio.wait_for(client.post("/api/content/generate", json=GEN), 3.0)
        took = loop.time() - start
    finally:
        llm._slots.release()
    assert r.status_code == 503 and "slot" in r.json()["detail"] and r.headers["Retry-After"] == "1"
    assert took < 2.0  # bounded by LLM_TIMEOUT_S (before: it waited for the slot as long as it took)
    assert llm.breaker.failures == 0  # a busy replica is not a failing provider
    assert (await client.post("/api/content/generate", json=GEN)).status_code == 201
