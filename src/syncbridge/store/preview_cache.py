"""``sync_preview_cache``: the last computed preview per (organization, system, entity, direction).

Entries carry their own expiry; readers decide freshness with their clock (``CachedPreview.fresh_at``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from syncbridge.store._upsert import insert_for
from syncbridge.store._util import as_utc
from syncbridge.store.tables import sync_preview_cache

t = sync_preview_cache


@dataclass(frozen=True, slots=True)
class CachedPreview:
    payload: dict[str, Any]
    computed_at: datetime
    expires_at: datetime

    def fresh_at(self, now: datetime) -> bool:
        return now < self.expires_at


def get_cached(
    conn: sa.Connection, org_id: str, system: str, entity: str, direction: str
) -> CachedPreview | None:
    """The stored entry, fresh or not; ``None`` when there is none."""
    row = conn.execute(
        sa.select(t.c.payload, t.c.computed_at, t.c.expires_at).where(
            t.c.org_id == org_id, t.c.system == system, t.c.entity == entity, t.c.direction == direction
        )
    ).first()
    if row is None:
        return None
    return CachedPreview(dict(row.payload), as_utc(row.computed_at), as_utc(row.expires_at))


def put_cached(
    conn: sa.Connection,
    org_id: str,
    system: str,
    entity: str,
    direction: str,
    *,
    payload: Mapping[str, Any],
    computed_at: datetime,
    expires_at: datetime,
) -> None:
    """Store (or replace) the entry."""
    values = {"payload": dict(payload), "computed_at": as_utc(computed_at), "expires_at": as_utc(expires_at)}
    stmt = insert_for(conn, t).values(org_id=org_id, system=system, entity=entity, direction=direction, **values)
    conn.execute(
        stmt.on_conflict_do_update(index_elements=["org_id", "system", "entity", "direction"], set_=values)
    )


def invalidate(conn: sa.Connection, org_id: str, entity: str, system: str | None = None) -> int:
    """Delete the entity's entries (of one system, or of all); the number deleted."""
    query = t.delete().where(t.c.org_id == org_id, t.c.entity == entity)
    if system is not None:
        query = query.where(t.c.system == system)
    return conn.execute(query).rowcount


def purge_expired(conn: sa.Connection, org_id: str, now: datetime) -> int:
    """Delete the organization's entries that expired at or before ``now``; the number deleted."""
    return conn.execute(t.delete().where(t.c.org_id == org_id, t.c.expires_at <= as_utc(now))).rowcount
