"""The five hub tables: the hub's own copy of every record, one row per natural key and organization.

A row holds ``codec.to_dict(record)`` in ``data`` (without system-specific ids: the hub is neutral; links
live in ``sync_link``), the record's fingerprint, its natural-key columns and a ``deleted`` flag. Records
read back carry ``hub_id`` (the row id). ``updated_at`` moves only when the fingerprint changes or a deleted
row comes back, so re-saving an unchanged record does not show up as a change.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from operator import itemgetter
from typing import Any

import sqlalchemy as sa

from syncbridge.domain.codec import from_dict, to_dict
from syncbridge.domain.fingerprint import fingerprint_of
from syncbridge.domain.records import EntityType, Product, Record, StockLevel
from syncbridge.errors import NotFoundError, ValidationError
from syncbridge.store._upsert import insert_for
from syncbridge.store._util import as_utc, chunked, keyset_pages
from syncbridge.store.tables import HUB_TABLES, new_id, now_utc

_IN_CHUNK = 500


def table_of(entity: EntityType | str) -> sa.Table:
    return HUB_TABLES[EntityType(entity).value]


def key_columns(entity: EntityType | str) -> tuple[str, ...]:
    return ("sku", "location") if EntityType(entity) is EntityType.INVENTORY else (_SINGLE_KEY[entity],)


_SINGLE_KEY: dict[str, str] = {
    EntityType.CUSTOMERS: "email",
    EntityType.PRODUCTS: "sku",
    EntityType.ORDERS: "number",
    EntityType.PAYMENTS: "reference",
}


def key_values(record: Record) -> dict[str, str]:
    """The natural-key columns of a record (the e-mail lower-cased, surrounding spaces stripped)."""
    if isinstance(record, StockLevel):
        return {"sku": record.sku.strip(), "location": record.location}
    return {_SINGLE_KEY[record.ENTITY]: record.natural_key}


def key_lookups(entity: EntityType | str, keys: Iterable[str]) -> list[str]:
    """The values of the first key column to look natural keys up by (then keep the rows whose
    ``natural_key_of_row`` is wanted). A stock level's key is ``sku@location`` and either part may hold an "@",
    so every sku the key could start with is looked up."""
    if EntityType(entity) is EntityType.INVENTORY:
        return sorted({k[:i] for k in keys for i, c in enumerate(k) if c == "@"})
    return sorted(set(keys))


def natural_key_of_row(entity: EntityType | str, row: sa.Row[*tuple[Any, ...]]) -> str:
    if EntityType(entity) is EntityType.INVENTORY:
        return f"{row.sku}@{row.location}"
    value: str = getattr(row, _SINGLE_KEY[entity])
    return value


def _neutral(record: Record) -> Record:
    """The record without the ids of the system it came from."""
    if isinstance(record, Product) and record.variants:
        record = dataclasses.replace(
            record, variants=tuple(dataclasses.replace(v, external_id=None) for v in record.variants)
        )
    return dataclasses.replace(record, external_id=None, hub_id=None)


def _record(entity: EntityType | str, row: sa.Row[*tuple[Any, ...]]) -> Record:
    return from_dict(entity, {**row.data, "hub_id": row.id})


@dataclasses.dataclass(frozen=True, slots=True)
class HubRow:
    """A hub record with its row's bookkeeping (for the hub connector)."""

    record: Record
    deleted: bool
    updated_at: datetime


def _hub_row(entity: EntityType | str, row: sa.Row[*tuple[Any, ...]]) -> HubRow:
    return HubRow(_record(entity, row), bool(row.deleted), as_utc(row.updated_at))


def upsert_record(conn: sa.Connection, org_id: str, record: Record) -> str:
    """Save the record; its hub id. Matched by ``record.hub_id`` when set (``NotFoundError`` when there is
    no such row), else by natural key (inserted when new). A deleted row comes back to life."""
    if not record.natural_key:
        raise ValidationError(f"a {record.ENTITY} record needs its natural key")
    table = table_of(record.ENTITY)
    data = to_dict(_neutral(record))
    fingerprint = fingerprint_of(record)
    keys = key_values(record)
    now = now_utc()
    if record.hub_id is not None:
        changed = sa.or_(table.c.fingerprint != fingerprint, table.c.deleted)
        hub_id: str | None = conn.execute(
            table.update()
            .where(table.c.org_id == org_id, table.c.id == record.hub_id)
            .values(
                **keys,
                data=data,
                fingerprint=fingerprint,
                deleted=False,
                updated_at=sa.case((changed, now), else_=table.c.updated_at),
            )
            .returning(table.c.id)
        ).scalar_one_or_none()
        if hub_id is None:
            raise NotFoundError(f"no hub {record.ENTITY} record {record.hub_id}")
        return hub_id
    stmt = insert_for(conn, table).values(
        id=new_id(),
        org_id=org_id,
        **keys,
        data=data,
        fingerprint=fingerprint,
        deleted=False,
        created_at=now,
        updated_at=now,
    )
    changed = sa.or_(table.c.fingerprint != stmt.excluded.fingerprint, table.c.deleted)
    stmt = stmt.on_conflict_do_update(
        index_elements=["org_id", *keys],
        set_={
            "data": stmt.excluded.data,
            "fingerprint": stmt.excluded.fingerprint,
            "deleted": False,
            "updated_at": sa.case((changed, stmt.excluded.updated_at), else_=table.c.updated_at),
        },
    ).returning(table.c.id)
    inserted: str = conn.execute(stmt).scalar_one()
    return inserted


