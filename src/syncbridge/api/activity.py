"""The activity feed and its histogram (for the web UI's chart)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from syncbridge.api.deps import API_PREFIX, PrincipalDep, ServicesDep
from syncbridge.api.envelope import ERROR_RESPONSES, SuccessEnvelope, ok
from syncbridge.store.activity import ActivityRow, activity_histogram, list_activity
from syncbridge.store.session import transaction

router = APIRouter(prefix=API_PREFIX, tags=["activity"])


def _entry(row: ActivityRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "kind": row.kind,
        "message": row.message,
        "createdAt": row.created_at.isoformat(),
        "runId": row.run_id,
        "entity": row.entity,
        "system": row.system,
        "counts": dict(row.counts),
        "durationMs": row.duration_ms,
    }


def _activity(
    services: ServicesDep,
    org_id: str,
    *,
    run_id: str | None,
    kind: str | None,
    limit: int,
    before: datetime | None,
    bucket_s: int,
    since: datetime,
) -> dict[str, Any]:
    with transaction(services.engine) as conn:
        rows = list_activity(conn, org_id, run_id=run_id, kind=kind, limit=limit, before=before)
        buckets = activity_histogram(conn, org_id, bucket_s=bucket_s, since=since)
    return {
        "items": [_entry(r) for r in rows],
        "histogram": {
            "bucketSeconds": bucket_s,
            "since": since.isoformat(),
            "buckets": [{"start": b.start.isoformat(), "kind": b.kind, "count": b.count} for b in buckets],
        },
    }


@router.get("/activity", response_model=SuccessEnvelope, responses=ERROR_RESPONSES, summary="Activity log")
async def get_activity(
    request: Request,
    principal: PrincipalDep,
    services: ServicesDep,
    run_id: Annotated[str | None, Query(alias="runId", max_length=64)] = None,
    kind: Annotated[str | None, Query(max_length=40)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    before: Annotated[datetime | None, Query(description="page back: createdAt of the last entry seen")] = None,
    bucket_seconds: Annotated[int, Query(alias="bucketSeconds", ge=60, le=86_400)] = 3600,
    since_hours: Annotated[int, Query(alias="sinceHours", ge=1, le=24 * 90)] = 24,
) -> JSONResponse:
    if before is not None and before.tzinfo is None:
        before = before.replace(tzinfo=UTC)
    since = datetime.now(UTC) - timedelta(hours=since_hours)
    data = await run_in_threadpool(
        _activity,
        services,
        principal.org_id,
        run_id=run_id,
        kind=kind,
        limit=limit,
        before=before,
        bucket_s=bucket_seconds,
        since=since,
    )
    return ok(request, data)
