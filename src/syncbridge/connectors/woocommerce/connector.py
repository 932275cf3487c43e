"""``WooCommerceConnector``: the five entity types over the WooCommerce REST API.

Reads: products and orders incrementally (``modified_after = cursor - overlap``, ``dates_are_gmt``,
``orderby=modified&order=asc``), the live statuses then the trash so deletes are seen; customers by a full
paged read (the real shop ignores a modified filter on customers). The cursor is the largest
``date_modified_gmt`` seen. Inventory comes from products and variations with ``manage_stock``; payments from
orders' paid dates and their refunds.

Writes: batches of at most 100 through ``/<resource>/batch``. A create first looks its natural key up and
links to a record already there (after a lost response, or a duplicate SKU answer's ``resource_id``). Deleting
a product or an order trashes it (single ``DELETE`` without ``force``: batch deletes are always forced, and
a trashed record is what the hub reads back as archived / cancelled); deleting a customer needs ``force=true``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import timedelta
from typing import Any

import httpx

from syncbridge.connectors.base import NullGate, Operation, OpKind, OpResult, Page, RequestGate
from syncbridge.connectors.woocommerce import mapping as m
from syncbridge.connectors.woocommerce.client import WooClient, error_from_body
from syncbridge.domain.records import (
    Customer,
    EntityType,
    Order,
    Payment,
    PaymentState,
    Product,
    Record,
    StockLevel,
    System,
)
from syncbridge.errors import NotFoundError, SyncError, ValidationError

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
        seen: set[int] = set()
        for status in ("any", "trash"):
            params = [*self._since(since), ("orderby", "modified"), ("order", "asc"), ("status", status)]
            for items in self.client.pages(path, params, per_page=page_size):
                fresh = [i for i in items if i["id"] not in seen]
                seen.update(i["id"] for i in fresh)
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
                yield Page(tuple(m.customer_from_wc(i) for i in items), None)
            return
        path = "/orders" if entity in (EntityType.ORDERS, EntityType.PAYMENTS) else "/products"
        for items in self._raw(path, since, page_size):
            for item in items:
                stamp = item.get("date_modified_gmt")
                if stamp and (cursor is None or stamp > cursor):
                    cursor = stamp
            yield Page(tuple(self._records(entity, items)), cursor)

    def _records(self, entity: EntityType, items: list[dict[str, Any]]) -> list[Record]:
        out: list[Record] = []
        for item in items:
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
        if entity is EntityType.CUSTOMERS:
            records: list[Record] = [m.customer_from_wc(i) for i in items]
        else:
            records = self._records(entity, items)
        keep = set(wanted)
        return [r for r in records if r.external_id in keep]

    def find_by_natural_key(self, entity: EntityType, keys: Sequence[str]) -> dict[str, Record]:
        found: dict[str, Record] = {}
        if entity is EntityType.CUSTOMERS:
            for key in dict.fromkeys(k.strip().lower() for k in keys):
                for c in self.client.json("GET", "/customers", [("email", key)]):
                    found[key] = m.customer_from_wc(c)
            return found
        if entity in (EntityType.PRODUCTS, EntityType.INVENTORY):
            skus = list(dict.fromkeys(k.split("@")[0].strip() for k in keys))
            for i in range(0, len(skus), 50):
                items = self.client.json("GET", "/products", [("sku", ",".join(skus[i : i + 50])), ("per_page", "100")])
                heads = [p for p in items if p.get("type") != "variation"]
                if entity is EntityType.PRODUCTS:
                    for p in heads:
                        found[str(p["sku"])] = m.product_from_wc(p, self._variations(p))
                    continue
                for p in items:
                    level = m.stock_from_wc(p, p.get("parent_id") or None)
                    if level is not None:
                        found[level.natural_key] = level
            return {k: v for k, v in found.items() if k in set(keys) or entity is EntityType.PRODUCTS}
        for key in dict.fromkeys(k.split("/")[0].strip() for k in keys):
            for o in self.client.json("GET", "/orders", [("search", key), ("status", "any")]):
                if m.order_number(o) != key:
                    continue
                if entity is EntityType.ORDERS:
                    found[key] = m.order_from_wc(o)
                else:
                    refunds = self.client.json("GET", f"/orders/{o['id']}/refunds") if o.get("refunds") else []
                    for p in m.payments_from_wc(o, refunds):
                        found[p.reference] = p
        return {k: v for k, v in found.items() if k in set(keys)}

    # -- writing ----------------------------------------------------------------------------------
    def apply(self, entity: EntityType, operations: Sequence[Operation]) -> list[OpResult]:
        from syncbridge.connectors.woocommerce import writes

        results: list[OpResult] = []
        for i in range(0, len(operations), BATCH):
            results.extend(writes.apply_chunk(self, entity, list(operations[i : i + BATCH])))
        return results


def item_error(item: dict[str, Any]) -> SyncError | None:
    err = item.get("error")
    if not isinstance(err, dict):
        return None
    data = err.get("data") if isinstance(err.get("data"), dict) else {}
    return error_from_body(int((data or {}).get("status", 400)), err)


__all__ = ["WooCommerceConnector", "item_error"]
_ = (Customer, Order, Payment, PaymentState, Product, StockLevel, NotFoundError, ValidationError, OpKind)
