"""``sync_cursor``: where the last change listing of (system, entity) stopped, per organization."""

from __future__ import annotations

import sqlalchemy as sa

from syncbridge.store._upsert import insert_for
from syncbridge.store.tables import now_utc, sync_cursor


def get_cursor(conn: sa.Connection, org_id: str, system: str, entity: str) -> str | None:
    value: str | None = conn.execute(
        sa.select(sync_cursor.c.value).where(
            sync_cursor.c.org_id == org_id, sync_cursor.c.system == system, sync_cursor.c.entity == entity
        )
    ).scalar_one_or_none()
    return value


def set_cursor(conn: sa.Connection, org_id: str, system: str, entity: str, value: str | None) -> None:
    """Store the cursor; ``None`` forgets it (the next listing starts from the beginning)."""
    now = now_utc()
    stmt = insert_for(conn, sync_cursor).values(
        org_id=org_id, system=system, entity=entity, value=value, updated_at=now
    )
    conn.execute(
        stmt.on_conflict_do_update(
            index_elements=["org_id", "system", "entity"], set_={"value": value, "updated_at": now}
        )
    )


def list_cursors(conn: sa.Connection, org_id: str) -> dict[tuple[str, str], str | None]:
    """Every cursor of the organization, keyed by (system, entity)."""
    rows = conn.execute(
        sa.select(sync_cursor.c.system, sync_cursor.c.entity, sync_cursor.c.value).where(
            sync_cursor.c.org_id == org_id
        )
    )
    return {(r.system, r.entity): r.value for r in rows}
