"""Workers: claim work with a lease, heartbeat while doing it, give the lease up on shutdown.

One step of a worker does the first of: start queued runs whose entities are free; finish runs whose stages are
all done; plan a running run's next stage; claim and execute one batch. Any number of workers (threads or
processes, on any number of machines sharing the database) may run these steps at once.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from syncbridge.config import Settings
from syncbridge.domain.conflicts import ConflictType, effective_policies
from syncbridge.domain.plan import PlannedOp, Selective
from syncbridge.domain.records import EntityType, System
from syncbridge.domain.states import RunStatus
from syncbridge.engine import lifecycle
from syncbridge.engine.apply import RetryPolicy
from syncbridge.engine.conflict_sink import ConflictNote, record_conflicts
from syncbridge.engine.executor import (
    ConnectorFactory,
    ExecResult,
    _log,
    book,
    execute_external,
    execute_on_hub,
)
from syncbridge.engine.planner import PlanContext, PlanningLost, plan_stage
from syncbridge.engine.stages import Stage
from syncbridge.errors import AuthError, DuplicateKeyError, PermissionDeniedError, SyncError
from syncbridge.store import activity, cursors
from syncbridge.store import batches as batch_repo
from syncbridge.store import conflicts as conflict_repo
from syncbridge.store import runs as run_repo
from syncbridge.store.session import retry_serializable, transaction

log = logging.getLogger("syncbridge.worker")


class Invalidator(Protocol):
    def invalidate(self, org_id: str, entity: EntityType | str, system: System | str | None = None) -> Any: ...


@dataclass
class EngineContext:
    engine: Engine
    settings: Settings
    connector_for: ConnectorFactory
    preview: Invalidator | None = None
    owner: str = field(default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}")
    rng: random.Random = field(default_factory=random.Random)


class _Heartbeat:
    """Extends a lease every third of its length until stopped; notices when the lease was lost."""

    def __init__(self, beat: Callable[[], bool], every_s: float) -> None:
        self._beat = beat
        self._every = every_s
        self._stop = threading.Event()
        self.lost = False
        self._thread = threading.Thread(target=self._run, daemon=True, name="heartbeat")

    def _run(self) -> None:
        while not self._stop.wait(self._every):
            try:
                if not self._beat():
                    self.lost = True
                    return
            except SyncError:
                continue  # the database blinked; the next beat tries again, the lease has slack

    def __enter__(self) -> _Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


def _run_state(engine: Engine, org_id: str, run_id: str) -> run_repo.RunRow:
    with transaction(engine) as conn:
        return run_repo.get_run(conn, org_id, run_id)


def _stopper(engine: Engine, org_id: str, run_id: str, beat: _Heartbeat, stop: threading.Event) -> Callable[[], bool]:
    """Whether to stop between calls: the run is no longer running, the lease was lost, or shutdown."""
    last = [0.0, False]

    def should_stop() -> bool:
        if beat.lost or stop.is_set():
            return True
        now = time.monotonic()
        if now - float(last[0]) > 0.5:
            last[0] = now
            try:
                last[1] = _run_state(engine, org_id, run_id).status is not RunStatus.RUNNING
            except SyncError:
                last[1] = False
        return bool(last[1])

    return should_stop


# -- finishing ------------------------------------------------------------------------------------------------


def finalize_runs(ctx: EngineContext) -> int:
    """Running runs whose stages are all done go through completing to completed."""
    done = 0
    with transaction(ctx.engine) as conn:
        rows = conn.execute(
            sa.select(run_repo.R.org_id, run_repo.R.id, run_repo.R.progress, run_repo.R.current_stage).where(
                run_repo.R.status.in_([RunStatus.RUNNING.value, RunStatus.COMPLETING.value])
            )
        ).all()
    for org_id, run_id, progress, current in rows:
        if current < len((progress or {}).get("stages", [])):
            continue
        with transaction(ctx.engine) as conn:
            run = run_repo.get_run(conn, org_id, run_id, for_update=True)
            if run.status is RunStatus.RUNNING:
                run = run_repo.set_status(conn, org_id, run_id, RunStatus.COMPLETING)
            if run.status is not RunStatus.COMPLETING:
                continue
            for stage in run.stages:
                if stage.get("cursor"):
                    cursors.set_cursor(conn, org_id, stage["system"], stage["entity"], stage["cursor"])
            counts = batch_repo.run_counts(conn, org_id, run_id)
            totals = {k: sum(int(e.get(k, 0)) for e in counts.values()) for k in ("applied", "skipped", "conflicts")}
            run = run_repo.set_status(conn, org_id, run_id, RunStatus.COMPLETED)
            lifecycle.log_state(conn, run, "run completed", **totals)
        if ctx.preview is not None:
            for entity in run.entities:
                ctx.preview.invalidate(org_id, entity)
        done += 1
    return done


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
            with _Heartbeat(extend, ctx.settings.lease_seconds / 3):
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


# -- executing ------------------------------------------------------------------------------------------------


def run_one_batch(ctx: EngineContext, stop: threading.Event | None = None) -> bool:
    """Claim and execute one batch; True when there was one."""
    stop = stop or threading.Event()
    lease_s = ctx.settings.lease_seconds
    with transaction(ctx.engine) as conn:
        batch = batch_repo.claim_batch(conn, owner=ctx.owner, lease_s=lease_s)
    if batch is None:
        return False
    org_id, run_id = batch.org_id, batch.run_id
    run = _run_state(ctx.engine, org_id, run_id)
    ops = [PlannedOp.from_json(o) for o in batch.operations]
    target = System(batch.target_system)
    entity = EntityType(batch.entity)
    dry_run = bool(run.settings.get("dry_run", False))
    policy = RetryPolicy(
        max_retries=int(run.settings.get("max_retries", 5)),
        base_s=ctx.settings.retry_base_s,
        cap_s=ctx.settings.retry_cap_s,
    )
    started = time.monotonic()

    def beat() -> bool:
        with transaction(ctx.engine) as conn:
            return batch_repo.heartbeat(conn, batch.id, owner=ctx.owner, lease_s=lease_s)

    with _Heartbeat(beat, lease_s / 3) as heartbeat:
        should_stop = _stopper(ctx.engine, org_id, run_id, heartbeat, stop)
        if target is System.HUB:

            def on_hub(conn: sa.Connection) -> ExecResult:
                result = execute_on_hub(conn, org_id, ops, run_id=run_id, dry_run=dry_run)
                book(conn, org_id, result, run_id=run_id, batch_id=batch.id)
                _finish(conn, ctx, batch, result, started, target, entity)
                return result

            retry_serializable(on_hub, ctx.engine)
        else:
            blocked = target.value in run.progress.get("blockedSystems", [])
            connector = ctx.connector_for(org_id, target)
            try:
                result = execute_external(
                    ctx.engine,
                    org_id,
                    ops,
                    connector=connector,
                    run_id=run_id,
                    policy=policy,
                    should_stop=should_stop,
                    dry_run=dry_run,
                    blocked=blocked,
                    rng=ctx.rng,
                )
            finally:
                connector.close()

            def after(conn: sa.Connection) -> None:
                book(conn, org_id, result, run_id=run_id, batch_id=batch.id)
                if result.auth_failed:
                    reason = next((o.error.message for o in result.outcomes if o.error is not None), "auth error")
                    lifecycle.block_system(conn, org_id, run_id, target.value, reason)
                _finish(conn, ctx, batch, result, started, target, entity)

            retry_serializable(after, ctx.engine)
    delay_ms = int(run.settings.get("batch_delay_ms", 0))
    if delay_ms:
        stop.wait(delay_ms / 1000.0)
    return True


def _finish(
    conn: sa.Connection,
    ctx: EngineContext,
    batch: batch_repo.BatchRow,
    result: ExecResult,
    started: float,
    target: System,
    entity: EntityType,
) -> None:
    org_id, run_id = batch.org_id, batch.run_id
    _log(conn, org_id, run_id, entity, target, result, started, kind="batch")
    if not batch_repo.still_owned(conn, batch.id, owner=ctx.owner):
        return  # paused, cancelled or taken over: the effects above are recorded; the batch is someone else's
    if result.untouched:
        run = run_repo.get_run(conn, org_id, run_id)
        rest = batch_repo.insert_batch(
            conn,
            org_id,
            run_id,
            stage=batch.stage,
            seq=batch_repo.next_seq(conn, org_id, run_id),
            entity=batch.entity,
            source_system=batch.source_system,
            target_system=batch.target_system,
            operations=[op.to_json() for op in result.untouched],
        )
        if run.status is RunStatus.CANCELLED:
            batch_repo.cancel_open_batches(conn, org_id, run_id)
        del rest
    batch_repo.finish_batch(
        conn,
        org_id,
        batch.id,
        result=result.counts(),
        operations=[o.op.to_json() for o in result.outcomes],
    )
    lifecycle.advance_if_stage_done(conn, org_id, run_id, batch.stage)


# -- the loop -------------------------------------------------------------------------------------------------


def work_step(ctx: EngineContext, stop: threading.Event | None = None) -> bool:
    """One unit of work; True when something was done."""
    if lifecycle.promote_pending(ctx.engine):
        return True
    if finalize_runs(ctx):
        return True
    if plan_next(ctx):
        return True
    return run_one_batch(ctx, stop)


def run_worker(ctx: EngineContext, *, stop: threading.Event, idle_s: float = 0.2) -> None:
    log.info("worker %s started", ctx.owner)
    while not stop.is_set():
        try:
            busy = work_step(ctx, stop)
        except SyncError as exc:
            log.warning("worker step failed: %s", exc.message)
            busy = False
            stop.wait(1.0)
        if not busy:
            stop.wait(idle_s)
    log.info("worker %s stopped", ctx.owner)


def start_background_workers(ctx_factory: Callable[[], EngineContext], count: int = 2) -> Callable[[], None]:
    """Threads running ``run_worker``; returns the function that stops them (leases are given up)."""
    stop = threading.Event()
    threads = [
        threading.Thread(
            target=run_worker, args=(ctx_factory(),), kwargs={"stop": stop}, daemon=True, name=f"syncbridge-worker-{i}"
        )
        for i in range(count)
    ]
    for t in threads:
        t.start()

    def stop_all() -> None:
        stop.set()
        for t in threads:
            t.join(timeout=60)

    return stop_all