def get_records(
    conn: sa.Connection, org_id: str, entity: EntityType | str, hub_ids: Sequence[str]
) -> dict[str, Record]:
    """The records with these hub ids (deleted ones included), keyed by hub id; unknown ids are left out."""
    return {hub_id: row.record for hub_id, row in get_rows(conn, org_id, entity, hub_ids).items()}


def get_rows(conn: sa.Connection, org_id: str, entity: EntityType | str, hub_ids: Sequence[str]) -> dict[str, HubRow]:
    """Like ``get_records``, with each row's ``deleted`` flag and ``updated_at``."""
    table = table_of(entity)
    out: dict[str, HubRow] = {}
    for part in chunked(list(dict.fromkeys(hub_ids)), _IN_CHUNK):
        rows = conn.execute(sa.select(table).where(table.c.org_id == org_id, table.c.id.in_(part)))
        out.update((r.id, _hub_row(entity, r)) for r in rows)
    return out


def find_by_natural_keys(
    conn: sa.Connection,
    org_id: str,
    entity: EntityType | str,
    keys: Sequence[str],
    *,
    include_deleted: bool = False,
) -> dict[str, Record]:
    """Records by natural key (``sku@location`` for stock levels), keyed by the natural key."""
    table = table_of(entity)
    inventory = EntityType(entity) is EntityType.INVENTORY
    wanted = set(keys)
    column = table.c.sku if inventory else table.c[_SINGLE_KEY[entity]]
    lookups = key_lookups(entity, wanted)
    out: dict[str, Record] = {}
    for part in chunked(lookups, _IN_CHUNK):
        query = sa.select(table).where(table.c.org_id == org_id, column.in_(part))
        if not include_deleted:
            query = query.where(table.c.deleted.is_(False))
        for row in conn.execute(query):
            key = natural_key_of_row(entity, row)
            if key in wanted:
                out[key] = _record(entity, row)
    return out


def iter_rows_after(
    conn: sa.Connection,
    org_id: str,
    entity: EntityType | str,
    *,
    after: tuple[datetime, str] | None,
    limit: int,
) -> list[HubRow]:
    """Up to ``limit`` rows (deleted ones included) after the (updated_at, id) position, in that order."""
    table = table_of(entity)
    query = sa.select(table).where(table.c.org_id == org_id)
    if after is not None:
        stamp, last_id = as_utc(after[0]), after[1]
        query = query.where(
            sa.or_(table.c.updated_at > stamp, sa.and_(table.c.updated_at == stamp, table.c.id > last_id))
        )
    rows = conn.execute(query.order_by(table.c.updated_at, table.c.id).limit(limit))
    return [_hub_row(entity, r) for r in rows]


def iter_records(
    conn: sa.Connection,
    org_id: str,
    entity: EntityType | str,
    *,
    include_deleted: bool = False,
    updated_since: datetime | None = None,
    chunk: int = 2000,
) -> Iterator[Record]:
    """Every record (optionally only those updated at or after ``updated_since``), ``chunk`` rows per query.

    Paged by id, so saving records while iterating neither repeats nor skips any."""
    table = table_of(entity)
    after = ""
    while True:
        query = sa.select(table).where(table.c.org_id == org_id, table.c.id > after)
        if not include_deleted:
            query = query.where(table.c.deleted.is_(False))
        if updated_since is not None:
            query = query.where(table.c.updated_at >= as_utc(updated_since))
        rows = conn.execute(query.order_by(table.c.id).limit(chunk)).all()
        yield from (_record(entity, r) for r in rows)
        if len(rows) < chunk:
            return
        after = rows[-1].id


def fingerprint_page(
    conn: sa.Connection, org_id: str, entity: EntityType | str, *, after: str = "", limit: int = 5000
) -> list[tuple[str, str, str, bool]]:
    """``(hub_id, natural_key, fingerprint, deleted)`` of up to ``limit`` rows with ids above ``after``, in id
    order, without decoding the records (keyset paging: pass the last hub id for the next page)."""
    table = table_of(entity)
    key_cols = [table.c[name] for name in key_columns(entity)]
    rows = conn.execute(
        sa.select(table.c.id, *key_cols, table.c.fingerprint, table.c.deleted)
        .where(table.c.org_id == org_id, table.c.id > after)
        .order_by(table.c.id)
        .limit(limit)
    ).all()
    return [(r.id, natural_key_of_row(entity, r), r.fingerprint, bool(r.deleted)) for r in rows]


