"""Per-user rate limits: 429 + Retry-After + X-RateLimit-*, exact-route exemptions, plans, trusted proxies."""

from __future__ import annotations

import httpx

from tests.target_app.conftest import MakeClient
from tests.target_app.helpers import auth, metric

GEN = {"topic": "Rate limits"}


async def test_generate_limit_per_user_with_headers(make_client: MakeClient) -> None:
    client = await make_client(RATE_LIMIT_GENERATE="2/minute")
    ok = [await client.post("/api/content/generate", json=GEN, headers=auth("u1")) for _ in range(2)]
    assert [r.status_code for r in ok] == [201, 201]
    assert ok[0].headers["X-RateLimit-Limit"] == "2" and ok[1].headers["X-RateLimit-Remaining"] == "0"
    denied = await client.post("/api/content/generate", json=GEN, headers=auth("u1"))
    assert denied.status_code == 429
    assert 1 <= int(denied.headers["Retry-After"]) <= 60
    assert denied.headers["X-RateLimit-Remaining"] == "0"
    # another user has their own budget
    assert (await client.post("/api/content/generate", json=GEN, headers=auth("u2"))).status_code == 201
    # the LinkedIn route shares the generation budget
    li = await client.post(
        "/api/linkedin/generate-post", json={"topic": "abc", "industry": "x"}, headers=auth("u1")
    )
    assert li.status_code == 429
    text = (await client.get("/metrics")).text
    assert metric(text, "rate_limit_rejections_total", route="/api/content/generate") == 1
    assert metric(text, "rate_limit_rejections_total", route="/api/linkedin/generate-post") == 1
    assert metric(text, "http_requests_total", route="/api/content/generate", status="429") == 1


async def test_exemption_matches_exact_route_template(make_client: MakeClient) -> None:
    client = await make_client(RATE_LIMIT_DEFAULT="1/minute", RATE_LIMIT_EXEMPT="/api/content/{id}")
    for i in range(1, 4):
        assert (await client.get(f"/api/content/{i}", headers=auth("x"))).status_code == 200
    assert (await client.get("/api/content", headers=auth("x"))).status_code == 200
    assert (await client.get("/api/content", headers=auth("x"))).status_code == 429  # not a prefix match
    assert (await client.get("/health")).status_code == 200  # non-API routes are never limited


async def test_headers_on_every_limited_route(client: httpx.AsyncClient) -> None:
    for path in ("/api/content/1", "/api/content", "/api/analytics/content", "/api/seo-dashboard/overview"):
        r = await client.get(path, headers=auth("hdr"))
        assert r.headers["X-RateLimit-Limit"] == "6000", path
    assert "X-RateLimit-Limit" not in (await client.get("/health")).headers


async def test_disabled(make_client: MakeClient) -> None:
    client = await make_client(RATE_LIMIT_DEFAULT="1/minute", RATE_LIMIT_ENABLED="0")
    assert [(await client.get("/api/content")).status_code for _ in range(3)] == [200] * 3


async def test_forwarded_for_only_from_trusted_proxy(make_client: MakeClient) -> None:
    # ASGITransport's peer is 127.0.0.1: untrusted, so X-Forwarded-For is ignored and both share a bucket
    client = await make_client(RATE_LIMIT_DEFAULT="1/minute")
    assert (await client.get("/api/content", headers={"X-Forwarded-For": "10.0.0.1"})).status_code == 200
    assert (await client.get("/api/content", headers={"X-Forwarded-For": "10.0.0.2"})).status_code == 429
    proxied = await make_client(RATE_LIMIT_DEFAULT="1/minute", TRUSTED_PROXIES="127.0.0.0/8")
    assert (await proxied.get("/api/content", headers={"X-Forwarded-For": "10.0.0.1"})).status_code == 200
    assert (await proxied.get("/api/content", headers={"X-Forwarded-For": "10.0.0.2"})).status_code == 200
    assert (await proxied.get("/api/content", headers={"X-Forwarded-For": "10.0.0.1"})).status_code == 429


async def test_per_route_limits(make_client: MakeClient) -> None:
    client = await make_client(RATE_LIMIT_ROUTES="/api/analytics/content=2/minute")
    codes = [(await client.get("/api/analytics/content", headers=auth("r"))).status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    assert (await client.get("/api/content", headers=auth("r"))).status_code == 200  # own budget


async def test_plan_comes_from_the_token_map_not_the_name(make_client: MakeClient) -> None:
    client = await make_client(RATE_LIMIT_GENERATE="2/minute", API_TOKENS="tok-7=alice:pro,tok-8=bob")
    self_declared = await client.post("/api/content/generate", json=GEN, headers=auth("pro-7"))
    assert self_declared.headers["X-RateLimit-Limit"] == "2"  # a name prefix buys nothing
    pro = [await client.post("/api/content/generate", json=GEN, headers=auth("tok-7")) for _ in range(3)]
    assert all(r.status_code == 201 for r in pro) and pro[0].headers["X-RateLimit-Limit"] == "60"
    free = await client.post("/api/content/generate", json=GEN, headers=auth("tok-8"))
    assert free.headers["X-RateLimit-Limit"] == "2"
    status = (await client.get("/api/rate-limit/status", headers=auth("tok-7"))).json()
    assert status["identity"] == "user:alice" and status["plan"] == "pro"


async def test_rotating_tokens_share_the_client_cap(make_client: MakeClient) -> None:
    client = await make_client(RATE_LIMIT_GENERATE="2/minute", RATE_LIMIT_GENERATE_CLIENT="5/minute")
    codes = [
        (await client.post("/api/content/generate", json=GEN, headers=auth(f"rot-{i}"))).status_code
        for i in range(8)
    ]
    assert codes == [201] * 5 + [429] * 3
    # a listed token is a known user, not a self-declared one: not behind the address's cap
    known = await make_client(
        RATE_LIMIT_GENERATE="2/minute", RATE_LIMIT_GENERATE_CLIENT="1/minute", API_TOKENS="k1=u1,k2=u2"
    )
    for tok in ("k1", "k2"):
        assert (await known.post("/api/content/generate", json=GEN, headers=auth(tok))).status_code == 201


async def test_client_cap_defaults_to_thirty_users(make_client: MakeClient) -> None:
    from target_app.config import Rate, Settings

    assert Settings.from_env({}).rate_limit_generate_client == Rate(300, 60)
    assert Settings.from_env({"RATE_LIMIT_GENERATE": "5/30s"}).rate_limit_generate_client == Rate(150, 30)
    assert Settings.from_env({"RATE_LIMIT_GENERATE_CLIENT": "off"}).rate_limit_generate_client is None
