"""The hub database as a connector: the engine syncs to and from it like any other system.

A hub record's external id *is* its hub id. Constructed with a ``Connection``, the connector reads and writes
in the caller's transaction; constructed with an ``Engine`` (or a factory of connection contexts), it opens a
short transaction per call. Each operation of ``apply`` runs in its own savepoint, so one failure does not
undo the others.

The change cursor is ``<updated_at ISO>|<hub id>``; listings run in (updated_at, id) order and include deleted
rows, shown inactive (product archived, customer inactive, order / payment cancelled; a stock level as is).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, nullcontext
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from syncbridge.connectors.base import Operation, OpKind, OpResult, Page
from syncbridge.domain.codec import with_ids
from syncbridge.domain.records import (
    Customer,
    EntityType,
    Order,
    OrderStatus,
    Payment,
    PaymentState,
    Product,
    ProductStatus,
    Record,
    System,
)
from syncbridge.errors import NotFoundError, SyncError, ValidationError
from syncbridge.store import hub_records
from syncbridge.store.session import transaction, translate_db_error

ConnFactory = Callable[[], AbstractContextManager[sa.Connection]]


def encode_cursor(updated_at: datetime, hub_id: str) -> str:
    return f"{updated_at.isoformat()}|{hub_id}"


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        stamp, hub_id = cursor.rsplit("|", 1)
        return datetime.fromisoformat(stamp), hub_id
    except ValueError:
        raise ValidationError(f"not a hub cursor: {cursor!r}") from None


def as_inactive(record: Record) -> Record:
    """How a deleted hub record is shown in a listing."""
    if isinstance(record, Product):
        return dataclasses.replace(record, status=ProductStatus.ARCHIVED)
    if isinstance(record, Customer):
        return dataclasses.replace(record, active=False)
    if isinstance(record, Order):
        return dataclasses.replace(record, status=OrderStatus.CANCELLED)
    if isinstance(record, Payment):
        return dataclasses.replace(record, state=PaymentState.CANCELLED)
    return record


def _external(record: Record) -> Record:
    return with_ids(record, external_id=record.hub_id)


def _shown(row: hub_records.HubRow) -> Record:
    return _external(as_inactive(row.record) if row.deleted else row.record)


class HubConnector:
    system: System = System.HUB

    def __init__(self, source: sa.Connection | Engine | ConnFactory, org_id: str) -> None:
        self.org_id = org_id
        self._source = source

    def _conn(self) -> AbstractContextManager[sa.Connection]:
        source = self._source
        if isinstance(source, sa.Connection):
            return nullcontext(source)
        if isinstance(source, Engine):
            return transaction(source)
        return source()

    def iter_changes(
        self, entity: EntityType, since: str | None = None, *, page_size: int = 100
    ) -> Iterator[Page]:
        after = decode_cursor(since) if since else None
        while True:
            with self._conn() as conn:
                rows = hub_records.iter_rows_after(conn, self.org_id, entity, after=after, limit=page_size)
            if not rows:
                return
            after = (rows[-1].updated_at, rows[-1].record.hub_id or "")
            records = tuple(_shown(r) for r in rows)
            yield Page(records=records, cursor=encode_cursor(*after))
            if len(rows) < page_size:
                return

    def fetch(self, entity: EntityType, external_ids: Sequence[str]) -> list[Record]:
        with self._conn() as conn:
            found = hub_records.get_rows(conn, self.org_id, entity, external_ids)
        return [_shown(found[i]) for i in external_ids if i in found]

    def find_by_natural_key(self, entity: EntityType, keys: Sequence[str]) -> dict[str, Record]:
        with self._conn() as conn:
            found = hub_records.find_by_natural_keys(conn, self.org_id, entity, keys)
        return {key: _external(record) for key, record in found.items()}

    def apply(self, entity: EntityType, operations: Sequence[Operation]) -> list[OpResult]:
        results: list[OpResult] = []
        with self._conn() as conn:
            for op in operations:
                try:
                    with conn.begin_nested():
                        results.append(self._apply_one(conn, entity, op))
                except SyncError as exc:
                    results.append(OpResult(key=op.key, error=exc))
                except sa.exc.DBAPIError as exc:
                    results.append(OpResult(key=op.key, error=translate_db_error(exc)))
        return results

    def _apply_one(self, conn: sa.Connection, entity: EntityType, op: Operation) -> OpResult:
        if op.kind is OpKind.DELETE:
            hub_id = op.external_id or (op.record.hub_id if op.record else None)
            if not hub_id:
                raise ValidationError("a delete needs the hub id")
            if not hub_records.mark_deleted(conn, self.org_id, entity, hub_id) and not hub_records.exists(
                conn, self.org_id, entity, hub_id
            ):
                raise NotFoundError(f"no hub {entity} record {hub_id}")
            return OpResult(key=op.key, external_id=hub_id)
        record = op.record
        if record is None or record.ENTITY is not entity:
            raise ValidationError(f"a {op.kind} of {entity} needs a {entity} record")
        if op.kind is OpKind.CREATE:
            existing = hub_records.find_by_natural_keys(conn, self.org_id, entity, [record.natural_key])
            hub_id = hub_records.upsert_record(conn, self.org_id, dataclasses.replace(record, hub_id=None))
            return OpResult(key=op.key, external_id=hub_id, linked_existing=bool(existing))
        if not op.external_id:
            raise ValidationError("an update needs the hub id")
        hub_id = hub_records.upsert_record(
            conn, self.org_id, dataclasses.replace(record, hub_id=op.external_id)
        )
        return OpResult(key=op.key, external_id=hub_id)

    def close(self) -> None:
        return None
