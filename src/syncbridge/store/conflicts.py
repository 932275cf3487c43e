"""``sync_conflict``, ``sync_conflict_strategy`` and ``sync_field_policy``: conflicts and how to settle them.

Every query is scoped by ``org_id``. The engine records a conflict from a ``ConflictDraft``; the review
workflow reads, lists and closes them. ``diff`` is ``{field: {"old": target value, "new": source value}}``
over the comparable fields, values in their plain JSON form (``codec.to_dict``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from syncbridge.domain.codec import to_dict
from syncbridge.domain.conflicts import (
    OPEN_STATUSES,
    ConflictStatus,
    ConflictType,
    PolicySource,
    Strategy,
)
from syncbridge.domain.fingerprint import diff_fields
from syncbridge.domain.plan import PlannedOp
from syncbridge.domain.records import EntityType, Record
from syncbridge.errors import SyncError
from syncbridge.store._upsert import insert_for
from syncbridge.store._util import as_utc, opt_utc
from syncbridge.store.tables import (
    new_id,
    now_utc,
    sync_conflict,
    sync_conflict_strategy,
    sync_field_policy,
)

t = sync_conflict


def field_diff(target: Record | None, source: Record | None) -> dict[str, dict[str, Any]]:
    """``{field: {"old": target's value, "new": source's value}}`` for the comparable fields that differ."""
    if target is None or source is None:
        return {}
    old, new = to_dict(target), to_dict(source)
    return {name: {"old": old.get(name), "new": new.get(name)} for name in diff_fields(target, source)}


@dataclass(frozen=True, slots=True)
class ConflictDraft:
    """What the engine knows about an item that failed or disagreed; ``record_conflict`` stores it.

    Plain JSON-ready values: ``operation`` is ``PlannedOp.to_json()``, the versions ``codec.to_dict`` of the
    record the operation wanted to write (source) and of what the target holds (``None``: unknown or absent),
    ``diff`` is ``{field: {"old": target value, "new": source value}}``. ``for_operation`` builds one from
    the domain values.
    """

    entity: str
    conflict_type: ConflictType
    strategy: Strategy
    status: ConflictStatus = ConflictStatus.OPEN
    run_id: str | None = None
    batch_id: str | None = None
    hub_id: str | None = None
    natural_key: str | None = None
    source_system: str | None = None
    target_system: str | None = None
    external_ids: Mapping[str, str] = field(default_factory=dict)
    operation: Mapping[str, Any] | None = None
    source_version: Mapping[str, Any] | None = None
    target_version: Mapping[str, Any] | None = None
    diff: Mapping[str, Any] = field(default_factory=dict)
    error_code: str | None = None
    error_message: str | None = None
    attempts: int = 0
    next_retry_at: datetime | None = None

    @classmethod
    def for_operation(
        cls,
        op: PlannedOp,
        conflict_type: ConflictType,
        strategy: Strategy,
        *,
        status: ConflictStatus = ConflictStatus.OPEN,
        error: SyncError | None = None,
        target_version: Record | None = None,
        run_id: str | None = None,
        batch_id: str | None = None,
        attempts: int = 0,
        next_retry_at: datetime | None = None,
    ) -> ConflictDraft:
        """A draft for a planned operation that failed with ``error`` (or disagreed, without one); the diff
        is that of the target's version against the operation's record."""
        ids = {str(op.source_system): op.source_id, str(op.target_system): op.target_id}
        return cls(
            entity=op.entity.value,
            conflict_type=conflict_type,
            strategy=strategy,
            status=status,
            run_id=run_id,
            batch_id=batch_id,
            hub_id=op.hub_id,
            natural_key=op.natural_key,
            source_system=op.source_system.value,
            target_system=op.target_system.value,
            external_ids={k: v for k, v in ids.items() if v is not None},
            operation=op.to_json(),
            source_version=None if op.record is None else to_dict(op.record),
            target_version=None if target_version is None else to_dict(target_version),
            diff=field_diff(target_version, op.record),
            error_code=error.code if error is not None else None,
            error_message=error.message if error is not None else None,
            attempts=attempts,
            next_retry_at=next_retry_at,
        )


@dataclass(frozen=True, slots=True)
class ConflictRow:
    id: str
    org_id: str
    run_id: str | None
    batch_id: str | None
    entity: str
    conflict_type: ConflictType
    status: ConflictStatus
    strategy: Strategy
    hub_id: str | None
    natural_key: str | None
    source_system: str | None
    target_system: str | None
    external_ids: Mapping[str, str]
    operation: Mapping[str, Any] | None
    source_version: Mapping[str, Any] | None
    target_version: Mapping[str, Any] | None
    diff: Mapping[str, Mapping[str, Any]]
    error_code: str | None
    error_message: str | None
    attempts: int
    next_retry_at: datetime | None
    resolution: str | None
    resolved_by: str | None
    resolved_at: datetime | None
    created_at: datetime
    updated_at: datetime

    def planned_op(self) -> PlannedOp | None:
        return None if self.operation is None else PlannedOp.from_json(dict(self.operation))


def _row(row: sa.Row[Any]) -> ConflictRow:
    data = dict(row._mapping)
    data.update(
        conflict_type=ConflictType(row.conflict_type),
        status=ConflictStatus(row.status),
        strategy=Strategy(row.strategy),
        external_ids=dict(row.external_ids or {}),
        diff=dict(row.diff or {}),
        next_retry_at=opt_utc(row.next_retry_at),
        resolved_at=opt_utc(row.resolved_at),
        created_at=as_utc(row.created_at),
        updated_at=as_utc(row.updated_at),
    )
    return ConflictRow(**data)


def _plain(value: Mapping[str, Any] | None) -> dict[str, Any] | None:
    return None if value is None else dict(value)


def record_conflict(conn: sa.Connection, org_id: str, draft: ConflictDraft) -> str:
    """Store the draft; the new conflict's id."""
    conflict_id = new_id()
    now = now_utc()
    conn.execute(
        t.insert().values(
            id=conflict_id,
            org_id=org_id,
            run_id=draft.run_id,
            batch_id=draft.batch_id,
            entity=str(draft.entity),
            conflict_type=draft.conflict_type.value,
            status=draft.status.value,
            strategy=draft.strategy.value,
            hub_id=draft.hub_id,
            natural_key=draft.natural_key,
            source_system=draft.source_system,
            target_system=draft.target_system,
            external_ids=dict(draft.external_ids),
            operation=_plain(draft.operation),
            source_version=_plain(draft.source_version),
            target_version=_plain(draft.target_version),
            diff=dict(draft.diff),
            error_code=draft.error_code,
            error_message=draft.error_message,
            attempts=draft.attempts,
            next_retry_at=opt_utc(draft.next_retry_at),
            created_at=now,
            updated_at=now,
        )
    )
    return conflict_id


