"""Content reads: one item (cache-aside per user) and keyset-paginated lists."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from sqlalchemy import and_, or_, select

from target_app.context import AppContext, ctx, current_user
from target_app.models import Content, SeoAnalysis
from target_app.schemas import DB_INT_MAX, DbId

router = APIRouter(prefix="/api/content", tags=["content"])
Status = Literal["draft", "published", "archived"]


def content_dict(row: Content, seo: SeoAnalysis | None) -> dict[str, Any]:
    return {
        "id": row.id,
        "title": row.title,
        "body": row.body,
        "status": row.status,
        "quality_score": row.quality_score,
        "url": row.url,
        "created_at": row.created_at.isoformat(),
        "author": {"id": row.author.id, "name": row.author.name, "plan": row.author.plan},
        "tags": [t.name for t in row.tags],
        "seo": None
        if seo is None
        else {"score": seo.score, "readability": seo.readability, "issues": seo.issues},
    }


async def load_content(c: AppContext, content_id: int) -> dict[str, Any] | None:
    q = (
        select(Content, SeoAnalysis)
        .outerjoin(SeoAnalysis, SeoAnalysis.url == Content.url)
        .where(Content.id == content_id)
    )  # author joined, SEO outer-joined, tags by one SELECT ... IN: two queries in all
    async with c.db.session(read_only=True) as s:
        found = (await s.execute(q)).unique().first()
    return None if found is None else content_dict(found[0], found[1])


@router.get("/{id}", response_class=Response)
async def get_content(id: DbId, request: Request) -> Response:
    """Content with author, tags and SEO analysis; the cached JSON text is sent as is."""
    c = ctx(request)
    user = current_user(request)
    raw = await c.cache.get_or_load_raw("content", f"content:{user}:{id}", lambda: load_content(c, id))
    if raw == b"null":  # "not found" is cached too
        raise HTTPException(404, detail=f"content {id} not found")
    return Response(raw, media_type="application/json")


def _encode_cursor(created_at: datetime, content_id: int) -> str:
    raw = json.dumps([created_at.isoformat(), content_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[datetime, int]:
    """(created_at as naive UTC, like the column; content id in the column's range)."""
    try:
        created, cid = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        at, cid = datetime.fromisoformat(created), int(cid)
        if at.tzinfo is not None:
            at = at.astimezone(UTC).replace(tzinfo=None)
        if not -DB_INT_MAX <= cid <= DB_INT_MAX:
            raise ValueError("cursor id out of range")
        return at, cid
    except (ValueError, TypeError, OverflowError):
        raise RequestValidationError(
            [{"loc": ("query", "cursor"), "msg": "invalid cursor", "type": "value_error", "input": cursor}]
        ) from None


@router.get("")
async def list_content(
    request: Request,
    author_id: int | None = Query(None, ge=1, le=DB_INT_MAX),
    status: Status | None = None,
    cursor: str | None = Query(None, max_length=200),
    limit: int = Query(20, ge=1, le=100),
) -> dict[str, Any]:
    c = ctx(request)
    q = select(
        Content.id,
        Content.title,
        Content.status,
        Content.quality_score,
        Content.created_at,
        Content.author_id,
    )
    if author_id is not None:
        q = q.where(Content.author_id == author_id)
    if status is not None:
        q = q.where(Content.status == status)
    if cursor:
        at, cid = _decode_cursor(cursor)
        q = q.where(or_(Content.created_at < at, and_(Content.created_at == at, Content.id < cid)))
    q = q.order_by(Content.created_at.desc(), Content.id.desc()).limit(limit + 1)
    async with c.db.session(read_only=True) as s:
        rows = (await s.execute(q)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    items = [
        {
            "id": r.id,
            "title": r.title,
            "status": r.status,
            "quality_score": r.quality_score,
            "created_at": r.created_at.isoformat(),
            "author_id": r.author_id,
        }
        for r in rows
    ]
    next_cursor = _encode_cursor(rows[-1].created_at, rows[-1].id) if more and rows else None
    return {"items": items, "next_cursor": next_cursor, "limit": limit}
