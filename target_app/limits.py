"""Limits on what a request may carry: the body size (counted while it streams in), and a validation
error answer that cannot fail whatever the input held (lone surrogates, NaN, huge values).

``MAX_BODY_BYTES`` is checked twice: a ``Content-Length`` over the limit is answered 413 before the
body is read; a body without one (chunked) is counted as it arrives, and the read that crosses the
limit raises ``BodyTooLarge`` (an HTTPException, so FastAPI's body parsing answers 413; anything else
that reads the body is answered 413 here, unless it already started its response).
"""

from __future__ import annotations

import math
from typing import Any

from fastapi import HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse


class BodyTooLarge(HTTPException):
    def __init__(self, limit: int) -> None:
        super().__init__(413, detail=f"request body larger than {limit} bytes (MAX_BODY_BYTES)")


class BodyLimitMiddleware:
    def __init__(self, app: Any, max_body_bytes: int) -> None:
        self.app = app
        self.limit = max_body_bytes

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit
        chunked = False
        for name, value in scope["headers"]:
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = -1
                if declared > limit:
                    await _too_large(limit, scope, receive, send)
                    return
                if declared >= 0:  # the server never delivers more than the declared length
                    await self.app(scope, receive, send)
                    return
            elif name == b"transfer-encoding":
                chunked = True
        if not chunked:  # neither header: HTTP/1.1 framing says there is no body (a plain GET)
            await self.app(scope, receive, send)
            return
        received = 0
        started = False

        async def counting_receive() -> dict:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        async def tracking_send(message: dict) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge:
            if started:
                raise
            await _too_large(limit, scope, receive, send)


async def _too_large(limit: int, scope: dict, receive: Any, send: Any) -> None:
    exc = BodyTooLarge(limit)
    response = JSONResponse({"detail": exc.detail}, 413, headers={"Connection": "close"})
    await response(scope, receive, send)


def _safe(value: Any) -> Any:
    """A JSON-safe, short rendering of a value taken from the request (for error messages)."""
    if isinstance(value, str):
        value = value[:200]
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return value if abs(value) < 2**63 else str(value)[:40]
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    return _safe(repr(value))


async def validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
    """422 with ``detail[].loc/msg/type`` (and the offending input, made safe); never raises."""
    detail = []
    for err in exc.errors()[:50]:
        item = {
            "loc": [_safe(part) for part in err.get("loc", ())],
            "msg": _safe(str(err.get("msg", ""))),
            "type": _safe(str(err.get("type", ""))),
        }
        if "input" in err and not isinstance(err["input"], dict | list):
            item["input"] = _safe(err["input"])
        detail.append(item)
    return JSONResponse({"detail": detail}, 422)
