"""The request guard, as pure ASGI middleware: injected latency, the caller's identity, then rate limits.

It resolves the route template itself (the app's routes' compiled path patterns, checked in
order; templates compared as exact strings), so limits and exemptions match templates exactly, and
it costs no FastAPI dependency resolution on every request. Limited responses get
``X-RateLimit-*`` headers whatever the handler returned; a rejection is answered here with 429 +
``Retry-After``. Generation by a self-declared bearer token also counts against its client address's
cap (``RATE_LIMIT_GENERATE_CLIENT``); the pro plan's limit comes only from ``API_TOKENS``. A bearer
token too long to be a user id is refused with 401 before any budget is spent.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette.requests import Request

from target_app.config import Rate
from target_app.context import GENERATE_ROUTES, AppContext
from target_app.identity import Identity, TokenTooLong
from target_app.ratelimit import Decision


class GuardMiddleware:
    def __init__(self, app: Any, routes: list[APIRoute], context: AppContext) -> None:
        self.app = app
        self.context = context
        self._table: list[tuple[re.Pattern[str], frozenset[str], str]] = [
            (r.path_regex, frozenset(r.methods or ()), r.path) for r in routes
        ]

    def template(self, scope: dict) -> str | None:
        path, method = scope["path"], scope["method"]
        for regex, methods, template in self._table:
            if method in methods and regex.match(path):
                return template
        return None

    async def limit(self, who: Identity, template: str) -> Decision:
        c = self.context
        bucket, rate = budget_of(c, who, template)
        decision = await c.limiter.hit(bucket, who.key, rate, template)
        cap = client_cap(c, who, bucket)
        if decision.allowed and cap is not None:  # rotating tokens share their address's cap
            capped = await c.limiter.hit("generate-client", "ip:" + who.client, cap, template)
            if not capped.allowed or capped.remaining < decision.remaining:
                decision = capped
        return decision

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        template = self.template(scope)
        if template is None:  # unmatched: the router answers 404/405
            await self.app(scope, receive, send)
            return
        scope["route_template"] = template  # the metrics label also for answers given here (429)
        c = self.context
        s = c.settings
        is_api = template.startswith("/api/")
        delay_ms = s.inject_latency_routes.get(template, 0.0)
        if is_api:  # chaos never slows the admin routes that turn it off
            delay_ms += s.inject_latency_ms + (
                0.0 if template.startswith("/api/admin/") else c.chaos.latency_ms
            )
        if delay_ms > 0:
            await asyncio.sleep(delay_ms / 1000.0)
        if not is_api:
            await self.app(scope, receive, send)
            return
        try:
            who = c.identify(Request(scope))
        except TokenTooLong as exc:
            await JSONResponse({"detail": str(exc)}, 401)(scope, receive, send)
            return
        scope.setdefault("state", {})["identity"] = who
        if not s.rate_limit_enabled or template in s.rate_limit_exempt:
            await self.app(scope, receive, send)
            return
        decision = await self.limit(who, template)
        headers = decision.headers()
        if not decision.allowed:
            await JSONResponse({"detail": "rate limit exceeded"}, 429, headers=headers)(scope, receive, send)
            return
        extra = [(k.lower().encode(), v.encode()) for k, v in headers.items()]

        async def send_with_headers(message: dict) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def budget_of(c: AppContext, who: Identity, template: str) -> tuple[str, Rate]:
    """The bucket a request on ``template`` counts in, and its per-user rate."""
    s = c.settings
    if template in s.rate_limit_routes:
        return template, s.rate_limit_routes[template]
    if template in GENERATE_ROUTES:
        return "generate", s.rate_limit_generate_pro if who.plan == "pro" else s.rate_limit_generate
    return "default", s.rate_limit_default


def client_cap(c: AppContext, who: Identity, bucket: str) -> Rate | None:
    """The per-client-address cap behind a self-declared token's generation budget, if any."""
    if bucket != "generate" or not who.self_declared:
        return None
    return c.settings.rate_limit_generate_client
