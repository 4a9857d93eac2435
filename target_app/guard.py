"""The request guard, as pure ASGI middleware: injected latency, then per-user rate limits.

It resolves the route template itself (the app's routes' compiled path patterns, checked in
order; templates compared as exact strings), so limits and exemptions match templates exactly, and
it costs no FastAPI dependency resolution on every request. Limited responses get
``X-RateLimit-*`` headers whatever the handler returned; a rejection is answered here with 429 +
``Retry-After``.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette.requests import Request

from target_app.context import GENERATE_ROUTES, PRO_PREFIX, AppContext
from target_app.identity import user_id


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
        delay_ms = s.inject_latency_routes.get(template, 0.0) + (s.inject_latency_ms if is_api else 0.0)
        if delay_ms > 0:
            await asyncio.sleep(delay_ms / 1000.0)
        if not is_api:
            await self.app(scope, receive, send)
            return
        user = user_id(Request(scope), s.trusted_proxies)
        scope.setdefault("state", {})["user"] = user
        if not s.rate_limit_enabled or template in s.rate_limit_exempt:
            await self.app(scope, receive, send)
            return
        if template in s.rate_limit_routes:
            bucket, rate = template, s.rate_limit_routes[template]
        elif template in GENERATE_ROUTES:
            bucket = "generate"
            rate = s.rate_limit_generate_pro if user.startswith(PRO_PREFIX) else s.rate_limit_generate
        else:
            bucket, rate = "default", s.rate_limit_default
        decision = await c.limiter.hit(bucket, user, rate, template)
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