def get_conflict(conn: sa.Connection, org_id: str, conflict_id: str) -> ConflictRow | None:
    row = conn.execute(sa.select(t).where(t.c.org_id == org_id, t.c.id == conflict_id)).first()
    return None if row is None else _row(row)


@dataclass(frozen=True, slots=True)
class ConflictFilter:
    run_id: str | None = None
    conflict_type: ConflictType | None = None
    entity: str | None = None
    status: ConflictStatus | None = None


def _where(org_id: str, filters: ConflictFilter) -> list[sa.ColumnElement[bool]]:
    conditions = [t.c.org_id == org_id]
    if filters.run_id is not None:
        conditions.append(t.c.run_id == filters.run_id)
    if filters.conflict_type is not None:
        conditions.append(t.c.conflict_type == filters.conflict_type.value)
    if filters.entity is not None:
        conditions.append(t.c.entity == filters.entity)
    if filters.status is not None:
        conditions.append(t.c.status == filters.status.value)
    return conditions


def list_conflicts(
    conn: sa.Connection,
    org_id: str,
    filters: ConflictFilter | None = None,
    *,
    page: int = 1,
    page_size: int = 50,
) -> tuple[list[ConflictRow], int]:
    """One page of conflicts, newest first, and the total that match the filters."""
    if page < 1 or page_size < 1:
        raise ValueError("page and page_size start at 1")
    conditions = _where(org_id, filters or ConflictFilter())
    total = int(conn.execute(sa.select(sa.func.count()).select_from(t).where(*conditions)).scalar_one())
    rows = conn.execute(
        sa.select(t)
        .where(*conditions)
        .order_by(t.c.created_at.desc(), t.c.id.desc())
        .offset((page - 1) * page_size)
        .limit(page_size)
    )
    return [_row(r) for r in rows], total


def _is_open() -> sa.ColumnElement[bool]:
    return t.c.status.in_([s.value for s in OPEN_STATUSES])


def _update_open(conn: sa.Connection, org_id: str, conflict_id: str, values: dict[str, Any]) -> bool:
    values["updated_at"] = now_utc()
    result = conn.execute(t.update().where(t.c.org_id == org_id, t.c.id == conflict_id, _is_open()).values(**values))
    return result.rowcount > 0


