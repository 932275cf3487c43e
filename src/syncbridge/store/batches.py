"""sync_batch: the persisted plan of a run and the queue workers claim from.

Workers claim a batch with a lease: on PostgreSQL ``SELECT ... FOR UPDATE SKIP LOCKED``; on SQLite the engine's
``BEGIN IMMEDIATE`` already serializes writers, so the same select-then-update is safe there. A batch whose lease
has lapsed (its worker died) is claimable again.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from syncbridge.domain.states import BatchStatus, RunStatus
from syncbridge.store.tables import new_id, now_utc, sync_batch, sync_orchestration

B = sync_batch.c
R = sync_orchestration.c


@dataclass(frozen=True, slots=True)
class BatchRow:
    id: str
    org_id: str
    run_id: str
    stage: int
    seq: int
    entity: str
    source_system: str
    target_system: str
    status: BatchStatus
    operations: list[dict[str, Any]]
    item_count: int
    attempts: int
    result: dict[str, Any] | None


def _row(row: sa.Row[Any]) -> BatchRow:
    m = row._mapping
    return BatchRow(
        id=m["id"],
        org_id=m["org_id"],
        run_id=m["run_id"],
        stage=m["stage"],
        seq=m["seq"],
        entity=m["entity"],
        source_system=m["source_system"],
        target_system=m["target_system"],
        status=BatchStatus(m["status"]),
        operations=list(m["operations"]),
        item_count=m["item_count"],
        attempts=m["attempts"],
        result=m["result"],
    )


def next_seq(conn: sa.Connection, org_id: str, run_id: str) -> int:
    value = conn.execute(
        sa.select(sa.func.max(B.seq)).where(B.org_id == org_id, B.run_id == run_id)
    ).scalar_one_or_none()
    return 0 if value is None else int(value) + 1


def insert_batch(
    conn: sa.Connection,
    org_id: str,
    run_id: str,
    *,
    stage: int,
    seq: int,
    entity: str,
    source_system: str,
    target_system: str,
    operations: Sequence[dict[str, Any]],
) -> str:
    batch_id = new_id()
    now = now_utc()
    conn.execute(
        sa.insert(sync_batch).values(
            id=batch_id,
            org_id=org_id,
            run_id=run_id,
            stage=stage,
            seq=seq,
            entity=entity,
            source_system=source_system,
            target_system=target_system,
            status=BatchStatus.PENDING.value,
            operations=list(operations),
            item_count=len(operations),
            attempts=0,
            created_at=now,
            updated_at=now,
        )
    )
    return batch_id


def delete_stage_batches(conn: sa.Connection, org_id: str, run_id: str, stage: int) -> int:
    """Drop a half-written stage plan (its planner died) before planning it again; none were claimable."""
    result = conn.execute(sa.delete(sync_batch).where(B.org_id == org_id, B.run_id == run_id, B.stage == stage))
    return result.rowcount


def claim_batch(conn: sa.Connection, *, owner: str, lease_s: float) -> BatchRow | None:
    """Lease the next runnable batch of any running run whose current stage is planned."""
    now = now_utc()
    query = (
        sa.select(B.id)
        .join(sync_orchestration, R.id == B.run_id)
        .where(
            R.status == RunStatus.RUNNING.value,
            R.stage_state == "planned",
            B.stage == R.current_stage,
            sa.or_(
                B.status == BatchStatus.PENDING.value,
                sa.and_(B.status == BatchStatus.CLAIMED.value, B.lease_expires_at < now),
            ),
        )
        .order_by(R.created_at, B.seq)
        .limit(1)
    )
    if conn.dialect.name == "postgresql":
        query = query.with_for_update(of=sync_batch, skip_locked=True)
    batch_id = conn.execute(query).scalar_one_or_none()
    if batch_id is None:
        return None
    conn.execute(
        sa.update(sync_batch)
        .where(B.id == batch_id)
        .values(
            status=BatchStatus.CLAIMED.value,
            lease_owner=owner,
            lease_expires_at=now + timedelta(seconds=lease_s),
            attempts=B.attempts + 1,
            updated_at=now,
        )
    )
    row = conn.execute(sa.select(sync_batch).where(B.id == batch_id)).one()
    return _row(row)


def heartbeat(conn: sa.Connection, batch_id: str, *, owner: str, lease_s: float) -> bool:
    """Extend a held lease; False when the lease was lost (expired and taken by another worker)."""
    result = conn.execute(
        sa.update(sync_batch)
        .where(B.id == batch_id, B.lease_owner == owner, B.status == BatchStatus.CLAIMED.value)
        .values(lease_expires_at=now_utc() + timedelta(seconds=lease_s))
    )
    return result.rowcount == 1


def still_owned(conn: sa.Connection, batch_id: str, *, owner: str) -> bool:
    value = conn.execute(
        sa.select(B.id).where(B.id == batch_id, B.lease_owner == owner, B.status == BatchStatus.CLAIMED.value)
    ).first()
    return value is not None


def release_batch(conn: sa.Connection, batch_id: str, *, owner: str) -> None:
    """Give the lease up (shutdown, pause): the batch is pending again, untouched."""
    conn.execute(
        sa.update(sync_batch)
        .where(B.id == batch_id, B.lease_owner == owner, B.status == BatchStatus.CLAIMED.value)
        .values(status=BatchStatus.PENDING.value, lease_owner=None, lease_expires_at=None, updated_at=now_utc())
    )


def finish_batch(
    conn: sa.Connection, org_id: str, batch_id: str, *, result: dict[str, Any], operations: list[dict[str, Any]]
) -> None:
    """Mark done with its counts; ``operations`` are the ones this batch really covered (the rest were split off)."""
    conn.execute(
        sa.update(sync_batch)
        .where(B.org_id == org_id, B.id == batch_id)
        .values(
            status=BatchStatus.DONE.value,
            result=result,
            operations=operations,
            item_count=len(operations),
            lease_owner=None,
            lease_expires_at=None,
            updated_at=now_utc(),
        )
    )


def cancel_open_batches(conn: sa.Connection, org_id: str, run_id: str) -> int:
    result = conn.execute(
        sa.update(sync_batch)
        .where(B.org_id == org_id, B.run_id == run_id, B.status == BatchStatus.PENDING.value)
        .values(status=BatchStatus.CANCELLED.value, updated_at=now_utc())
    )
    return result.rowcount


def release_run_leases(conn: sa.Connection, org_id: str, run_id: str) -> None:
    """A paused run holds no lease: claimed batches go back to pending (their workers notice and stop)."""
    conn.execute(
        sa.update(sync_batch)
        .where(B.org_id == org_id, B.run_id == run_id, B.status == BatchStatus.CLAIMED.value)
        .values(status=BatchStatus.PENDING.value, lease_owner=None, lease_expires_at=None, updated_at=now_utc())
    )


def stage_open_count(conn: sa.Connection, org_id: str, run_id: str, stage: int) -> int:
    return int(
        conn.execute(
            sa.select(sa.func.count()).where(
                B.org_id == org_id,
                B.run_id == run_id,
                B.stage == stage,
                B.status.in_([BatchStatus.PENDING.value, BatchStatus.CLAIMED.value]),
            )
        ).scalar_one()
    )


def run_counts(conn: sa.Connection, org_id: str, run_id: str) -> dict[str, dict[str, Any]]:
    """Per entity: total, processed, applied, skipped, conflicts, open batches; summed from the batch rows."""
    rows = conn.execute(
        sa.select(B.entity, B.status, B.item_count, B.result, B.seq).where(B.org_id == org_id, B.run_id == run_id)
    ).all()
    out: dict[str, dict[str, Any]] = defaultdict(
        lambda: {
            "total": 0,
            "processed": 0,
            "applied": 0,
            "skipped": 0,
            "conflicts": 0,
            "open": 0,
            "cancelled": 0,
            "batches": 0,
        }
    )
    for entity, status, count, result, _seq in rows:
        e = out[entity]
        e["batches"] += 1
        e["total"] += count
        if status == BatchStatus.DONE.value:
            e["processed"] += count
            res = result or {}
            e["applied"] += int(res.get("applied", 0))
            e["skipped"] += int(res.get("skipped", 0))
            e["conflicts"] += int(res.get("conflicts", 0))
        elif status == BatchStatus.CANCELLED.value:
            e["cancelled"] += count
        else:
            e["open"] += 1
    return dict(out)


def current_batch(conn: sa.Connection, org_id: str, run_id: str) -> int | None:
    value = conn.execute(
        sa.select(sa.func.min(B.seq)).where(
            B.org_id == org_id,
            B.run_id == run_id,
            B.status.in_([BatchStatus.PENDING.value, BatchStatus.CLAIMED.value]),
        )
    ).scalar_one_or_none()
    return None if value is None else int(value)
