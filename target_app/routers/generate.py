"""Generation routes: simulated LLM calls through the breaker, then a short write (no session held
across the LLM wait)."""

from __future__ import annotations

import time
import uuid
import zlib
from typing import Any, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field
from sqlalchemy import insert

from target_app.context import ctx, current_user
from target_app.llm import fake_text
from target_app.models import Content, Usage, utcnow
from target_app.schemas import STRICT, Keyword, Str
from target_app.seed import AUTHORS

router = APIRouter(tags=["generation"])


class ContentGenerateRequest(BaseModel):
    model_config = STRICT
    topic: Str(200, 3)
    keywords: list[Keyword] = Field(default_factory=list, max_length=10)
    tone: Literal["professional", "casual", "friendly", "authoritative"] = "professional"
    content_type: Literal["blog", "article", "social"] = "blog"
    word_count: int = Field(300, ge=50, le=2000)


class LinkedInPostRequest(BaseModel):
    """ALwrity's LinkedIn post request shape."""

    model_config = STRICT
    topic: Str(200, 3)
    industry: Str(100, 2)
    post_type: Literal[
        "professional", "thought_leadership", "industry_news", "personal_story", "company_update", "poll"
    ] = "professional"
    tone: Literal[
        "professional", "conversational", "authoritative", "inspirational", "educational", "friendly"
    ] = "professional"
    target_audience: Str(200) | None = None
    key_points: list[Str(300)] | None = Field(None, max_length=10)
    include_hashtags: bool = True
    include_call_to_action: bool = True
    research_enabled: bool = True
    search_engine: Literal["google", "exa", "tavily"] = "google"
    max_length: int = Field(3000, ge=100, le=3000)


def _author_for(user: str) -> int:
    return zlib.crc32(user.encode()) % AUTHORS + 1


async def _record(
    request: Request, user: str, route: str, tokens: int, content: dict[str, Any] | None
) -> int | None:
    c = ctx(request)
    async with c.db.session() as s:
        new_id = None
        if content is not None:
            new_id = (await s.execute(insert(Content).values(**content).returning(Content.id))).scalar_one()
        await s.execute(insert(Usage).values(user_id=user, route=route, tokens=tokens, created_at=utcnow()))
        await s.commit()
        return new_id


@router.post("/api/content/generate", status_code=201)
async def generate_content(body: ContentGenerateRequest, request: Request) -> dict[str, Any]:
    c = ctx(request)
    user = current_user(request)
    prompt = f"{body.content_type}|{body.tone}|{body.topic}|{','.join(body.keywords)}"
    text = await c.llm.complete("generate", prompt, words=min(body.word_count, 400))
    title = body.topic.strip().title()
    now = utcnow()
    row = {
        "author_id": _author_for(user),
        "title": title[:200],
        "body": text,
        "status": "draft",
        "quality_score": 70.0,
        "url": f"https://alwrity.example/generated/{uuid.uuid4().hex}",
        "created_at": now,
    }
    tokens = len(text.split()) * 4 // 3
    new_id = await _record(request, user, "/api/content/generate", tokens, row)
    return {
        "id": new_id,
        "title": title,
        "content": text,
        "word_count": len(text.split()),
        "tokens": tokens,
        "status": "draft",
        "created_at": now.isoformat(),
    }


@router.post("/api/linkedin/generate-post")
async def generate_linkedin_post(body: LinkedInPostRequest, request: Request) -> dict[str, Any]:
    c = ctx(request)
    user = current_user(request)
    start = time.perf_counter()
    prompt = f"linkedin|{body.post_type}|{body.tone}|{body.industry}|{body.topic}|{body.key_points}"
    text = (await c.llm.complete("linkedin", prompt, words=80))[: body.max_length]
    took = time.perf_counter() - start
    hashtags = (
        [
            {"hashtag": "#" + w.capitalize(), "category": "industry", "popularity_score": 0.5 + 0.05 * i}
            for i, w in enumerate(fake_text(body.topic, 3).rstrip(".").split())
        ]
        if body.include_hashtags
        else []
    )
    cta = "What do you think? Share your view in the comments." if body.include_call_to_action else None
    await _record(request, user, "/api/linkedin/generate-post", len(text.split()) * 4 // 3, None)
    return {
        "success": True,
        "data": {
            "content": text,
            "character_count": len(text),
            "hashtags": hashtags,
            "call_to_action": cta,
            "engagement_prediction": {"estimated_reactions": 40 + len(text) % 60, "estimated_comments": 5},
        },
        "research_sources": [
            {
                "title": f"{body.industry} report",
                "url": f"https://research.example/{zlib.crc32(body.topic.encode())}",
                "relevance_score": 0.8,
            }
        ]
        if body.research_enabled
        else [],
        "generation_metadata": {
            "model_used": "simulated-llm",
            "generation_time": round(took, 3),
            "research_time": 0.0,
            "grounding_enabled": body.research_enabled,
        },
        "error": None,
    }


class BlogOutlineSection(BaseModel):
    """ALwrity's outline section shape (references left out)."""

    model_config = STRICT
    id: Str(64, 1)
    heading: Str(200, 1)
    subheadings: list[Str(200)] = Field(default_factory=list, max_length=10)
    key_points: list[Str(300)] = Field(default_factory=list, max_length=10)
    target_words: int | None = Field(None, ge=50, le=2000)
    keywords: list[Keyword] = Field(default_factory=list, max_length=10)


class BlogSectionRequest(BaseModel):
    """ALwrity's ``BlogSectionRequest`` (persona left out)."""

    model_config = STRICT
    section: BlogOutlineSection
    keywords: list[Keyword] = Field(default_factory=list, max_length=10)
    tone: Str(50) | None = None
    mode: Literal["draft", "polished"] = "polished"


@router.post("/api/blog/section/generate")
async def generate_blog_section(body: BlogSectionRequest, request: Request) -> dict[str, Any]:
    """One section of a blog post as Markdown (an LLM call through the breaker), with citations."""
    c = ctx(request)
    user = current_user(request)
    sec = body.section
    words = min(sec.target_words or 300, 400)
    keywords = [*sec.keywords, *body.keywords]
    prompt = f"section|{body.mode}|{body.tone}|{sec.heading}|{','.join(sec.key_points)}|{','.join(keywords)}"
    text = await c.llm.complete("generate", prompt, words=words)
    parts = [f"## {sec.heading}", "", text]
    for sub in sec.subheadings:
        parts += ["", f"### {sub}", "", fake_text(sub, 30)]
    tokens = len(text.split()) * 4 // 3
    await _record(request, user, "/api/blog/section/generate", tokens, None)
    return {
        "success": True,
        "markdown": "\n".join(parts),
        "citations": [
            {"title": f"Source on {k}", "url": f"https://research.example/{zlib.crc32(k.encode())}"}
            for k in keywords[:5]
        ],
        "continuity_metrics": {"flow": 0.8, "consistency": 0.85, "progression": 0.75},
    }