def _error_values(error: SyncError | None) -> dict[str, Any]:
    return {} if error is None else {"error_code": error.code, "error_message": error.message}


def schedule_retry(
    conn: sa.Connection,
    org_id: str,
    conflict_id: str,
    *,
    attempts: int,
    next_retry_at: datetime | None,
    error: SyncError | None = None,
) -> bool:
    """Mark an open conflict ``retrying``, due at ``next_retry_at``; ``False`` when closed or unknown."""
    values = {
        "status": ConflictStatus.RETRYING.value,
        "attempts": attempts,
        "next_retry_at": opt_utc(next_retry_at),
    }
    return _update_open(conn, org_id, conflict_id, values | _error_values(error))


def reopen_conflict(
    conn: sa.Connection, org_id: str, conflict_id: str, *, attempts: int, error: SyncError | None = None
) -> bool:
    """Back to ``open`` for review (a retry failed); ``False`` when it is closed or unknown."""
    values = {"status": ConflictStatus.OPEN.value, "attempts": attempts, "next_retry_at": None}
    return _update_open(conn, org_id, conflict_id, values | _error_values(error))


def close_conflict(
    conn: sa.Connection,
    org_id: str,
    conflict_id: str,
    *,
    status: ConflictStatus,
    resolution: str,
    resolved_by: str,
    resolved_at: datetime | None = None,
    attempts: int | None = None,
) -> bool:
    """Close an open conflict as resolved or skipped, saying how, by whom and when; ``False`` when it was
    closed already (another resolver won) or is unknown."""
    if status not in (ConflictStatus.RESOLVED, ConflictStatus.SKIPPED):
        raise ValueError(f"a conflict is closed as resolved or skipped, not {status.value}")
    when = as_utc(resolved_at) if resolved_at is not None else now_utc()
    values: dict[str, Any] = {
        "status": status.value,
        "resolution": resolution,
        "resolved_by": resolved_by,
        "resolved_at": when,
        "next_retry_at": None,
    }
    if attempts is not None:
        values["attempts"] = attempts
    return _update_open(conn, org_id, conflict_id, values)


def close_readable_again(
    conn: sa.Connection, org_id: str, entity: str, system: str, keys: Sequence[str], *, resolved_by: str
) -> int:
    """Close the open read-side conflicts (``<system>#<id>``: a payload that could not be read, a record without a
    natural key) of records that were read whole this time: someone fixed them at the source."""
    if not keys:
        return 0
    now = now_utc()
    result = conn.execute(
        t.update()
        .where(
            t.c.org_id == org_id,
            t.c.entity == entity,
            t.c.source_system == system,
            t.c.natural_key.in_(list(keys)),
            _is_open(),
        )
        .values(
            status=ConflictStatus.RESOLVED.value,
            resolution="readable_again",
            resolved_by=resolved_by,
            resolved_at=now,
            next_retry_at=None,
            updated_at=now,
        )
    )
    return int(result.rowcount or 0)


def delete_for_batch(conn: sa.Connection, org_id: str, run_id: str, batch_id: str) -> int:
    """Drop the conflicts a batch (or a planning step) recorded, before it records them again."""
    return conn.execute(t.delete().where(t.c.org_id == org_id, t.c.run_id == run_id, t.c.batch_id == batch_id)).rowcount


def due_retries(conn: sa.Connection, org_id: str, *, now: datetime, limit: int = 100) -> list[ConflictRow]:
    """``retrying`` conflicts whose ``next_retry_at`` has come, oldest due first."""
    rows = conn.execute(
        sa.select(t)
        .where(
            t.c.org_id == org_id,
            t.c.status == ConflictStatus.RETRYING.value,
            t.c.next_retry_at <= as_utc(now),
        )
        .order_by(t.c.next_retry_at, t.c.id)
        .limit(limit)
    )
    return [_row(r) for r in rows]


# -- statistics ----------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ConflictStats:
    total: int
    by_type: Mapping[str, int]
    by_status: Mapping[str, int]
    by_entity: Mapping[str, int]
    by_run: Mapping[str, int]  # run id ("" for conflicts outside a run) -> count
    mean_time_to_resolution_s: float | None  # over closed conflicts
    oldest_open_id: str | None
    oldest_open_at: datetime | None


def _seconds_between(conn: sa.Connection, start: Any, end: Any) -> sa.ColumnElement[Any]:
    if conn.dialect.name == "postgresql":
        return sa.extract("epoch", end - start)
    return (sa.func.julianday(end) - sa.func.julianday(start)) * 86400.0


