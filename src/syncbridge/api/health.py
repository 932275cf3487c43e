"""Liveness, readiness and the Prometheus scrape endpoint (no authentication, no org rate limit)."""

from __future__ import annotations

from typing import Any

import redis as redis_lib
import sqlalchemy as sa
from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from syncbridge.api.deps import ServicesDep
from syncbridge.api.envelope import ERROR_RESPONSES, SuccessEnvelope, failure, ok
from syncbridge.api.metrics import ApiMetrics

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=SuccessEnvelope, summary="The process is up")
async def healthz(request: Request) -> JSONResponse:
    return ok(request, {"status": "ok"})


def _checks(services: ServicesDep) -> dict[str, str]:
    checks: dict[str, str] = {}
    try:
        with services.engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        checks["database"] = "ok"
    except sa.exc.SQLAlchemyError as exc:
        checks["database"] = f"unavailable ({type(exc).__name__})"
    if services.redis is not None:
        try:
            services.redis.ping()
            checks["redis"] = "ok"
        except redis_lib.RedisError as exc:
            checks["redis"] = f"unavailable ({type(exc).__name__})"
    return checks


@router.get(
    "/readyz",
    response_model=SuccessEnvelope,
    responses={503: ERROR_RESPONSES[503]},
    summary="The database (and Redis, when configured) answer",
)
async def readyz(request: Request, services: ServicesDep) -> JSONResponse:
    checks = await run_in_threadpool(_checks, services)
    if all(v == "ok" for v in checks.values()):
        return ok(request, {"status": "ready", "checks": checks})
    details: dict[str, Any] = {"code": "not_ready", "checks": checks}
    return failure(request, 503, "not ready: a dependency is unavailable", details=details)


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE_LATEST: {}}, "description": "Prometheus text format"}},
)
async def metrics(request: Request) -> Response:
    registry = request.app.state.metrics
    assert isinstance(registry, ApiMetrics)
    body = await run_in_threadpool(generate_latest, registry.registry)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
