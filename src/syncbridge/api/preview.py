"""Preview routes: what a sync would do, a forced refresh, and the selective settings per entity.

The success envelope's ``data`` is exactly the preview service's answer; ``Cache-Control`` tells the remaining
life of the cached preview (``max-age`` counts down to ``expiresAt``).
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from syncbridge.api.deps import API_PREFIX, PrincipalDep, ServicesDep
from syncbridge.api.envelope import ERROR_RESPONSES, SuccessEnvelope, ok
from syncbridge.domain.records import ENTITY_ORDER, EntityType, System
from syncbridge.errors import ValidationError

router = APIRouter(prefix=API_PREFIX, tags=["preview"])

SyncType = Literal["woocommerce", "odoo"]
PreviewDirection = Literal["inbound", "outbound"]


class SelectivePatch(BaseModel):
    """Which kinds of change a run applies for an entity; a field left out keeps its current value."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    include_new: bool | None = Field(default=None, alias="includeNew")
    include_updated: bool | None = Field(default=None, alias="includeUpdated")
    include_deleted: bool | None = Field(default=None, alias="includeDeleted")


def cache_control(data: dict[str, Any], now: datetime) -> str:
    """``private, max-age=<seconds until expiresAt>``; ``no-store`` when the answer says no expiry."""
    expires = data.get("expiresAt")
    if not isinstance(expires, str):
        return "no-store"
    try:
        when = datetime.fromisoformat(expires.replace("Z", "+00:00"))
    except ValueError:
        return "no-store"
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return f"private, max-age={max(0, math.floor((when - now).total_seconds()))}"


def _preview(
    request: Request,
    services: ServicesDep,
    org_id: str,
    sync_type: SyncType,
    entity_type: EntityType,
    *,
    direction: PreviewDirection,
    refresh: bool,
    page: int,
    page_size: int,
) -> JSONResponse:
    data = services.preview.preview(
        org_id,
        System(sync_type),
        entity_type,
        direction=direction,
        refresh=refresh,
        page=page,
        page_size=page_size,
    )
    return ok(request, data, headers={"Cache-Control": cache_control(data, datetime.now(UTC))})


Page = Annotated[int, Query(ge=1, le=100_000)]
PageSize = Annotated[int, Query(ge=1, le=500)]


@router.get(
    "/sync/preview",
    response_model=SuccessEnvelope,
    responses=ERROR_RESPONSES,
    summary="New / updated / deleted records a sync would apply (cached)",
)
def get_preview(
    request: Request,
    principal: PrincipalDep,
    services: ServicesDep,
    sync_type: Annotated[SyncType, Query()],
    entity_type: Annotated[EntityType, Query()],
    direction: Annotated[PreviewDirection, Query()] = "inbound",
    page: Page = 1,
    page_size: PageSize = 50,
) -> JSONResponse:
    return _preview(
        request,
        services,
        principal.org_id,
        sync_type,
        entity_type,
        direction=direction,
        refresh=False,
        page=page,
        page_size=page_size,
    )


def _selective_view(services: ServicesDep, org_id: str, entity: EntityType) -> dict[str, Any]:
    return {"entityType": entity.value, **services.preview.get_selective(org_id, entity).to_json()}


def _missing(field: str, why: str) -> ValidationError:
    return ValidationError(f"invalid input: {field}: {why}", details={"errors": [{"field": field, "message": why}]})


@router.post(
    "/sync/preview",
    response_model=SuccessEnvelope,
    responses=ERROR_RESPONSES,
    summary="action=fetch recomputes the preview; action=select saves the selective settings of an entity",
)
def post_preview(
    request: Request,
    principal: PrincipalDep,
    services: ServicesDep,
    action: Annotated[Literal["fetch", "select"], Query()],
    entity_type: Annotated[EntityType, Query()],
    sync_type: Annotated[SyncType | None, Query()] = None,
    direction: Annotated[PreviewDirection, Query()] = "inbound",
    page: Page = 1,
    page_size: PageSize = 50,
    body: Annotated[SelectivePatch | None, Body()] = None,
) -> JSONResponse:
    org_id = principal.org_id
    if action == "fetch":
        if sync_type is None:
            raise _missing("query.sync_type", "required for action=fetch")
        return _preview(
            request,
            services,
            org_id,
            sync_type,
            entity_type,
            direction=direction,
            refresh=True,
            page=page,
            page_size=page_size,
        )
    if body is None:
        raise _missing("body", "action=select needs includeNew, includeUpdated and/or includeDeleted")
    current = services.preview.get_selective(org_id, entity_type)
    services.preview.set_selective(
        org_id,
        entity_type,
        include_new=current.include_new if body.include_new is None else body.include_new,
        include_updated=current.include_updated if body.include_updated is None else body.include_updated,
        include_deleted=current.include_deleted if body.include_deleted is None else body.include_deleted,
    )
    return ok(request, _selective_view(services, org_id, entity_type))


@router.get(
    "/settings/selective",
    response_model=SuccessEnvelope,
    responses=ERROR_RESPONSES,
    tags=["settings"],
    summary="The selective settings of every entity",
)
def get_selective(request: Request, principal: PrincipalDep, services: ServicesDep) -> JSONResponse:
    data = {e.value: _selective_view(services, principal.org_id, e) for e in ENTITY_ORDER}
    return ok(request, data)
