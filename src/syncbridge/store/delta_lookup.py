"""The planner's delta reads: links joined to the hub records they point at, looked up a page at a time.

Planning compares what a system lists with the hub. Rather than load every link and hub fingerprint into memory
(which made a planning worker grow by some 200 bytes per synced record), the planner asks for the links of the
external ids on the page it holds, and walks the hub (or the links) once at the end, in keyset pages. Each query
is indexed: ``uq_sync_link_external`` and ``uq_sync_link_hub`` for the links, ``(org_id, id)`` and the natural key
constraint for the hub tables.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from syncbridge.domain.records import EntityType
from syncbridge.store._util import chunked
from syncbridge.store.hub_records import key_columns, key_lookups, natural_key_of_row, table_of
from syncbridge.store.tables import sync_link, sync_plan_claim

_IN_CHUNK = 500


@dataclass(frozen=True, slots=True)
class LinkedState:
    """A link and the hub record it points at (``hub_fingerprint`` None: the hub record is missing)."""

    external_id: str
    hub_id: str
    last_fingerprint: str | None
    hub_natural_key: str
    hub_fingerprint: str | None
    hub_deleted: bool


@dataclass(frozen=True, slots=True)
class HubLinkRow:
    """A hub record and its link to one system (``external_id`` None: not linked there)."""

    hub_id: str
    natural_key: str
    fingerprint: str
    deleted: bool
    external_id: str | None
    last_fingerprint: str | None


def _link_scope(org_id: str, entity: EntityType, system: str) -> list[sa.ColumnElement[bool]]:
    return [sync_link.c.org_id == org_id, sync_link.c.entity == entity.value, sync_link.c.system == system]


def _hub_join(org_id: str, entity: EntityType) -> tuple[sa.Table, sa.ColumnElement[bool]]:
    table = table_of(entity)
    return table, sa.and_(table.c.org_id == org_id, table.c.id == sync_link.c.hub_id)


def _linked_select(org_id: str, entity: EntityType, system: str) -> sa.Select[Any]:
    """The links of (entity, system), each with its hub record's state (NULLs when the record is missing)."""
    table, on = _hub_join(org_id, entity)
    return (
        sa.select(
            sync_link.c.external_id,
            sync_link.c.hub_id,
            sync_link.c.last_fingerprint,
            table.c.fingerprint,
            table.c.deleted,
            *[table.c[name] for name in key_columns(entity)],
        )
        .select_from(sync_link.outerjoin(table, on))
        .where(*_link_scope(org_id, entity, system))
    )


def _linked_state(entity: EntityType, row: sa.Row[Any]) -> LinkedState:
    present = row.fingerprint is not None
    return LinkedState(
        external_id=row.external_id,
        hub_id=row.hub_id,
        last_fingerprint=row.last_fingerprint,
        hub_natural_key=natural_key_of_row(entity, row) if present else "",
        hub_fingerprint=row.fingerprint,
        hub_deleted=bool(row.deleted) if present else True,
    )


def linked_states(
    conn: sa.Connection, org_id: str, entity: EntityType, system: str, external_ids: Sequence[str]
) -> dict[str, LinkedState]:
    """The links of these external ids with their hub records' state, keyed by external id (unlinked: absent)."""
    query = _linked_select(org_id, entity, system)
    out: dict[str, LinkedState] = {}
    for part in chunked(list(external_ids), _IN_CHUNK):
        for row in conn.execute(query.where(sync_link.c.external_id.in_(part))):
            out[row.external_id] = _linked_state(entity, row)
    return out


