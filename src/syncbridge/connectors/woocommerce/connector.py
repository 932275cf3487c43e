"""``WooCommerceConnector``: the five entity types over the WooCommerce REST API.

Reads: products and orders incrementally (``modified_after = cursor - overlap``, ``dates_are_gmt``,
``orderby=modified&order=asc``), the live statuses then the trash so deletes are seen; customers by a full
paged read (the real shop ignores a modified filter on customers). The cursor is the largest
``date_modified_gmt`` seen. Inventory comes from products and variations with ``manage_stock``; payments from
orders' paid dates and their refunds.

Writes (``writes``, ``write_catalog``, ``write_sales``): chunks of at most 100 operations, each costing O(1)
requests: batched natural-key lookups, then one ``/<resource>/batch``. A create whose natural key exists links
to the record there (after a lost response, or a duplicate answer) and updates it. Deleting a product or an
order trashes it (single ``DELETE`` without ``force``: batch deletes are always forced, and a trashed record
is what the hub reads back as archived / cancelled); customers are deleted for good (batch delete).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import timedelta
from typing import Any

import httpx

from syncbridge.connectors.base import NullGate, Operation, OpResult, Page, Rejected, RequestGate
from syncbridge.connectors.woocommerce import lookups, writes
from syncbridge.connectors.woocommerce import mapping as m
from syncbridge.connectors.woocommerce.batching import item_error
from syncbridge.connectors.woocommerce.client import WooClient
from syncbridge.domain.records import (
    EntityType,
    Record,
    System,
)
from syncbridge.domain.seen import SeenIds
from syncbridge.errors import ValidationError

BATCH = 100


class WooCommerceConnector:
    system = System.WOOCOMMERCE

    def __init__(
        self,
        base_url: str,
        consumer_key: str,
        consumer_secret: str,
        *,
        auth: str = "auto",
        timeout: float = 30.0,
        verify: bool | str = True,
        gate: RequestGate | None = None,
        overlap_s: int = 120,
        client: httpx.Client | None = None,
    ) -> None:
        self.client = WooClient(
            base_url,
            consumer_key,
            consumer_secret,
            auth=auth,
            timeout=timeout,
            verify=verify,
            gate=gate or NullGate(),
            client=client,
        )
        self.overlap = timedelta(seconds=overlap_s)

    def close(self) -> None:
        self.client.close()

    # -- reading ----------------------------------------------------------------------------------
    def _since(self, since: str | None) -> list[tuple[str, str]]:
        if since is None:
            return []
        start = m.parse_gmt(since)
        assert start is not None
        return [("modified_after", m.wc_date(start - self.overlap)), ("dates_are_gmt", "true")]

    def _raw(self, path: str, since: str | None, page_size: int) -> Iterator[list[dict[str, Any]]]:
        """Live items then trashed ones, oldest change first; ids seen twice in the stream are dropped."""
        seen = SeenIds()
        for status in ("any", "trash"):
            params = [*self._since(since), ("orderby", "modified"), ("order", "asc"), ("status", status)]
            for items in self.client.pages(path, params, per_page=page_size):
                fresh = [i for i in items if i["id"] not in seen]
                for i in fresh:
                    seen.add(int(i["id"]))
                if fresh:
                    yield fresh

    def _variations(self, product: dict[str, Any]) -> list[dict[str, Any]]:
        if product.get("type") != "variable" or not product.get("variations"):
            return []
        out: list[dict[str, Any]] = []
        for items in self.client.pages(f"/products/{product['id']}/variations", []):
            out.extend(items)
        return out

    def iter_changes(self, entity: EntityType, since: str | None = None, *, page_size: int = 100) -> Iterator[Page]:
        cursor = since
        if entity is EntityType.CUSTOMERS:
            for items in self.client.pages("/customers", [("orderby", "id"), ("order", "asc")], per_page=page_size):
                records, rejected = self._records(entity, items)
                yield Page(tuple(records), None, tuple(rejected))
            return
        path = "/orders" if entity in (EntityType.ORDERS, EntityType.PAYMENTS) else "/products"
        for items in self._raw(path, since, page_size):
            for item in items:
                stamp = item.get("date_modified_gmt")
                if stamp and (cursor is None or stamp > cursor):
                    cursor = stamp
            records, rejected = self._records(entity, items)
            yield Page(tuple(records), cursor, tuple(rejected))

    def _records(self, entity: EntityType, items: list[dict[str, Any]]) -> tuple[list[Record], list[Rejected]]:
        """The items as records; an item whose payload cannot be read is rejected alone, not the page."""
        out: list[Record] = []
        rejected: list[Rejected] = []
        for item in items:
            try:
                out.extend(self._item_records(entity, item))
            except ValidationError as exc:
                rejected.append(Rejected(str(item.get("id") if isinstance(item, dict) else item), exc))
        return out, rejected

    def _item_records(self, entity: EntityType, item: dict[str, Any]) -> list[Record]:
        out: list[Record] = []
        if entity is EntityType.CUSTOMERS:
            out.append(m.customer_from_wc(item))
        else:
            if entity is EntityType.PRODUCTS:
                out.append(m.product_from_wc(item, self._variations(item)))
            elif entity is EntityType.INVENTORY:
                level = m.stock_from_wc(item)
                if level is not None:
                    out.append(level)
                out.extend(s for v in self._variations(item) if (s := m.stock_from_wc(v, item["id"])))
            elif entity is EntityType.ORDERS:
                out.append(m.order_from_wc(item))
            else:
                refunds = self.client.json("GET", f"/orders/{item['id']}/refunds") if item.get("refunds") else []
                out.extend(m.payments_from_wc(item, refunds))
        return out

    def fetch(self, entity: EntityType, external_ids: Sequence[str]) -> list[Record]:
        wanted = list(dict.fromkeys(external_ids))
        path = {
            EntityType.CUSTOMERS: "/customers",
            EntityType.ORDERS: "/orders",
            EntityType.PAYMENTS: "/orders",
        }.get(entity, "/products")
        heads = sorted({int(x.split("/")[0]) for x in wanted if x.split("/")[0].isdigit()})
        items: list[dict[str, Any]] = []
        for i in range(0, len(heads), 100):
            chunk = ",".join(str(h) for h in heads[i : i + 100])
            statuses = ("any",) if entity is EntityType.CUSTOMERS else ("any", "trash")
            for status in statuses:
                params = [("include", chunk)] + ([("status", status)] if entity is not EntityType.CUSTOMERS else [])
                for page in self.client.pages(path, params):
                    items.extend(page)
        records, _rejected = self._records(entity, items)  # a malformed record is left out, as a missing one is
        keep = set(wanted)
        return [r for r in records if r.external_id in keep]

    def find_by_natural_key(self, entity: EntityType, keys: Sequence[str]) -> dict[str, Record]:
        wanted = set(keys)
        if entity is EntityType.CUSTOMERS:
            found = lookups.customers_by_email(self.client, keys)
            return {k: m.customer_from_wc(c) for k, c in found.items()}
        if entity in (EntityType.PRODUCTS, EntityType.INVENTORY):
            hits = lookups.by_sku(self.client, [k.split("@")[0] for k in keys])
            if entity is EntityType.PRODUCTS:
                return {
                    sku: m.product_from_wc(p, self._variations(p))
                    for sku, p in hits.items()
                    if sku in wanted and p.get("type") != "variation"
                }
            levels = [m.stock_from_wc(p, p.get("parent_id") or None) for p in hits.values()]
            return {s.natural_key: s for s in levels if s is not None and s.natural_key in wanted}
        orders = lookups.orders_by_number(self.client, [k.split("/")[0] for k in keys])
        if entity is EntityType.ORDERS:
            return {n: m.order_from_wc(o) for n, o in orders.items() if n in wanted}
        out: dict[str, Record] = {}
        for o in orders.values():
            refunds = self.client.json("GET", f"/orders/{o['id']}/refunds") if o.get("refunds") else []
            out.update({p.reference: p for p in m.payments_from_wc(o, refunds) if p.reference in wanted})
        return out

    # -- writing ----------------------------------------------------------------------------------
    def apply(self, entity: EntityType, operations: Sequence[Operation]) -> list[OpResult]:
        """In chunks of 100: each costs O(1) requests (see ``writes``); one result per operation, in order."""
        results: list[OpResult] = []
        for i in range(0, len(operations), BATCH):
            results.extend(writes.apply_chunk(self.client, entity, list(operations[i : i + BATCH])))
        return results


__all__ = ["WooCommerceConnector", "item_error"]
