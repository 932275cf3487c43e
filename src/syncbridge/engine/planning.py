"""A worker's planning step: take a running run's current stage, plan it under a lease, record the outcome."""

from __future__ import annotations

import logging
import time
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from syncbridge.domain.conflicts import ConflictType, effective_policies
from syncbridge.domain.plan import Selective
from syncbridge.domain.records import EntityType
from syncbridge.engine import lifecycle
from syncbridge.engine.conflict_sink import ConflictNote, record_conflicts
from syncbridge.engine.context import EngineContext, Heartbeat
from syncbridge.engine.planner import PlanContext, PlanningLost, plan_stage
from syncbridge.engine.stages import Stage
from syncbridge.errors import AuthError, DuplicateKeyError, PermissionDeniedError, SyncError
from syncbridge.store import activity
from syncbridge.store import conflicts as conflict_repo
from syncbridge.store import runs as run_repo
from syncbridge.store.session import retry_serializable, transaction

log = logging.getLogger("syncbridge.worker")


# -- planning -------------------------------------------------------------------------------------------------


def _selective(run: run_repo.RunRow, entity: EntityType, engine: Engine) -> Selective:
    configured = (run.settings.get("selective") or {}).get(entity.value)
    if configured is not None:
        return Selective.from_json(configured)
    from syncbridge.store import selective as selective_repo

    with transaction(engine) as conn:
        saved = selective_repo.get_selective(conn, run.org_id, entity.value)
    return Selective(saved.include_new, saved.include_updated, saved.include_deleted)


def plan_next(ctx: EngineContext) -> bool:
    """Plan the current stage of one running run; True when it did something."""
    lease_s = ctx.settings.lease_seconds
    with transaction(ctx.engine) as conn:
        candidates = run_repo.runs_to_plan(conn)
    for org_id, run_id in candidates:
        with transaction(ctx.engine) as conn:
            run = run_repo.get_run(conn, org_id, run_id)
            if run.current_stage >= len(run.stages):
                continue
            if not run_repo.claim_planning(conn, org_id, run_id, owner=ctx.owner, lease_s=lease_s):
                continue
        _plan_claimed(ctx, run)
        return True
    return False


def _plan_claimed(ctx: EngineContext, run: run_repo.RunRow) -> None:
    index = run.current_stage
    stage = Stage.from_json(run.stages[index])
    org_id, run_id = run.org_id, run.id
    blocked = stage.system.value in run.progress.get("blockedSystems", [])

    def extend() -> bool:
        with transaction(ctx.engine) as conn:
            return run_repo.extend_planning(conn, org_id, run_id, owner=ctx.owner, lease_s=ctx.settings.lease_seconds)

    started = time.monotonic()
    info: dict[str, Any] = {}
    if blocked:
        info = {"state": "skipped", "reason": f"calls to {stage.system.value} stopped for this run"}
        operations = 0
    else:
        with transaction(ctx.engine) as conn:
            overrides = effective_policies(conflict_repo.field_policies(conn, org_id))
        only = (run.settings.get("only_ids") or {}).get(stage.system.value) if stage.way == "in" else None
        plan_ctx = PlanContext(
            engine=ctx.engine,
            org_id=org_id,
            run_id=run_id,
            stage_index=index,
            stage=stage,
            batch_size=int(run.settings.get("batch_size", 100)),
            selective=_selective(run, stage.entity, ctx.engine),
            policies=overrides,
            only_ids=only,
            push_only=run.direction == "from-hub",
            owner=ctx.owner,
            extend_lease=extend,
        )
        connector = ctx.connector_for(org_id, stage.system)
        try:
            with Heartbeat(extend, ctx.settings.lease_seconds / 3):
                plan = plan_stage(plan_ctx, connector)
        except PlanningLost:
            log.warning("planning of run %s stage %s was taken over by another worker", run_id, index)
            return
        except (AuthError, PermissionDeniedError) as exc:
            _plan_auth_failure(ctx, run, stage, exc)
            return
        except DuplicateKeyError:
            log.warning("planning of run %s stage %s raced another planner; it will be planned again", run_id, index)
            return
        except SyncError as exc:
            _plan_failure(ctx, run, index, exc)
            return
        finally:
            connector.close()
        operations = plan.operations
        info = {
            "state": "planned",
            "operations": plan.operations,
            "batches": plan.batches,
            "conflicts": plan.conflicts,
            "settled": plan.settled,
            "heldBack": plan.held_back,
            "cursor": plan.source_cursor if stage.way == "in" and only is None else None,
        }

    def commit(conn: sa.Connection) -> None:
        current = run_repo.get_run(conn, org_id, run_id, for_update=True)
        if current.current_stage != index or current.stage_state != "planning":
            return
        if not blocked and run_repo.planning_owner(conn, org_id, run_id) != ctx.owner:
            return  # our lease lapsed and another worker re-planned the stage: its plan stands
        progress = dict(current.progress)
        stages = [dict(s) for s in current.stages]
        stages[index].update(info)
        progress["stages"] = stages
        progress["planConflicts"] = int(progress.get("planConflicts", 0)) + int(info.get("conflicts", 0))
        run_repo.update_progress(conn, org_id, run_id, progress)
        run_repo.set_stage(conn, org_id, run_id, stage=index, state="planned")
        activity.record_activity(
            conn,
            org_id,
            kind="plan",
            run_id=run_id,
            entity=stage.entity.value,
            system=stage.system.value,
            message=f"planned {stage.way} {stage.system.value} {stage.entity.value}: {operations} operations",
            counts={k: v for k, v in info.items() if isinstance(v, int)},
            duration_ms=int((time.monotonic() - started) * 1000),
        )
        if operations == 0:
            lifecycle.advance_if_stage_done(conn, org_id, run_id, index)

    retry_serializable(commit, ctx.engine)


