"""Sync runs as a service: start, status, pause, resume, cancel, list, and coalesced incremental syncs."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Engine

from syncbridge.config import Settings
from syncbridge.domain.plan import Direction, Selective
from syncbridge.domain.records import EXTERNAL_SYSTEMS, EntityType, System
from syncbridge.domain.states import ACTIVE_RUN_STATUSES, RunStatus
from syncbridge.engine import lifecycle
from syncbridge.engine.stages import stages_for
from syncbridge.errors import ConcurrencyLimitError, ValidationError
from syncbridge.store import batches as batch_repo
from syncbridge.store import runs as run_repo
from syncbridge.store.session import transaction

MAX_EXTERNAL_BATCH = 100  # WooCommerce's batch endpoints take 100 items at most


@dataclass(frozen=True)
class RunSettings:
    batch_size: int = 100
    batch_delay_ms: int = 0
    max_retries: int = 5
    dry_run: bool = False
    selective: dict[str, Selective] | None = None
    only_ids: dict[str, list[str]] | None = None  # system -> external ids (a webhook / change-feed run)
    label: str = field(default="")

    def __post_init__(self) -> None:
        if not 1 <= self.batch_size <= MAX_EXTERNAL_BATCH:
            raise ValidationError(
                f"batchSize must be between 1 and {MAX_EXTERNAL_BATCH}", details={"field": "batchSize"}
            )
        if not 0 <= self.batch_delay_ms <= 600_000:
            raise ValidationError("batchDelayMs must be between 0 and 600000", details={"field": "batchDelayMs"})
        if not 0 <= self.max_retries <= 20:
            raise ValidationError("maxRetries must be between 0 and 20", details={"field": "maxRetries"})

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> RunSettings:
        data = data or {}
        selective = data.get("selective")
        if selective is not None and not isinstance(selective, dict):
            raise ValidationError(
                "selective must map entity types to {includeNew, includeUpdated, includeDeleted}",
                details={"field": "selective"},
            )
        try:
            return cls(
                batch_size=int(data.get("batchSize", 100)),
                batch_delay_ms=int(data.get("batchDelayMs", 0)),
                max_retries=int(data.get("maxRetries", 5)),
                dry_run=bool(data.get("dryRun", False)),
                selective={str(EntityType(k)): Selective.from_json(v) for k, v in selective.items()}
                if selective
                else None,
            )
        except (TypeError, ValueError) as exc:
            raise ValidationError(f"invalid syncConfig: {exc}", details={"field": "syncConfig"}) from None

    def to_json(self) -> dict[str, Any]:
        return {
            "batch_size": self.batch_size,
            "batch_delay_ms": self.batch_delay_ms,
            "max_retries": self.max_retries,
            "dry_run": self.dry_run,
            "selective": {k: v.to_json() for k, v in self.selective.items()} if self.selective else None,
            "only_ids": self.only_ids,
            "label": self.label,
        }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def run_view(run: run_repo.RunRow, counts: dict[str, dict[str, Any]], current: int | None) -> dict[str, Any]:
    totals = {
        k: sum(int(e.get(k, 0)) for e in counts.values())
        for k in ("total", "processed", "applied", "skipped", "conflicts")
    }
    totals["conflicts"] += int(run.progress.get("planConflicts", 0))
    elapsed = None
    if run.started_at is not None:
        end = run.finished_at or datetime.now(run.started_at.tzinfo)
        elapsed = max((end - run.started_at).total_seconds(), 1e-3)
    rate = totals["processed"] / elapsed if elapsed else 0.0
    stages = run.stages
    planned_all = run.current_stage >= len(stages) or all(
        s.get("state") in {"planned", "done", "skipped"} for s in stages
    )
    remaining = totals["total"] - totals["processed"]
    eta = None
    if run.status is RunStatus.RUNNING and rate > 0:
        eta = round(remaining / rate, 1) if planned_all else None
    elif run.status in {RunStatus.COMPLETED}:
        eta = 0.0
    entities: dict[str, Any] = {}
    for entity in run.entities:
        c = counts.get(entity, {})
        entity_stages = [s for s in stages if s["entity"] == entity]
        states = {s.get("state", "pending") for s in entity_stages}
        status = "done" if states <= {"done", "skipped"} else "running" if states & {"planned", "done"} else "pending"
        plan_conflicts = sum(int(s.get("conflicts", 0)) for s in entity_stages)
        entities[entity] = {
            "total": int(c.get("total", 0)),
            "processed": int(c.get("processed", 0)),
            "applied": int(c.get("applied", 0)),
            "skipped": int(c.get("skipped", 0)),
            "conflicts": int(c.get("conflicts", 0)) + plan_conflicts,
            "status": status,
        }
    return {
        "runId": run.id,
        "status": run.status.value,
        "systems": run.systems,
        "entities": run.entities,
        "direction": run.direction,
        "dryRun": bool(run.settings.get("dry_run")),
        "settings": {
            "batchSize": run.settings.get("batch_size"),
            "batchDelayMs": run.settings.get("batch_delay_ms"),
            "maxRetries": run.settings.get("max_retries"),
            "dryRun": bool(run.settings.get("dry_run")),
            "selective": run.settings.get("selective"),
            "onlyIds": run.settings.get("only_ids"),
        },
        "progress": {
            **totals,
            "itemsPerSecond": round(rate, 2),
            "etaSeconds": eta,
            "currentBatch": current,
            "stage": min(run.current_stage, len(stages)),
            "stages": stages,
            "entities": entities,
        },
        "blockedSystems": run.progress.get("blockedSystems", []),
        "blockedReasons": run.progress.get("blockedReasons", {}),
        "error": run.error,
        "createdAt": _iso(run.created_at),
        "startedAt": _iso(run.started_at),
        "finishedAt": _iso(run.finished_at),
    }


class OrchestrationService:
    def __init__(self, engine: Engine, settings: Settings, *, preview: Any = None) -> None:
        self.engine = engine
        self.settings = settings
        self.preview = preview

    # -- commands ------------------------------------------------------------------------------------------
    def start(
        self,
        org_id: str,
        *,
        systems: Sequence[System | str],
        entities: Sequence[EntityType | str],
        direction: Direction | str = Direction.TWO_WAY,
        settings: RunSettings | None = None,
    ) -> dict[str, Any]:
        try:
            systems_ = [System(s) for s in systems]
            entities_ = [EntityType(e) for e in entities]
            direction_ = Direction(direction)
        except ValueError as exc:
            raise ValidationError(str(exc), details={"field": "systems/entityTypes/direction"}) from None
        if not systems_ or any(s not in EXTERNAL_SYSTEMS for s in systems_):
            raise ValidationError(
                "systems must be a non-empty list of woocommerce and/or odoo", details={"field": "systems"}
            )
        if not entities_:
            raise ValidationError("entityTypes must not be empty", details={"field": "entityTypes"})
        settings = settings or RunSettings()
        stages = stages_for(list(dict.fromkeys(systems_)), entities_, direction_)
        with transaction(self.engine) as conn:
            active = run_repo.count_active_runs(conn, org_id)
            limit = self.settings.max_concurrent_runs_per_org
            if active >= limit:
                raise ConcurrencyLimitError(
                    f"the organization already has {active} active runs (the limit is {limit}); wait for one to "
                    "finish or cancel one",
                    details={"limit": limit, "active": active},
                )
            run = run_repo.create_run(
                conn,
                org_id,
                systems=[s.value for s in dict.fromkeys(systems_)],
                entities=[e.value for e in stages_entities(stages)],
                direction=direction_.value,
                settings=settings.to_json(),
                stages=[{**s.to_json(), "state": "pending"} for s in stages],
            )
            lifecycle.log_state(conn, run, "run queued")
        lifecycle.promote_pending(self.engine)
        return self.status(org_id, run.id)

    def pause(self, org_id: str, run_id: str) -> dict[str, Any]:
        lifecycle.pause(self.engine, org_id, run_id)
        return self.status(org_id, run_id)

    def resume(self, org_id: str, run_id: str) -> dict[str, Any]:
        lifecycle.resume(self.engine, org_id, run_id)
        return self.status(org_id, run_id)

    def cancel(self, org_id: str, run_id: str) -> dict[str, Any]:
        lifecycle.cancel(self.engine, org_id, run_id)
        return self.status(org_id, run_id)

    def sync_touched(
        self, org_id: str, system: System | str, entity: EntityType | str, external_ids: Sequence[str]
    ) -> dict[str, Any] | None:
        """An incremental sync of records a webhook or the change feed reported.

        Ids join a still-queued run of the same (system, entity) when there is one, so a burst of webhooks
        becomes one run; otherwise a new two-way run for just these records is queued.
        """
        system_, entity_ = System(system), EntityType(entity)
        ids = [str(i) for i in external_ids]
        with transaction(self.engine) as conn:
            for run in run_repo.list_runs(conn, org_id, statuses=frozenset({RunStatus.PENDING}), limit=50):
                only = run.settings.get("only_ids")
                if only and run.entities == [entity_.value] and run.systems == [system_.value]:
                    merged = sorted(set(only.get(system_.value, [])) | set(ids))
                    settings = {**run.settings, "only_ids": {system_.value: merged}}
                    from syncbridge.store.tables import sync_orchestration

                    conn.execute(
                        sync_orchestration.update()
                        .where(sync_orchestration.c.org_id == org_id, sync_orchestration.c.id == run.id)
                        .values(settings=settings)
                    )
                    return None
        incremental = RunSettings(only_ids={system_.value: ids}, label="incremental")
        try:
            return self.start(org_id, systems=[system_], entities=[entity_], settings=incremental)
        except ConcurrencyLimitError:
            return None  # the next full or change-feed run picks the record up; nothing is lost

    # -- queries -------------------------------------------------------------------------------------------
    def status(self, org_id: str, run_id: str) -> dict[str, Any]:
        with transaction(self.engine) as conn:
            run = run_repo.get_run(conn, org_id, run_id)
            counts = batch_repo.run_counts(conn, org_id, run_id)
            current = batch_repo.current_batch(conn, org_id, run_id)
        return run_view(run, counts, current)

    def list_runs(self, org_id: str, *, limit: int = 20, active_only: bool = False) -> list[dict[str, Any]]:
        with transaction(self.engine) as conn:
            runs = run_repo.list_runs(conn, org_id, statuses=ACTIVE_RUN_STATUSES if active_only else None, limit=limit)
            return [run_view(r, batch_repo.run_counts(conn, org_id, r.id), None) for r in runs]

    def wait(self, org_id: str, run_id: str, *, timeout_s: float = 600.0, poll_s: float = 0.2) -> dict[str, Any]:
        """Poll until the run is final (for tests and the CLI); returns the last status."""
        deadline = time.monotonic() + timeout_s
        while True:
            view = self.status(org_id, run_id)
            if view["status"] in {s.value for s in (RunStatus.COMPLETED, RunStatus.FAILED, RunStatus.CANCELLED)}:
                return view
            if time.monotonic() > deadline:
                return view
            time.sleep(poll_s)


def stages_entities(stages: Sequence[Any]) -> list[EntityType]:
    return list(dict.fromkeys(s.entity for s in stages))
