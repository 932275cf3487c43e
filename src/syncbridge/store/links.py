"""``sync_link``: which record of an external system is which hub record, and its last synced fingerprint.

One hub record links to at most one record per (entity, system) and the other way round: linking a hub record
to a new external id replaces its old link.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from operator import attrgetter
from typing import Any

import sqlalchemy as sa

from syncbridge.store._upsert import insert_for
from syncbridge.store._util import as_utc, chunked, keyset_pages, opt_utc
from syncbridge.store.tables import new_id, now_utc, sync_link

_IN_CHUNK = 500


@dataclass(frozen=True, slots=True)
class LinkRow:
    id: str
    org_id: str
    entity: str
    hub_id: str
    system: str
    external_id: str
    last_fingerprint: str | None
    last_synced_at: datetime | None


def _row(row: sa.Row[*tuple[Any, ...]]) -> LinkRow:
    return LinkRow(
        id=row.id,
        org_id=row.org_id,
        entity=row.entity,
        hub_id=row.hub_id,
        system=row.system,
        external_id=row.external_id,
        last_fingerprint=row.last_fingerprint,
        last_synced_at=opt_utc(row.last_synced_at),
    )


def _scope(org_id: str, entity: str, system: str) -> list[sa.ColumnElement[bool]]:
    return [sync_link.c.org_id == org_id, sync_link.c.entity == entity, sync_link.c.system == system]


def upsert_link(
    conn: sa.Connection,
    org_id: str,
    *,
    entity: str,
    hub_id: str,
    system: str,
    external_id: str,
    fingerprint: str | None,
    synced_at: datetime | None = None,
) -> None:
    """Link ``hub_id`` and ``external_id`` (``synced_at`` defaults to now), replacing their older links."""
    when = as_utc(synced_at) if synced_at is not None else now_utc()
    conn.execute(
        sync_link.delete().where(
            *_scope(org_id, entity, system),
            sync_link.c.hub_id == hub_id,
            sync_link.c.external_id != external_id,
        )
    )
    stmt = insert_for(conn, sync_link).values(
        id=new_id(),
        org_id=org_id,
        entity=entity,
        hub_id=hub_id,
        system=system,
        external_id=external_id,
        last_fingerprint=fingerprint,
        last_synced_at=when,
    )
    conn.execute(
        stmt.on_conflict_do_update(
            index_elements=["org_id", "entity", "system", "external_id"],
            set_={"hub_id": hub_id, "last_fingerprint": fingerprint, "last_synced_at": when},
        )
    )


def get_link_by_external(
    conn: sa.Connection, org_id: str, entity: str, system: str, external_id: str
) -> LinkRow | None:
    row = conn.execute(
        sa.select(sync_link).where(*_scope(org_id, entity, system), sync_link.c.external_id == external_id)
    ).first()
    return None if row is None else _row(row)


def get_link_by_hub(conn: sa.Connection, org_id: str, entity: str, system: str, hub_id: str) -> LinkRow | None:
    row = conn.execute(
        sa.select(sync_link).where(*_scope(org_id, entity, system), sync_link.c.hub_id == hub_id)
    ).first()
    return None if row is None else _row(row)


def links_by_external(
    conn: sa.Connection, org_id: str, entity: str, system: str, external_ids: Sequence[str]
) -> dict[str, LinkRow]:
    """The links of these external ids, keyed by external id (unlinked ids are left out)."""
    out: dict[str, LinkRow] = {}
    for part in chunked(list(dict.fromkeys(external_ids)), _IN_CHUNK):
        query = sa.select(sync_link).where(*_scope(org_id, entity, system), sync_link.c.external_id.in_(part))
        out.update((r.external_id, _row(r)) for r in conn.execute(query))
    return out


def links_by_hub(
    conn: sa.Connection, org_id: str, entity: str, system: str, hub_ids: Sequence[str]
) -> dict[str, LinkRow]:
    """The links of these hub ids, keyed by hub id (unlinked ids are left out)."""
    out: dict[str, LinkRow] = {}
    for part in chunked(list(dict.fromkeys(hub_ids)), _IN_CHUNK):
        query = sa.select(sync_link).where(*_scope(org_id, entity, system), sync_link.c.hub_id.in_(part))
        out.update((r.hub_id, _row(r)) for r in conn.execute(query))
    return out


def link_page(
    conn: sa.Connection, org_id: str, entity: str, system: str, *, after: str = "", limit: int = 5000
) -> list[LinkRow]:
    """Up to ``limit`` links of (entity, system) with ids above ``after``, in id order (keyset paging)."""
    rows = conn.execute(
        sa.select(sync_link)
        .where(*_scope(org_id, entity, system), sync_link.c.id > after)
        .order_by(sync_link.c.id)
        .limit(limit)
    ).all()
    return [_row(r) for r in rows]


def iter_links(conn: sa.Connection, org_id: str, entity: str, system: str, *, chunk: int = 5000) -> Iterator[LinkRow]:
    """Every link of (entity, system), in id order, ``chunk`` rows per query, in one connection."""
    return keyset_pages(
        lambda after: link_page(conn, org_id, entity, system, after=after, limit=chunk), attrgetter("id"), chunk
    )


def delete_link(
    conn: sa.Connection,
    org_id: str,
    entity: str,
    system: str,
    *,
    external_id: str | None = None,
    hub_id: str | None = None,
) -> int:
    """Delete the link with this external id and/or hub id; the number of rows deleted."""
    if external_id is None and hub_id is None:
        raise ValueError("delete_link needs external_id or hub_id")
    conditions = _scope(org_id, entity, system)
    if external_id is not None:
        conditions.append(sync_link.c.external_id == external_id)
    if hub_id is not None:
        conditions.append(sync_link.c.hub_id == hub_id)
    return conn.execute(sync_link.delete().where(*conditions)).rowcount


def count_links(conn: sa.Connection, org_id: str, entity: str | None = None, system: str | None = None) -> int:
    query = sa.select(sa.func.count()).select_from(sync_link).where(sync_link.c.org_id == org_id)
    if entity is not None:
        query = query.where(sync_link.c.entity == entity)
    if system is not None:
        query = query.where(sync_link.c.system == system)
    return int(conn.execute(query).scalar_one())


@dataclass(frozen=True, slots=True)
class LinkWrite:
    entity: str
    hub_id: str
    system: str
    external_id: str
    fingerprint: str | None


def upsert_links(conn: sa.Connection, org_id: str, writes: Sequence[LinkWrite]) -> None:
    """``upsert_link`` for many links in a few statements (a batch's bookkeeping). Same semantics: a hub record's
    older link to another external id of the same system is replaced."""
    if not writes:
        return
    when = now_utc()
    latest = {(w.entity, w.system, w.external_id): w for w in writes}
    by_hub = {(w.entity, w.system, w.hub_id): w for w in latest.values()}
    for (entity, system), group in _grouped(by_hub.values()).items():
        for part in chunked(group, _IN_CHUNK):
            conn.execute(
                sync_link.delete().where(
                    *_scope(org_id, entity, system),
                    sync_link.c.hub_id.in_([w.hub_id for w in part]),
                    sync_link.c.external_id.not_in([w.external_id for w in part]),
                )
            )
    stmt = insert_for(conn, sync_link)
    stmt = stmt.on_conflict_do_update(
        index_elements=["org_id", "entity", "system", "external_id"],
        set_={
            "hub_id": stmt.excluded.hub_id,
            "last_fingerprint": stmt.excluded.last_fingerprint,
            "last_synced_at": stmt.excluded.last_synced_at,
        },
    )
    rows = [
        {
            "id": new_id(),
            "org_id": org_id,
            "entity": w.entity,
            "hub_id": w.hub_id,
            "system": w.system,
            "external_id": w.external_id,
            "last_fingerprint": w.fingerprint,
            "last_synced_at": when,
        }
        for w in by_hub.values()
    ]
    conn.execute(stmt, rows)


def _grouped(writes: Iterable[LinkWrite]) -> dict[tuple[str, str], list[LinkWrite]]:
    out: dict[tuple[str, str], list[LinkWrite]] = {}
    for w in writes:
        out.setdefault((w.entity, w.system), []).append(w)
    return out
