"""``OdooConnector``: the Connector protocol over Odoo 16/17/18 (JSON-RPC by default, XML-RPC, JSON-2).

Reads stream pages by ``write_date``: ``[("write_date", ">=", cursor - overlap)]`` ordered
``write_date asc, id asc`` with ``active_test: False`` (archived records are seen), paged by keyset (the last
``(write_date, id)`` seen) rather than by offset, so a record written during the walk cannot shift the pages
and be skipped; ids already yielded in the stream are not yielded again. The cursor is the largest
``write_date`` seen.

Writes: a create first looks its natural key up and links to what it finds (after a lost response, nothing is
duplicated); deletes archive partners and products, cancel orders and payments, and set stock to 0.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any

import httpx

from syncbridge.connectors.base import Operation, OpKind, OpResult, Page, RequestGate
from syncbridge.connectors.odoo import readers
from syncbridge.connectors.odoo.backend import NO_ACTIVE_TEST, OdooBackend, chunks
from syncbridge.connectors.odoo.catalog import OrderHandler, ProductHandler
from syncbridge.connectors.odoo.client import OdooClient
from syncbridge.connectors.odoo.mapping import ODOO_DATETIME
from syncbridge.connectors.odoo.writers import CustomerHandler, Handler, Outcome, PaymentHandler, StockHandler
from syncbridge.domain.records import EntityType, Record, System
from syncbridge.domain.seen import SeenIds
from syncbridge.errors import DuplicateKeyError, SyncError, ValidationError


class OdooConnector:
    system = System.ODOO

    def __init__(
        self,
        base_url: str,
        database: str,
        login: str,
        api_key: str,
        *,
        protocol: str = "jsonrpc",
        version: int | None = None,
        timeout: float = 30.0,
        verify: bool | str = True,
        gate: RequestGate | None = None,
        overlap_s: int = 120,
        client: httpx.Client | None = None,
    ) -> None:
        self.client = OdooClient(
            base_url,
            database,
            login,
            api_key,
            protocol=protocol,
            timeout=timeout,
            verify=verify,
            gate=gate,
            client=client,
        )
        self.overlap = timedelta(seconds=overlap_s)
        self._version = version
        self._backend: OdooBackend | None = None

    # -- plumbing ----------------------------------------------------------------------------------------------
    @property
    def version(self) -> int:
        if self._version is None:
            info = self.client.version().get("server_version_info") or [18]
            self._version = int(info[0])
        return self._version

    @property
    def backend(self) -> OdooBackend:
        if self._backend is None:
            self._backend = OdooBackend(self.client, self.version)
        return self._backend

    def _handler(self, entity: EntityType) -> Handler:
        b = self.backend
        if entity is EntityType.CUSTOMERS:
            return CustomerHandler(b)
        if entity is EntityType.PRODUCTS:
            return ProductHandler(b)
        if entity is EntityType.INVENTORY:
            return StockHandler(b)
        if entity is EntityType.ORDERS:
            return OrderHandler(b, CustomerHandler(b))
        return PaymentHandler(b)

    def close(self) -> None:
        self.client.close()

    # -- reads -------------------------------------------------------------------------------------------------
    def iter_changes(self, entity: EntityType, since: str | None = None, *, page_size: int = 100) -> Iterator[Page]:
        src = readers.source(self.backend, entity)
        start: str | None = None
        if since:
            start = (datetime.strptime(since[:19], ODOO_DATETIME) - self.overlap).strftime(ODOO_DATETIME)
        cursor = since or ""
        seen = SeenIds()  # every id yielded: compact, a full read of a million records costs kilobytes here
        base = [*src.domain, ("write_date", ">=", start)] if start else list(src.domain)
        for rows in self._walk(src.model, base, [*src.fields], page_size):
            fresh = [r for r in rows if r["id"] not in seen]
            for r in fresh:
                seen.add(int(r["id"]))
            cursor = max(cursor, str(rows[-1]["write_date"]))
            records, rejected = readers.to_records_or_rejects(self.backend, entity, fresh)
            yield Page(records=tuple(records), cursor=cursor, rejected=tuple(rejected))
        if start is None:
            return
        # Changes Odoo keeps on other rows (a delivery address, a variant's SKU or price, an order line) do not
        # move the parent's write_date: walk those rows too and list their parents.
        for model, parent_field in readers.DEPENDENTS.get(entity, ()):
            for rows in self._walk(
                model, [(parent_field, "!=", False), ("write_date", ">=", start)], [parent_field], page_size
            ):
                cursor = max(cursor, str(rows[-1]["write_date"]))
                parents = [p for p in sorted({_m2o(r[parent_field]) for r in rows} - {0}) if p not in seen]
                if not parents:
                    continue
                found = self.backend.search_read(
                    src.model, [*src.domain, ("id", "in", parents)], src.fields, context=NO_ACTIVE_TEST
                )
                for r in found:
                    seen.add(int(r["id"]))
                cursor = max([cursor, *(str(r["write_date"]) for r in found)])
                records, rejected = readers.to_records_or_rejects(self.backend, entity, found)
                yield Page(records=tuple(records), cursor=cursor, rejected=tuple(rejected))

    def _walk(self, model: str, domain: list[Any], fields: list[str], page_size: int) -> Iterator[list[dict[str, Any]]]:
        """Pages of ``model`` rows in ``(write_date, id)`` order, by keyset (a write during the walk cannot shift
        the pages and make a row be skipped)."""
        last: tuple[str, int] | None = None
        while True:
            page = list(domain)
            if last is not None:
                page += ["|", ("write_date", ">", last[0]), "&", ("write_date", "=", last[0]), ("id", ">", last[1])]
            rows: list[dict[str, Any]] = self.backend.search_read(
                model,
                page,
                [*fields, "write_date"],
                limit=page_size,
                order="write_date asc, id asc",
                context=NO_ACTIVE_TEST,
            )
            if not rows:
                return
            yield rows
            if len(rows) < page_size:
                return
            last = (str(rows[-1]["write_date"]), int(rows[-1]["id"]))

    def fetch(self, entity: EntityType, external_ids: Sequence[str]) -> list[Record]:
        src = readers.source(self.backend, entity)
        out: list[Record] = []
        ids = [int(i) for i in external_ids if str(i).isdigit()]
        for part in chunks(ids, 100):
            rows = self.backend.read(src.model, "read", list(part), fields=src.fields)
            if entity is EntityType.INVENTORY:
                rows = [r for r in rows if r["location_id"] and r["location_id"][0] == self.backend.stock_location_id()]
            out.extend(readers.to_records(self.backend, entity, rows))
        return out

    def find_by_natural_key(self, entity: EntityType, keys: Sequence[str]) -> dict[str, Record]:
        """Records by natural key; a key several Odoo records share raises ``DuplicateKeyError``."""
        found = self._handler(entity).lookup(keys)
        for outcome in found.values():
            if isinstance(outcome, SyncError):
                raise outcome
        by_id = {str(v): k for k, v in found.items()}
        records = self.fetch(entity, list(by_id))
        return {by_id[str(r.external_id)]: r for r in records if str(r.external_id) in by_id}

    # -- writes ------------------------------------------------------------------------------------------------
    def apply(self, entity: EntityType, operations: Sequence[Operation]) -> list[OpResult]:
        handler = self._handler(entity)
        results: dict[int, OpResult] = {}
        creates: list[tuple[int, Operation]] = []
        updates: list[tuple[int, Operation, str, bool]] = []
        deletes: list[tuple[int, Operation, str]] = []
        for index, op in enumerate(operations):
            if op.kind is OpKind.DELETE:
                if op.external_id is None:
                    results[index] = OpResult(op.key, error=ValidationError("a delete needs an external id"))
                else:
                    deletes.append((index, op, op.external_id))
            elif op.record is None:
                results[index] = OpResult(op.key, error=ValidationError(f"a {op.kind.value} needs a record"))
            elif op.kind is OpKind.UPDATE and op.external_id:
                updates.append((index, op, op.external_id, False))
            else:
                creates.append((index, op))
        found: dict[str, Outcome] = {}
        if creates:
            try:
                found = handler.lookup([op.record.natural_key for _, op in creates if op.record is not None])
            except SyncError as error:
                for index, op in creates:
                    results[index] = OpResult(op.key, error=error)
                creates = []
        new: list[tuple[int, Operation]] = []
        batch_keys: dict[str, str] = {}
        for index, op in creates:
            assert op.record is not None
            key = op.record.natural_key
            hit = found.get(key)
            if isinstance(hit, SyncError):
                results[index] = OpResult(op.key, error=hit)
            elif hit is not None:
                updates.append((index, op, hit, True))
            elif key in batch_keys:  # Odoo would take both (e-mails and SKUs are not unique there)
                results[index] = OpResult(
                    op.key,
                    error=DuplicateKeyError(f"{key!r} is created by operation {batch_keys[key]} of the same batch"),
                )
            else:
                batch_keys[key] = op.key
                new.append((index, op))
        self._run(results, new, lambda ops: handler.create([op.record for _, op in ops]), linked=False)
        if updates:
            outcomes = _guard(len(updates), lambda: handler.update([(ext, op.record) for _, op, ext, _ in updates]))
            for (index, op, _, linked), outcome in zip(updates, outcomes, strict=True):
                results[index] = _result(op, outcome, linked)
        if deletes:
            outcomes = _guard(len(deletes), lambda: handler.delete([ext for _, _, ext in deletes]))
            for (index, op, _), outcome in zip(deletes, outcomes, strict=True):
                results[index] = _result(op, outcome, False)
        return [results[i] for i in range(len(operations))]

    @staticmethod
    def _run(results: dict[int, OpResult], items: list[tuple[int, Operation]], call: Any, *, linked: bool) -> None:
        if not items:
            return
        outcomes = _guard(len(items), lambda: call(items))
        for (index, op), outcome in zip(items, outcomes, strict=True):
            results[index] = _result(op, outcome, linked)


def _m2o(value: Any) -> int:
    return int(value[0]) if isinstance(value, list | tuple) and value else 0


def _guard(count: int, call: Any) -> list[Outcome]:
    try:
        outcomes: list[Outcome] = call()
    except SyncError as error:
        return [error] * count
    return outcomes


def _result(op: Operation, outcome: Outcome, linked: bool) -> OpResult:
    if isinstance(outcome, SyncError):
        return OpResult(op.key, error=outcome)
    return OpResult(op.key, external_id=outcome, linked_existing=linked)
