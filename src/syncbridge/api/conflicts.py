"""Conflict read routes (the web UI's): list with filters, stats, one conflict side by side."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from syncbridge.api.deps import API_PREFIX, PrincipalDep, ServicesDep
from syncbridge.api.envelope import ERROR_RESPONSES, SuccessEnvelope, ok
from syncbridge.domain.records import EntityType

router = APIRouter(prefix=API_PREFIX, tags=["conflicts"])


@router.get("/conflicts", response_model=SuccessEnvelope, responses=ERROR_RESPONSES, summary="Conflicts")
def list_conflicts(
    request: Request,
    principal: PrincipalDep,
    services: ServicesDep,
    conflict_type: Annotated[str | None, Query(alias="type", max_length=30)] = None,
    entity: Annotated[EntityType | None, Query()] = None,
    status: Annotated[str | None, Query(max_length=20)] = None,
    run_id: Annotated[str | None, Query(alias="runId", max_length=64)] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    page_size: Annotated[int, Query(alias="pageSize", ge=1, le=200)] = 50,
) -> JSONResponse:
    data = services.conflicts.list(
        principal.org_id,
        run_id=run_id,
        conflict_type=conflict_type,
        entity=entity.value if entity else None,
        status=status,
        page=page,
        page_size=page_size,
    )
    return ok(request, data)


@router.get("/conflicts/stats", response_model=SuccessEnvelope, responses=ERROR_RESPONSES, summary="Conflict counts")
def conflict_stats(request: Request, principal: PrincipalDep, services: ServicesDep) -> JSONResponse:
    return ok(request, services.conflicts.stats(principal.org_id))


@router.get(
    "/conflicts/{conflict_id}",
    response_model=SuccessEnvelope,
    responses=ERROR_RESPONSES,
    summary="One conflict: both versions and the field diff",
)
def get_conflict(request: Request, principal: PrincipalDep, services: ServicesDep, conflict_id: str) -> JSONResponse:
    return ok(request, services.conflicts.get(principal.org_id, conflict_id))