def iter_fingerprints(
    conn: sa.Connection, org_id: str, entity: EntityType | str, *, chunk: int = 5000
) -> Iterator[tuple[str, str, str, bool]]:
    """``fingerprint_page`` over every row, in one connection."""
    return keyset_pages(
        lambda after: fingerprint_page(conn, org_id, entity, after=after, limit=chunk), itemgetter(0), chunk
    )


def mark_deleted(conn: sa.Connection, org_id: str, entity: EntityType | str, hub_id: str) -> bool:
    """Flag the record deleted; ``False`` when there is no such row or it is deleted already."""
    table = table_of(entity)
    result = conn.execute(
        table.update()
        .where(table.c.org_id == org_id, table.c.id == hub_id, table.c.deleted.is_(False))
        .values(deleted=True, updated_at=now_utc())
    )
    return result.rowcount > 0


def exists(conn: sa.Connection, org_id: str, entity: EntityType | str, hub_id: str) -> bool:
    table = table_of(entity)
    found = conn.execute(
        sa.select(table.c.id).where(table.c.org_id == org_id, table.c.id == hub_id)
    ).scalar_one_or_none()
    return found is not None


def count_records(conn: sa.Connection, org_id: str, entity: EntityType | str, *, include_deleted: bool = False) -> int:
    table = table_of(entity)
    query = sa.select(sa.func.count()).select_from(table).where(table.c.org_id == org_id)
    if not include_deleted:
        query = query.where(table.c.deleted.is_(False))
    return int(conn.execute(query).scalar_one())


def upsert_many(conn: sa.Connection, org_id: str, records: Sequence[Record]) -> list[str]:
    """``upsert_record`` for many records of one entity in two statements; the hub ids in input order.

    Raises (leaving the caller to fall back to one record at a time) when a row breaks a constraint, e.g. an
    update that moves a record onto another record's natural key, or a hub id that does not exist.
    """
    if not records:
        return []
    entity = records[0].ENTITY
    table = table_of(entity)
    now = now_utc()
    out: list[str | None] = [None] * len(records)
    by_id = [(n, r) for n, r in enumerate(records) if r.hub_id is not None]
    by_key = [(n, r) for n, r in enumerate(records) if r.hub_id is None]
    if any(not r.natural_key for r in records):
        raise ValidationError(f"a {entity} record needs its natural key")
    if by_id:
        rows = [
            {
                "_id": r.hub_id,
                **{f"_k_{k}": v for k, v in key_values(r).items()},
                "_data": to_dict(_neutral(r)),
                "_fp": fingerprint_of(r),
            }
            for _, r in by_id
        ]
        changed = sa.or_(table.c.fingerprint != sa.bindparam("_fp"), table.c.deleted)
        stmt = (
            table.update()
            .where(table.c.org_id == org_id, table.c.id == sa.bindparam("_id"))
            .values(
                **{k: sa.bindparam(f"_k_{k}") for k in key_columns(entity)},
                data=sa.bindparam("_data", type_=table.c.data.type),
                fingerprint=sa.bindparam("_fp"),
                deleted=False,
                updated_at=sa.case((changed, now), else_=table.c.updated_at),
            )
        )
        result = conn.execute(stmt, rows)
        if result.rowcount != len(rows):
            raise NotFoundError(f"some hub {entity} records of the batch do not exist")
        for n, r in by_id:
            out[n] = r.hub_id
    if by_key:
        ins = insert_for(conn, table)
        changed = sa.or_(table.c.fingerprint != ins.excluded.fingerprint, table.c.deleted)
        stmt = ins.on_conflict_do_update(
            index_elements=["org_id", *key_columns(entity)],
            set_={
                "data": ins.excluded.data,
                "fingerprint": ins.excluded.fingerprint,
                "deleted": False,
                "updated_at": sa.case((changed, ins.excluded.updated_at), else_=table.c.updated_at),
            },
        ).returning(table.c.id, sort_by_parameter_order=True)
        new_rows: list[dict[str, Any]] = [
            {
                "id": new_id(),
                "org_id": org_id,
                **key_values(r),
                "data": to_dict(_neutral(r)),
                "fingerprint": fingerprint_of(r),
                "deleted": False,
                "created_at": now,
                "updated_at": now,
            }
            for _, r in by_key
        ]
        ids = [row[0] for row in conn.execute(stmt, new_rows)]
        for (n, _), hub_id in zip(by_key, ids, strict=True):
            out[n] = hub_id
    return [str(i) for i in out]
