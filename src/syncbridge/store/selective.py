"""``sync_selective_config``: which kinds of change (new / updated / deleted) a run applies, per entity.

An entity without a row has the defaults of ``Selective``: new and updated yes, deleted no.
"""

from __future__ import annotations

import sqlalchemy as sa

from syncbridge.domain.plan import Selective
from syncbridge.domain.records import ENTITY_ORDER, EntityType
from syncbridge.store._upsert import insert_for
from syncbridge.store.tables import now_utc, sync_selective_config

t = sync_selective_config


def get_selective(conn: sa.Connection, org_id: str, entity: EntityType | str) -> Selective:
    row = conn.execute(
        sa.select(t.c.include_new, t.c.include_updated, t.c.include_deleted).where(
            t.c.org_id == org_id, t.c.entity == EntityType(entity).value
        )
    ).first()
    if row is None:
        return Selective()
    return Selective(bool(row.include_new), bool(row.include_updated), bool(row.include_deleted))


def set_selective(conn: sa.Connection, org_id: str, entity: EntityType | str, selective: Selective) -> None:
    values = {
        "include_new": selective.include_new,
        "include_updated": selective.include_updated,
        "include_deleted": selective.include_deleted,
        "updated_at": now_utc(),
    }
    stmt = insert_for(conn, t).values(org_id=org_id, entity=EntityType(entity).value, **values)
    conn.execute(stmt.on_conflict_do_update(index_elements=["org_id", "entity"], set_=values))


def list_selective(conn: sa.Connection, org_id: str) -> dict[EntityType, Selective]:
    """Every entity type (in dependency order), saved settings or the defaults."""
    saved = {
        row.entity: Selective(bool(row.include_new), bool(row.include_updated), bool(row.include_deleted))
        for row in conn.execute(sa.select(t).where(t.c.org_id == org_id))
    }
    return {entity: saved.get(entity.value, Selective()) for entity in ENTITY_ORDER}
