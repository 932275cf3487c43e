"""Success and failure envelopes, the request id and the processing time.

Success: ``{"success": true, "data": ..., "meta": {"timestamp", "requestId", "processingTime"}}``.
Failure: ``{"success": false, "error": "human-readable message", "details": {"requestId", ...}}``.

``RequestContextMiddleware`` (plain ASGI) gives every request an id (a sane incoming ``X-Request-Id`` is kept,
else a new one) and a start time, and echoes the id in the ``X-Request-Id`` response header.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.types import ASGIApp, Message, Receive, Scope, Send

_SANE_ID = re.compile(r"^[A-Za-z0-9._-]{1,100}$")


class Meta(BaseModel):
    timestamp: str
    request_id: str = Field(alias="requestId")
    processing_time: str = Field(alias="processingTime", description="milliseconds, e.g. '12.3ms'")


class SuccessEnvelope(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    success: bool = True
    data: Any = None
    meta: Meta


class ErrorEnvelope(BaseModel):
    success: bool = False
    error: str
    details: dict[str, Any]


# The error answers every authenticated route may give, for the OpenAPI document.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorEnvelope, "description": "Invalid input: which field and why"},
    401: {"model": ErrorEnvelope, "description": "Missing or bad credentials"},
    404: {"model": ErrorEnvelope, "description": "Unknown (or another organization's) resource"},
    429: {"model": ErrorEnvelope, "description": "Rate limited; see Retry-After"},
    500: {"model": ErrorEnvelope, "description": "Internal error (no internals are shown)"},
    503: {"model": ErrorEnvelope, "description": "A dependency is unavailable; try again"},
}


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = next((v.decode("latin-1") for k, v in scope["headers"] if k == b"x-request-id"), "")
        request_id = incoming if _SANE_ID.match(incoming) else uuid.uuid4().hex
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        state["started"] = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode("latin-1")))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_id)


def request_id_of(request: Request) -> str:
    value = getattr(request.state, "request_id", None)
    return value if isinstance(value, str) else uuid.uuid4().hex


def _elapsed_ms(request: Request) -> float:
    started = getattr(request.state, "started", None)
    return (time.perf_counter() - started) * 1000 if isinstance(started, float) else 0.0


def success_body(request: Request, data: Any) -> dict[str, Any]:
    return {
        "success": True,
        "data": data,
        "meta": {
            "timestamp": datetime.now(UTC).isoformat(),
            "requestId": request_id_of(request),
            "processingTime": f"{_elapsed_ms(request):.1f}ms",
        },
    }


def ok(request: Request, data: Any, *, status_code: int = 200, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(success_body(request, data), status_code=status_code, headers=headers)


def failure(
    request: Request,
    status_code: int,
    message: str,
    *,
    details: dict[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    body = {
        "success": False,
        "error": message,
        "details": {**(details or {}), "requestId": request_id_of(request)},
    }
    return JSONResponse(body, status_code=status_code, headers=headers)
