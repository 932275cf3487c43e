"""Run lifecycle moves shared by the service and the workers: promote, advance, pause, resume, cancel, finish.

Every move goes through ``domain.states.transition_run`` (via ``store.runs.set_status``), inside a transaction.
A run holds its entities while it is running, paused or completing: a queued run that shares an entity with one
of those waits (``pending``), so two runs never write the same entity of an organization at once.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from syncbridge.domain.states import RunStatus
from syncbridge.store import activity
from syncbridge.store import batches as batch_repo
from syncbridge.store import runs as run_repo
from syncbridge.store.session import retry_serializable, transaction

HOLDING = frozenset({RunStatus.RUNNING, RunStatus.PAUSED, RunStatus.COMPLETING})


def _lock_org(conn: sa.Connection, org_id: str) -> None:
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": f"syncbridge-org:{org_id}"})


def log_state(conn: sa.Connection, run: run_repo.RunRow, message: str, **counts: Any) -> None:
    activity.record_activity(
        conn, run.org_id, kind="state", message=message, run_id=run.id, counts={"status": run.status.value, **counts}
    )


def promote_pending(engine: Engine) -> int:
    """Start queued runs whose entities are free; the number started."""
    started = 0
    with transaction(engine) as conn:
        candidates = run_repo.pending_runs(conn)
    for org_id, run_id in candidates:
        with transaction(engine) as conn:
            _lock_org(conn, org_id)
            run = run_repo.get_run(conn, org_id, run_id)
            if run.status is not RunStatus.PENDING:
                continue
            holders = run_repo.list_runs(conn, org_id, statuses=HOLDING, limit=100)
            busy = {e for other in holders for e in other.entities}
            if busy & set(run.entities):
                continue
            run = run_repo.set_status(conn, org_id, run_id, RunStatus.RUNNING)
            log_state(conn, run, "run started")
            started += 1
    return started


def advance_if_stage_done(conn: sa.Connection, org_id: str, run_id: str, stage: int) -> bool:
    """Move to the next stage when every batch of ``stage`` is done; True when it moved."""
    run = run_repo.get_run(conn, org_id, run_id, for_update=True)
    if run.current_stage != stage or run.stage_state != "planned":
        return False
    if batch_repo.stage_open_count(conn, org_id, run_id, stage) > 0:
        return False
    progress = dict(run.progress)
    stages = [dict(s) for s in run.stages]
    if stage < len(stages) and stages[stage].get("state") != "skipped":
        stages[stage]["state"] = "done"
    progress["stages"] = stages
    run_repo.update_progress(conn, org_id, run_id, progress)
    run_repo.set_stage(conn, org_id, run_id, stage=stage + 1, state="unplanned")
    return True


def block_system(conn: sa.Connection, org_id: str, run_id: str, system: str, reason: str) -> None:
    run = run_repo.get_run(conn, org_id, run_id, for_update=True)
    progress = dict(run.progress)
    blocked = list(progress.get("blockedSystems", []))
    if system not in blocked:
        blocked.append(system)
        progress["blockedSystems"] = blocked
        progress.setdefault("blockedReasons", {})[system] = reason
        run_repo.update_progress(conn, org_id, run_id, progress)
        activity.record_activity(
            conn,
            org_id,
            kind="error",
            run_id=run_id,
            system=system,
            message=f"calls to {system} stopped for this run: {reason}",
        )


# Pausing and cancelling move a run's claimed batches back while workers heartbeat, finish or claim them; on
# PostgreSQL the two can deadlock. Such a transition is retried (jittered), never handed to the user as an error.


def pause(engine: Engine, org_id: str, run_id: str) -> run_repo.RunRow:
    def step(conn: sa.Connection) -> run_repo.RunRow:
        run = run_repo.set_status(conn, org_id, run_id, RunStatus.PAUSED)
        batch_repo.release_run_leases(conn, org_id, run_id)
        log_state(conn, run, "run paused")
        return run

    return retry_serializable(step, engine)


def resume(engine: Engine, org_id: str, run_id: str) -> run_repo.RunRow:
    with transaction(engine) as conn:
        run = run_repo.set_status(conn, org_id, run_id, RunStatus.RUNNING)
        log_state(conn, run, "run resumed")
        return run


def cancel(engine: Engine, org_id: str, run_id: str) -> run_repo.RunRow:
    def step(conn: sa.Connection) -> run_repo.RunRow:
        run = run_repo.set_status(conn, org_id, run_id, RunStatus.CANCELLED)
        batch_repo.release_run_leases(conn, org_id, run_id)
        cancelled = batch_repo.cancel_open_batches(conn, org_id, run_id)
        log_state(conn, run, "run cancelled", cancelledBatches=cancelled)
        return run

    return retry_serializable(step, engine)


def fail(engine: Engine, org_id: str, run_id: str, error: str) -> None:
    with transaction(engine) as conn:
        run = run_repo.get_run(conn, org_id, run_id, for_update=True)
        if run.status in {RunStatus.RUNNING, RunStatus.PENDING, RunStatus.COMPLETING}:
            run = run_repo.set_status(conn, org_id, run_id, RunStatus.FAILED, error=error)
            batch_repo.cancel_open_batches(conn, org_id, run_id)
            log_state(conn, run, f"run failed: {error}")
