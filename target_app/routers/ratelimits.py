"""The caller's own rate-limit budgets (``GET /api/rate-limit/status``), read without spending them."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from target_app.config import Rate
from target_app.context import ctx, current_identity

router = APIRouter(prefix="/api/rate-limit", tags=["rate-limit"])


@router.get("/status")
async def rate_limit_status(request: Request) -> dict[str, Any]:
    """Who the backend thinks you are, your plan, and each budget's limit, remaining count and reset."""
    c = ctx(request)
    s = c.settings
    who = current_identity(request)
    generate = s.rate_limit_generate_pro if who.plan == "pro" else s.rate_limit_generate
    wanted: list[tuple[str, str, Rate]] = [
        ("default", who.key, s.rate_limit_default),
        ("generate", who.key, generate),
        *((route, who.key, rate) for route, rate in sorted(s.rate_limit_routes.items())),
    ]
    if who.self_declared and s.rate_limit_generate_client is not None:
        wanted.append(("generate-client", "ip:" + who.client, s.rate_limit_generate_client))
    budgets = []
    for bucket, key, rate in wanted:
        d = await c.limiter.peek(bucket, key, rate)
        budgets.append(
            {
                "bucket": bucket,
                "limit": rate.limit,
                "window_s": rate.window_s,
                "remaining": d.remaining,
                "reset_s": round(d.reset_s, 3),
            }
        )
    return {
        "identity": who.key,
        "plan": who.plan,
        "client": who.client,
        "enabled": s.rate_limit_enabled,
        "exempt_routes": sorted(s.rate_limit_exempt),
        "budgets": budgets,
    }
