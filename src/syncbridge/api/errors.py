"""The one mapping from errors to HTTP answers.

``SyncError`` subclasses answer with their class's ``http_status``; a rate limit carries ``Retry-After``.
Invalid input answers 400 naming each field and why. Anything unexpected answers 500 with a request id and
nothing else: the traceback goes to the log, never to the caller.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from syncbridge.api.envelope import failure, request_id_of
from syncbridge.errors import SyncError

log = logging.getLogger("syncbridge.api")

# Details that may hold driver text, SQL or hostnames: kept in the log, never sent.
_PRIVATE_DETAILS = frozenset({"db", "sql", "traceback", "url"})
_TAG_ERRORS = frozenset({"union_tag_invalid", "union_tag_not_found"})


def _field(loc: Sequence[Any]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in {"body", "query", "path", "header"}:
        where, rest = parts[0], parts[1:]
        return f"{where}.{'.'.join(rest)}" if rest else where
    return ".".join(parts) or "request"


def _loc(error: Mapping[str, Any]) -> list[Any]:
    loc = list(error.get("loc", ()))
    if error.get("type") in _TAG_ERRORS:  # a bad or missing tag of a tagged union: name the tag field
        loc.append(str((error.get("ctx") or {}).get("discriminator", "type")).strip("'\""))
    return loc


def validation_problems(errors: Sequence[Any]) -> list[dict[str, str]]:
    """``[{"field": "body.start.systems.0", "message": "Input should be 'woocommerce' or 'odoo'"}]``."""
    return [{"field": _field(_loc(e)), "message": str(e.get("msg", "invalid"))} for e in errors]


def sync_error_response(request: Request, exc: SyncError) -> JSONResponse:
    status = exc.http_status
    headers: dict[str, str] = {}
    if exc.retry_after is not None and math.isfinite(exc.retry_after) and status in {429, 503}:
        headers["Retry-After"] = str(max(1, math.ceil(exc.retry_after)))
    if status >= 500:
        if status == 500:
            log.error("request %s failed: %r %s", request_id_of(request), exc, exc.details)
            return failure(request, 500, "internal error", details={"code": "internal_error"}, headers=headers)
        return failure(request, status, exc.message, details={"code": exc.code}, headers=headers)
    details = {k: v for k, v in exc.details.items() if k not in _PRIVATE_DETAILS}
    return failure(request, status, exc.message, details={**details, "code": exc.code}, headers=headers)


async def _on_sync_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, SyncError)
    return sync_error_response(request, exc)


async def _on_validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = validation_problems(exc.errors())
    summary = "; ".join(f"{p['field']}: {p['message']}" for p in problems[:5])
    return failure(request, 400, f"invalid input: {summary}", details={"code": "validation_error", "errors": problems})


async def _on_http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    message = exc.detail if isinstance(exc.detail, str) else "request refused"
    return failure(request, exc.status_code, message, details={"code": f"http_{exc.status_code}"}, headers=exc.headers)


async def _on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("request %s failed", request_id_of(request), exc_info=exc)
    return failure(request, 500, "internal error", details={"code": "internal_error"})


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(SyncError, _on_sync_error)
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(StarletteHTTPException, _on_http)
    app.add_exception_handler(Exception, _on_unexpected)
