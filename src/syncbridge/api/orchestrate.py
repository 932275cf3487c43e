"""``POST /sync/orchestrate`` (one endpoint, an ``action`` per body) and the run read routes.

Routes are thin: validate the body, call the orchestration or conflict service, wrap the answer.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from syncbridge.api.deps import API_PREFIX, PrincipalDep, ServicesDep
from syncbridge.api.envelope import ERROR_RESPONSES, SuccessEnvelope, ok
from syncbridge.domain.plan import Direction
from syncbridge.domain.records import EntityType, System

router = APIRouter(prefix=API_PREFIX, tags=["orchestration"])

RunId = Annotated[str, Field(alias="runId", min_length=1, max_length=64)]
ExternalSystem = Literal["woocommerce", "odoo"]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class SelectiveBody(_Body):
    include_new: bool = Field(default=True, alias="includeNew")
    include_updated: bool = Field(default=True, alias="includeUpdated")
    include_deleted: bool = Field(default=False, alias="includeDeleted")


class SyncConfig(_Body):
    batch_size: int | None = Field(default=None, alias="batchSize", ge=1, le=1000)
    batch_delay_ms: int | None = Field(default=None, alias="batchDelayMs", ge=0, le=600_000)
    max_retries: int | None = Field(default=None, alias="maxRetries", ge=0, le=20)
    dry_run: bool | None = Field(default=None, alias="dryRun")
    selective: dict[EntityType, SelectiveBody] | None = None


class StartAction(_Body):
    action: Literal["start"]
    systems: list[ExternalSystem] = Field(min_length=1, max_length=2)
    entity_types: list[EntityType] = Field(alias="entityTypes", min_length=1, max_length=5)
    direction: Direction = Direction.TWO_WAY
    sync_config: SyncConfig = Field(default_factory=SyncConfig, alias="syncConfig")


class RunAction(_Body):
    action: Literal["status", "pause", "resume", "cancel"]
    run_id: RunId


class ConflictsAction(_Body):
    action: Literal["conflicts"]
    run_id: str | None = Field(default=None, alias="runId", max_length=64)
    type: str | None = Field(default=None, max_length=30)
    entity: EntityType | None = None
    status: str | None = Field(default=None, max_length=20)
    page: int = Field(default=1, ge=1, le=100_000)
    page_size: int = Field(default=50, alias="pageSize", ge=1, le=200)


class ResolveAction(_Body):
    action: Literal["resolve"]
    conflict_id: str = Field(alias="conflictId", min_length=1, max_length=64)
    resolution: str = Field(min_length=1, max_length=30, examples=["keep_hub", "take_source", "skip"])
    values: dict[str, Any] | None = None
    link_to: str | None = Field(default=None, alias="linkTo", max_length=100)


OrchestrateRequest = Annotated[StartAction | RunAction | ConflictsAction | ResolveAction, Field(discriminator="action")]

_RESPONSES: dict[int | str, dict[str, Any]] = {
    **ERROR_RESPONSES,
    201: {"model": SuccessEnvelope, "description": "Run started: the run view"},
    409: {**ERROR_RESPONSES[400], "description": "Illegal state change or concurrency limit"},
}


def _start(services: ServicesDep, org_id: str, body: StartAction) -> dict[str, Any]:
    from syncbridge.services.orchestration import RunSettings

    config = body.sync_config.model_dump(by_alias=True, exclude_none=True, mode="json")
    return services.orchestration.start(
        org_id,
        systems=[System(s) for s in body.systems],
        entities=list(body.entity_types),
        direction=body.direction,
        settings=RunSettings.from_json(config),
    )


def _run_action(services: ServicesDep, org_id: str, body: RunAction) -> dict[str, Any]:
    orchestration = services.orchestration
    handlers = {
        "status": orchestration.status,
        "pause": orchestration.pause,
        "resume": orchestration.resume,
        "cancel": orchestration.cancel,
    }
    return handlers[body.action](org_id, body.run_id)


@router.post(
    "/sync/orchestrate",
    response_model=SuccessEnvelope,
    responses=_RESPONSES,
    summary="Start, inspect, pause, resume or cancel a run; list or resolve conflicts",
)
def orchestrate(
    request: Request,
    principal: PrincipalDep,
    services: ServicesDep,
    body: Annotated[OrchestrateRequest, Body()],
) -> JSONResponse:
    org_id = principal.org_id
    if isinstance(body, StartAction):
        return ok(request, _start(services, org_id, body), status_code=201)
    if isinstance(body, RunAction):
        return ok(request, _run_action(services, org_id, body))
    if isinstance(body, ConflictsAction):
        data = services.conflicts.list(
            org_id,
            run_id=body.run_id,
            conflict_type=body.type,
            entity=body.entity.value if body.entity else None,
            status=body.status,
            page=body.page,
            page_size=body.page_size,
        )
        return ok(request, data)
    data = services.conflicts.resolve(
        org_id,
        body.conflict_id,
        resolution=body.resolution,
        values=body.values,
        link_to=body.link_to,
        resolved_by=principal.subject,
    )
    return ok(request, data)


@router.get("/sync/runs", response_model=SuccessEnvelope, responses=ERROR_RESPONSES, summary="Recent runs")
def list_runs(
    request: Request,
    principal: PrincipalDep,
    services: ServicesDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> JSONResponse:
    return ok(request, services.orchestration.list_runs(principal.org_id, limit=limit))


@router.get("/sync/runs/{run_id}", response_model=SuccessEnvelope, responses=ERROR_RESPONSES, summary="One run's view")
def get_run(request: Request, principal: PrincipalDep, services: ServicesDep, run_id: str) -> JSONResponse:
    return ok(request, services.orchestration.status(principal.org_id, run_id))
