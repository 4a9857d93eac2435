"""Admin: cache invalidation by key prefix (SCAN + UNLINK in Redis), guarded by ADMIN_TOKEN."""

from __future__ import annotations

import hmac

from fastapi import APIRouter, Header, HTTPException, Request
from pydantic import BaseModel, Field

from target_app.context import ctx
from target_app.redis_client import REDIS_ERRORS

router = APIRouter(prefix="/api/admin", tags=["admin"])


class InvalidateRequest(BaseModel):
    prefix: str = Field(pattern=r"^[A-Za-z0-9:_\-./]*$", max_length=100)


@router.post("/cache/invalidate")
async def invalidate(
    body: InvalidateRequest, request: Request, x_admin_token: str | None = Header(None)
) -> dict[str, object]:
    c = ctx(request)
    expected = c.settings.admin_token
    if expected is None:
        raise HTTPException(403, detail="admin routes are disabled (ADMIN_TOKEN is not set)")
    if x_admin_token is None or not hmac.compare_digest(x_admin_token.encode(), expected.encode()):
        raise HTTPException(403, detail="invalid admin token")
    try:
        deleted = await c.cache.invalidate_prefix(body.prefix)
    except REDIS_ERRORS:
        raise HTTPException(503, detail="cache backend unavailable", headers={"Retry-After": "1"}) from None
    return {"prefix": body.prefix, "deleted": deleted}
