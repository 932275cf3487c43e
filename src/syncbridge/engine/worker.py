"""Workers: claim work with a lease, heartbeat while doing it, give the lease up on shutdown.

One step of a worker does the first of: start queued runs whose entities are free; finish runs whose stages are
all done; plan a running run's next stage; claim and execute one batch. Any number of workers (threads or
processes, on any number of machines sharing the database) may run these steps at once.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from syncbridge.domain.plan import PlannedOp
from syncbridge.domain.records import EntityType, System
from syncbridge.domain.states import RunStatus
from syncbridge.engine import lifecycle
from syncbridge.engine.apply import RetryPolicy
from syncbridge.engine.context import EngineContext as EngineContext
from syncbridge.engine.context import Heartbeat
from syncbridge.engine.executor import (
    ExecResult,
    _log,
    book,
    execute_external,
    execute_on_hub,
)
from syncbridge.engine.planning import plan_next
from syncbridge.errors import SyncError
from syncbridge.store import batches as batch_repo
from syncbridge.store import cursors, hub_records
from syncbridge.store import runs as run_repo
from syncbridge.store.session import exclusive, refresh_statistics, retry_serializable, transaction

log = logging.getLogger("syncbridge.worker")


def _run_state(engine: Engine, org_id: str, run_id: str) -> run_repo.RunRow:
    with transaction(engine) as conn:
        return run_repo.get_run(conn, org_id, run_id)


def _stopper(engine: Engine, org_id: str, run_id: str, beat: Heartbeat, stop: threading.Event) -> Callable[[], bool]:
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


# -- executing ------------------------------------------------------------------------------------------------


def run_one_batch(ctx: EngineContext, stop: threading.Event | None = None) -> bool:
    """Claim and execute one batch; True when there was one."""
    stop = stop or threading.Event()
    lease_s = ctx.settings.lease_seconds
    with transaction(ctx.engine) as conn:
        batch = batch_repo.claim_batch(conn, owner=ctx.owner, lease_s=lease_s)
    if batch is None:
        return False
    try:
        _execute_claimed(ctx, batch, stop)
        if batch.seq % STATISTICS_EVERY == STATISTICS_EVERY - 1:
            refresh_statistics(ctx.engine, statistics_tables(batch.entity))
    except BaseException:
        # Give the batch back at once rather than at the end of its lease (a crashed worker cannot, and its
        # lease runs out): another attempt finds every effect already applied through the idempotency log.
        try:
            with transaction(ctx.engine) as conn:
                batch_repo.release_batch(conn, batch.id, owner=ctx.owner)
        except SyncError as exc:
            log.warning("could not give batch %s back (its lease will lapse): %s", batch.id, exc.message)
        raise
    return True


STATISTICS_EVERY = 50  # batches of a run between two refreshes of the planner statistics (PostgreSQL)


def statistics_tables(entity: str) -> list[str]:
    """The tables whose size a run of ``entity`` changes the most."""
    return [hub_records.table_of(entity).name, "sync_link", "sync_idempotency_log"]


def _execute_claimed(ctx: EngineContext, batch: batch_repo.BatchRow, stop: threading.Event) -> None:
    lease_s = ctx.settings.lease_seconds
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

    with Heartbeat(beat, lease_s / 3) as heartbeat:
        should_stop = _stopper(ctx.engine, org_id, run_id, heartbeat, stop)
        if target is System.HUB:

            def on_hub(conn: sa.Connection) -> ExecResult:
                result = execute_on_hub(conn, org_id, ops, run_id=run_id, dry_run=dry_run)
                book(conn, org_id, result, run_id=run_id, batch_id=batch.id)
                _finish(conn, ctx, batch, result, started, target, entity)
                return result

            # One hub writer per organization and entity at a time (PostgreSQL): concurrent SERIALIZABLE
            # batches over neighbouring keys cancelled each other ("pivot") far more often than they ran.
            with exclusive(ctx.engine, f"syncbridge-hub:{org_id}:{entity.value}", wait_s=lease_s):
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
