"""``sync_activity_log``: what happened, for the activity feed, the run log and the activity chart."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from syncbridge.store._util import as_utc
from syncbridge.store.tables import new_id, now_utc, sync_activity_log

t = sync_activity_log


@dataclass(frozen=True, slots=True)
class ActivityRow:
    id: str
    org_id: str
    kind: str
    message: str
    created_at: datetime
    run_id: str | None = None
    entity: str | None = None
    system: str | None = None
    counts: Mapping[str, Any] = field(default_factory=dict)
    duration_ms: int | None = None


@dataclass(frozen=True, slots=True)
class HistogramBucket:
    start: datetime
    kind: str
    count: int


def record_activity(
    conn: sa.Connection,
    org_id: str,
    *,
    kind: str,
    message: str = "",
    run_id: str | None = None,
    entity: str | None = None,
    system: str | None = None,
    counts: Mapping[str, Any] | None = None,
    duration_ms: int | None = None,
) -> str:
    """Append one entry; its id."""
    entry_id = new_id()
    conn.execute(
        t.insert().values(
            id=entry_id,
            org_id=org_id,
            kind=kind,
            message=message,
            run_id=run_id,
            entity=entity,
            system=system,
            counts=dict(counts or {}),
            duration_ms=duration_ms,
            created_at=now_utc(),
        )
    )
    return entry_id


def _row(row: sa.Row[*tuple[Any, ...]]) -> ActivityRow:
    return ActivityRow(
        id=row.id,
        org_id=row.org_id,
        kind=row.kind,
        message=row.message,
        created_at=as_utc(row.created_at),
        run_id=row.run_id,
        entity=row.entity,
        system=row.system,
        counts=dict(row.counts or {}),
        duration_ms=row.duration_ms,
    )


def list_activity(
    conn: sa.Connection,
    org_id: str,
    *,
    run_id: str | None = None,
    kind: str | None = None,
    limit: int = 100,
    before: datetime | None = None,
) -> list[ActivityRow]:
    """Newest first; ``before`` pages back (pass the ``created_at`` of the last entry seen)."""
    query = sa.select(t).where(t.c.org_id == org_id)
    if run_id is not None:
        query = query.where(t.c.run_id == run_id)
    if kind is not None:
        query = query.where(t.c.kind == kind)
    if before is not None:
        query = query.where(t.c.created_at < as_utc(before))
    query = query.order_by(t.c.created_at.desc(), t.c.id.desc()).limit(max(0, limit))
    return [_row(r) for r in conn.execute(query)]


def _bucket(conn: sa.Connection, bucket_s: int) -> sa.ColumnElement[Any]:
    """The bucket number of ``created_at``: whole epoch seconds divided by ``bucket_s``, rounded down."""
    if conn.dialect.name == "postgresql":
        return sa.cast(sa.func.floor(sa.extract("epoch", t.c.created_at) / bucket_s), sa.BigInteger)
    # SQLite: integer division of integers truncates, and epoch seconds here are never negative.
    return sa.cast(sa.func.strftime("%s", t.c.created_at), sa.Integer).op("/")(bucket_s)


def activity_histogram(
    conn: sa.Connection, org_id: str, *, bucket_s: int, since: datetime
) -> list[HistogramBucket]:
    """Entries per ``bucket_s``-second bucket (aligned to the epoch) and kind since ``since``, oldest first;
    empty buckets are left out."""
    if bucket_s <= 0:
        raise ValueError("bucket_s must be positive")
    bucket = _bucket(conn, bucket_s).label("bucket")
    query = (
        sa.select(bucket, t.c.kind, sa.func.count().label("n"))
        .where(t.c.org_id == org_id, t.c.created_at >= as_utc(since))
        .group_by(bucket, t.c.kind)
        .order_by(bucket, t.c.kind)
    )
    return [
        HistogramBucket(start=datetime.fromtimestamp(int(r.bucket) * bucket_s, UTC), kind=r.kind, count=r.n)
        for r in conn.execute(query)
    ]
