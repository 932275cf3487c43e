"""sync_orchestration: runs, their stages and their status. Every call is scoped by organization."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from syncbridge.domain.states import ACTIVE_RUN_STATUSES, RunStatus, transition_run
from syncbridge.errors import NotFoundError
from syncbridge.store.tables import new_id, now_utc, sync_orchestration

R = sync_orchestration.c


@dataclass(frozen=True, slots=True)
class RunRow:
    id: str
    org_id: str
    status: RunStatus
    systems: list[str]
    entities: list[str]
    direction: str
    settings: dict[str, Any]
    progress: dict[str, Any]  # {"stages": [...], "blockedSystems": [...], "planConflicts": n, ...}
    error: str | None
    current_stage: int
    stage_state: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    updated_at: datetime

    @property
    def stages(self) -> list[dict[str, Any]]:
        stages: list[dict[str, Any]] = self.progress.get("stages", [])
        return stages


def _row(row: sa.Row[Any]) -> RunRow:
    m = row._mapping
    return RunRow(
        id=m["id"],
        org_id=m["org_id"],
        status=RunStatus(m["status"]),
        systems=list(m["systems"]),
        entities=list(m["entities"]),
        direction=m["direction"],
        settings=dict(m["settings"]),
        progress=dict(m["progress"] or {}),
        error=m["error"],
        current_stage=m["current_stage"],
        stage_state=m["stage_state"],
        created_at=m["created_at"],
        started_at=m["started_at"],
        finished_at=m["finished_at"],
        updated_at=m["updated_at"],
    )


def create_run(
    conn: sa.Connection,
    org_id: str,
    *,
    systems: list[str],
    entities: list[str],
    direction: str,
    settings: dict[str, Any],
    stages: list[dict[str, Any]],
) -> RunRow:
    run_id = new_id()
    now = now_utc()
    conn.execute(
        sa.insert(sync_orchestration).values(
            id=run_id,
            org_id=org_id,
            status=RunStatus.PENDING.value,
            systems=systems,
            entities=entities,
            direction=direction,
            settings=settings,
            progress={"stages": stages, "blockedSystems": [], "planConflicts": 0},
            current_stage=0,
            stage_state="unplanned",
            created_at=now,
            updated_at=now,
        )
    )
    return get_run(conn, org_id, run_id)


def get_run(conn: sa.Connection, org_id: str, run_id: str, *, for_update: bool = False) -> RunRow:
    query = sa.select(sync_orchestration).where(R.org_id == org_id, R.id == run_id)
    if for_update and conn.dialect.name == "postgresql":
        query = query.with_for_update()
    row = conn.execute(query).first()
    if row is None:
        raise NotFoundError(f"run {run_id} not found", code="run_not_found")
    return _row(row)


def list_runs(
    conn: sa.Connection, org_id: str, *, statuses: frozenset[RunStatus] | None = None, limit: int = 50
) -> list[RunRow]:
    query = sa.select(sync_orchestration).where(R.org_id == org_id)
    if statuses is not None:
        query = query.where(R.status.in_([s.value for s in statuses]))
    rows = conn.execute(query.order_by(R.created_at.desc()).limit(limit)).all()
    return [_row(r) for r in rows]


def count_active_runs(conn: sa.Connection, org_id: str) -> int:
    query = sa.select(sa.func.count()).where(R.org_id == org_id, R.status.in_([s.value for s in ACTIVE_RUN_STATUSES]))
    return int(conn.execute(query).scalar_one())


def set_status(conn: sa.Connection, org_id: str, run_id: str, target: RunStatus, *, error: str | None = None) -> RunRow:
    """Move a run through its state machine (illegal moves raise) and stamp start / finish times."""
    run = get_run(conn, org_id, run_id, for_update=True)
    new = transition_run(run.status, target)
    values: dict[str, Any] = {"status": new.value, "updated_at": now_utc()}
    if new is RunStatus.RUNNING and run.started_at is None:
        values["started_at"] = now_utc()
    if new in {RunStatus.COMPLETED, RunStatus.FAILED, RunStatus.CANCELLED}:
        values["finished_at"] = now_utc()
    if error is not None:
        values["error"] = error
    conn.execute(sa.update(sync_orchestration).where(R.org_id == org_id, R.id == run_id).values(**values))
    return get_run(conn, org_id, run_id)


def update_progress(conn: sa.Connection, org_id: str, run_id: str, progress: dict[str, Any]) -> None:
    conn.execute(
        sa.update(sync_orchestration)
        .where(R.org_id == org_id, R.id == run_id)
        .values(progress=progress, updated_at=now_utc())
    )


def set_stage(conn: sa.Connection, org_id: str, run_id: str, *, stage: int, state: str) -> None:
    conn.execute(
        sa.update(sync_orchestration)
        .where(R.org_id == org_id, R.id == run_id)
        .values(current_stage=stage, stage_state=state, lease_owner=None, lease_expires_at=None, updated_at=now_utc())
    )


# -- cross-organization queries for workers: they find work, then act through the org-scoped calls above ----------


def runs_to_plan(conn: sa.Connection, *, limit: int = 5) -> list[tuple[str, str]]:
    """(org_id, run_id) of running runs whose current stage needs planning (none, or the planner's lease lapsed)."""
    now = now_utc()
    query = (
        sa.select(R.org_id, R.id)
        .where(
            R.status == RunStatus.RUNNING.value,
            sa.or_(
                R.stage_state == "unplanned",
                sa.and_(R.stage_state == "planning", R.lease_expires_at < now),
            ),
        )
        .order_by(R.created_at)
        .limit(limit)
    )
    return [(r.org_id, r.id) for r in conn.execute(query)]


def claim_planning(conn: sa.Connection, org_id: str, run_id: str, *, owner: str, lease_s: float) -> bool:
    """Take the planning lease of a run's current stage (compare-and-set); False when someone else holds it."""
    now = now_utc()
    result = conn.execute(
        sa.update(sync_orchestration)
        .where(
            R.org_id == org_id,
            R.id == run_id,
            R.status == RunStatus.RUNNING.value,
            sa.or_(
                R.stage_state == "unplanned",
                sa.and_(R.stage_state == "planning", R.lease_expires_at < now),
            ),
        )
        .values(stage_state="planning", lease_owner=owner, lease_expires_at=now + timedelta(seconds=lease_s))
    )
    return result.rowcount == 1


def extend_planning(conn: sa.Connection, org_id: str, run_id: str, *, owner: str, lease_s: float) -> bool:
    result = conn.execute(
        sa.update(sync_orchestration)
        .where(R.org_id == org_id, R.id == run_id, R.lease_owner == owner, R.stage_state == "planning")
        .values(lease_expires_at=now_utc() + timedelta(seconds=lease_s))
    )
    return result.rowcount == 1


def pending_runs(conn: sa.Connection, *, limit: int = 20) -> list[tuple[str, str]]:
    query = sa.select(R.org_id, R.id).where(R.status == RunStatus.PENDING.value).order_by(R.created_at).limit(limit)
    return [(r.org_id, r.id) for r in conn.execute(query)]


def completing_runs(conn: sa.Connection, *, limit: int = 20) -> list[tuple[str, str]]:
    query = sa.select(R.org_id, R.id).where(R.status == RunStatus.COMPLETING.value).limit(limit)
    return [(r.org_id, r.id) for r in conn.execute(query)]


def planning_owner(conn: sa.Connection, org_id: str, run_id: str) -> str | None:
    """Who holds the planning lease of the run's current stage (None when nobody does)."""
    value = conn.execute(
        sa.select(R.lease_owner).where(R.org_id == org_id, R.id == run_id, R.stage_state == "planning")
    ).scalar_one_or_none()
    return None if value is None else str(value)


def hold_planning(conn: sa.Connection, org_id: str, run_id: str, *, owner: str) -> bool:
    """In the caller's transaction: lock the run row and say whether ``owner`` still holds the planning lease.
    A takeover (``claim_planning``) waits on that lock, so batches written under it belong to the lease holder."""
    query = sa.select(R.lease_owner).where(R.org_id == org_id, R.id == run_id, R.stage_state == "planning")
    if conn.dialect.name == "postgresql":
        query = query.with_for_update()
    return conn.execute(query).scalar_one_or_none() == owner