def _plan_auth_failure(ctx: EngineContext, run: run_repo.RunRow, stage: Stage, exc: SyncError) -> None:
    def commit(conn: sa.Connection) -> None:
        lifecycle.block_system(conn, run.org_id, run.id, stage.system.value, exc.message)
        record_conflicts(
            conn,
            run.org_id,
            [
                ConflictNote(
                    run_id=run.id,
                    batch_id=f"plan:{run.current_stage}",
                    entity=stage.entity,
                    conflict_type=ConflictType.AUTH_ERROR,
                    natural_key="",
                    hub_id=None,
                    source_system=stage.source,
                    target_system=stage.target,
                    external_ids={},
                    source_version=None,
                    target_version=None,
                    diff={},
                    error_code=exc.code,
                    error_message=f"{stage.system.value} refused the connection's credentials: {exc.message}",
                    operation=None,
                )
            ],
        )
        current = run_repo.get_run(conn, run.org_id, run.id, for_update=True)
        progress = dict(current.progress)
        stages = [dict(s) for s in current.stages]
        stages[current.current_stage].update({"state": "skipped", "reason": exc.message})
        progress["stages"] = stages
        run_repo.update_progress(conn, run.org_id, run.id, progress)
        run_repo.set_stage(conn, run.org_id, run.id, stage=current.current_stage, state="planned")
        lifecycle.advance_if_stage_done(conn, run.org_id, run.id, current.current_stage)

    retry_serializable(commit, ctx.engine)


def _plan_failure(ctx: EngineContext, run: run_repo.RunRow, index: int, exc: SyncError) -> None:
    """A transient failure while planning: try again later, and fail the run after max_retries attempts."""
    attempts = int(run.progress.get("planAttempts", 0)) + 1
    limit = int(run.settings.get("max_retries", 5))
    if not exc.retryable or attempts > limit:
        lifecycle.fail(ctx.engine, run.org_id, run.id, f"planning stage {index} failed: {exc.message}")
        return

    def commit(conn: sa.Connection) -> None:
        current = run_repo.get_run(conn, run.org_id, run.id, for_update=True)
        progress = dict(current.progress)
        progress["planAttempts"] = attempts
        run_repo.update_progress(conn, run.org_id, run.id, progress)
        run_repo.set_stage(conn, run.org_id, run.id, stage=index, state="unplanned")
        activity.record_activity(
            conn,
            run.org_id,
            kind="retry",
            run_id=run.id,
            message=f"planning stage {index} failed ({exc.message}); will retry",
        )

    retry_serializable(commit, ctx.engine)
    time.sleep(min(16.0, ctx.settings.retry_base_s * 2 ** (attempts - 1)))