def unlinked_live_by_keys(
    conn: sa.Connection, org_id: str, entity: EntityType, system: str, keys: Sequence[str]
) -> dict[str, tuple[str, str]]:
    """``natural key -> (hub id, fingerprint)`` of the live hub records with these keys that have no link to
    ``system`` (``sku@location`` for stock levels; the hub holds at most one record per key)."""
    table = table_of(entity)
    wanted = set(keys)
    column = table.c[key_columns(entity)[0]]
    lookups = key_lookups(entity, wanted)
    linked = (
        sa.select(sync_link.c.hub_id)
        .where(*_link_scope(org_id, entity, system), sync_link.c.hub_id == table.c.id)
        .exists()
    )
    out: dict[str, tuple[str, str]] = {}
    for part in chunked(lookups, _IN_CHUNK):
        query = sa.select(table.c.id, table.c.fingerprint, *[table.c[n] for n in key_columns(entity)]).where(
            table.c.org_id == org_id, column.in_(part), table.c.deleted.is_(False), ~linked
        )
        for row in conn.execute(query):
            key = natural_key_of_row(entity, row)
            if key in wanted:
                out[key] = (row.id, row.fingerprint)
    return out


def hub_link_page(
    conn: sa.Connection, org_id: str, entity: EntityType, system: str, *, after: str = "", limit: int = 5000
) -> list[HubLinkRow]:
    """Up to ``limit`` hub records with ids above ``after``, in id order, each with its link to ``system``."""
    table = table_of(entity)
    on = sa.and_(*_link_scope(org_id, entity, system), sync_link.c.hub_id == table.c.id)
    rows = conn.execute(
        sa.select(
            table.c.id,
            table.c.fingerprint,
            table.c.deleted,
            sync_link.c.external_id,
            sync_link.c.last_fingerprint,
            *[table.c[n] for n in key_columns(entity)],
        )
        .select_from(table.outerjoin(sync_link, on))
        .where(table.c.org_id == org_id, table.c.id > after)
        .order_by(table.c.id)
        .limit(limit)
    ).all()
    return [
        HubLinkRow(
            hub_id=r.id,
            natural_key=natural_key_of_row(entity, r),
            fingerprint=r.fingerprint,
            deleted=bool(r.deleted),
            external_id=r.external_id,
            last_fingerprint=r.last_fingerprint,
        )
        for r in rows
    ]


def link_hub_page(
    conn: sa.Connection, org_id: str, entity: EntityType, system: str, *, after: str = "", limit: int = 5000
) -> list[LinkedState]:
    """Up to ``limit`` links of ``system`` with external ids above ``after``, in external id order (the
    ``uq_sync_link_external`` index: no sort), each with its hub record's state."""
    query = (
        _linked_select(org_id, entity, system)
        .where(sync_link.c.external_id > after)
        .order_by(sync_link.c.external_id)
        .limit(limit)
    )
    return [_linked_state(entity, row) for row in conn.execute(query)]


def claim(conn: sa.Connection, token: str, hub_ids: Sequence[str]) -> set[str]:
    """Claim these hub records for planning attempt ``token``; returns the ones it had not claimed before.
    (One attempt is one planner: nothing else writes its token.)"""
    before = claimed(conn, token, hub_ids)
    fresh = [h for h in dict.fromkeys(hub_ids) if h not in before]
    if fresh:
        conn.execute(sa.insert(sync_plan_claim), [{"token": token, "hub_id": h} for h in fresh])
    return set(fresh)


def claimed(conn: sa.Connection, token: str, hub_ids: Sequence[str]) -> set[str]:
    """Which of these hub records attempt ``token`` has claimed."""
    out: set[str] = set()
    for part in chunked(list(dict.fromkeys(hub_ids)), _IN_CHUNK):
        query = sa.select(sync_plan_claim.c.hub_id).where(
            sync_plan_claim.c.token == token, sync_plan_claim.c.hub_id.in_(part)
        )
        out.update(conn.execute(query).scalars())
    return out


def drop_claims(conn: sa.Connection, token_prefix: str) -> int:
    """Forget the claims of every attempt whose token starts with ``token_prefix``."""
    escaped = token_prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    result: Any = conn.execute(
        sa.delete(sync_plan_claim).where(sync_plan_claim.c.token.like(escaped + "%", escape="\\"))
    )
    return int(result.rowcount or 0)