def _counts(conn: sa.Connection, org_id: str, column: sa.Column[Any]) -> dict[str, int]:
    rows = conn.execute(
        sa.select(column, sa.func.count()).where(t.c.org_id == org_id).group_by(column).order_by(column)
    )
    return {("" if key is None else str(key)): int(n) for key, n in rows}


def conflict_stats(conn: sa.Connection, org_id: str) -> ConflictStats:
    by_status = _counts(conn, org_id, t.c.status)
    mean = conn.execute(
        sa.select(sa.func.avg(_seconds_between(conn, t.c.created_at, t.c.resolved_at))).where(
            t.c.org_id == org_id, t.c.resolved_at.is_not(None)
        )
    ).scalar_one()
    oldest = conn.execute(
        sa.select(t.c.id, t.c.created_at)
        .where(t.c.org_id == org_id, _is_open())
        .order_by(t.c.created_at, t.c.id)
        .limit(1)
    ).first()
    return ConflictStats(
        total=sum(by_status.values()),
        by_type=_counts(conn, org_id, t.c.conflict_type),
        by_status=by_status,
        by_entity=_counts(conn, org_id, t.c.entity),
        by_run=_counts(conn, org_id, t.c.run_id),
        mean_time_to_resolution_s=None if mean is None else max(0.0, float(mean)),
        oldest_open_id=None if oldest is None else oldest.id,
        oldest_open_at=None if oldest is None else as_utc(oldest.created_at),
    )


# -- strategies and field policies ---------------------------------------------------------------------------


def strategy_overrides(conn: sa.Connection, org_id: str) -> dict[tuple[str, ConflictType], Strategy]:
    s = sync_conflict_strategy
    rows = conn.execute(sa.select(s.c.entity, s.c.conflict_type, s.c.strategy).where(s.c.org_id == org_id))
    return {(r.entity, ConflictType(r.conflict_type)): Strategy(r.strategy) for r in rows}


def set_strategy(
    conn: sa.Connection, org_id: str, *, entity: str, conflict_type: ConflictType, strategy: Strategy | None
) -> None:
    """Set the organization's strategy for (entity or ``"*"``, type); ``None`` removes the override."""
    s = sync_conflict_strategy
    key = (s.c.org_id == org_id, s.c.entity == entity, s.c.conflict_type == conflict_type.value)
    if strategy is None:
        conn.execute(s.delete().where(*key))
        return
    stmt = insert_for(conn, s).values(
        org_id=org_id, entity=entity, conflict_type=conflict_type.value, strategy=strategy.value
    )
    conn.execute(
        stmt.on_conflict_do_update(
            index_elements=["org_id", "entity", "conflict_type"], set_={"strategy": strategy.value}
        )
    )


def field_policies(conn: sa.Connection, org_id: str) -> dict[tuple[EntityType, str], PolicySource]:
    p = sync_field_policy
    rows = conn.execute(sa.select(p.c.entity, p.c.field, p.c.source).where(p.c.org_id == org_id))
    return {(EntityType(r.entity), r.field): PolicySource(r.source) for r in rows}


def set_field_policy(
    conn: sa.Connection, org_id: str, *, entity: EntityType, field_name: str, source: PolicySource | None
) -> None:
    """Set the organization's source of truth for (entity, field); ``None`` removes the override."""
    p = sync_field_policy
    key = (p.c.org_id == org_id, p.c.entity == entity.value, p.c.field == field_name)
    if source is None:
        conn.execute(p.delete().where(*key))
        return
    stmt = insert_for(conn, p).values(org_id=org_id, entity=entity.value, field=field_name, source=source.value)
    conn.execute(
        stmt.on_conflict_do_update(index_elements=["org_id", "entity", "field"], set_={"source": source.value})
    )


def open_natural_keys(conn: sa.Connection, org_id: str, entity: str, system: str) -> set[str]:
    """Natural keys of the entity with an open (or retrying) conflict that involves ``system`` (as source or
    target). A run plans none of them to or from that system until the conflict is resolved: one disagreement is
    one conflict (not one per run), and the side a human must decide on is not overwritten meanwhile."""
    rows = conn.execute(
        sa.select(t.c.natural_key).where(
            t.c.org_id == org_id,
            t.c.entity == entity,
            sa.or_(t.c.source_system == system, t.c.target_system == system),
            t.c.status.in_([s.value for s in OPEN_STATUSES]),
            t.c.natural_key.is_not(None),
        )
    )
    return {str(r.natural_key) for r in rows}
