"""Products (with their variations) and stock levels, written a chunk at a time.

Products: one ``/products/batch`` carries every create and update of the chunk. A create whose SKU is taken is
refused with ``product_invalid_sku`` naming the holder (``data.resource_id``): it is linked to it and updated
in one more batch, so a retry after a lost response never duplicates. Variations need one
``/products/<id>/variations/batch`` per variable product (the API has no cross-product variation batch); the
existing variations of an updated product are its ``variations`` ids in the batch answer, matched to the
wanted variants by one SKU lookup for the whole chunk. Trashing (a deleted or archived product) is one
``DELETE`` each: batch deletes are always forced, and the hub reads a trashed product back as archived.

Stock: SKUs of creates are resolved by one lookup; then one ``/products/batch`` for simple products and one
variations batch per parent.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from syncbridge.connectors.base import Operation, OpKind
from syncbridge.connectors.woocommerce import lookups
from syncbridge.connectors.woocommerce import mapping as m
from syncbridge.connectors.woocommerce.batching import Item, Results, run_batch
from syncbridge.connectors.woocommerce.writes import first_per_key, numeric_id
from syncbridge.domain.records import Product, ProductStatus, StockLevel
from syncbridge.errors import DuplicateKeyError, NotFoundError, SyncError, ValidationError

if TYPE_CHECKING:
    from syncbridge.connectors.woocommerce.client import WooClient

Json = dict[str, Any]
ALREADY_TRASHED = "woocommerce_rest_already_trashed"
NOT_A_PRODUCT = "woocommerce_rest_invalid_product_id"  # the id is a variation's


@dataclass(frozen=True, slots=True)
class Written:
    """A product the batch wrote: its answer, whether a create linked to it, whether it is brand new."""

    body: Json
    linked: bool
    new: bool


def _trash(client: WooClient, product_id: int) -> SyncError | None:
    try:
        client.json("DELETE", f"/products/{product_id}")
    except NotFoundError as exc:
        if exc.code != ALREADY_TRASHED:
            return exc
    except SyncError as exc:
        return exc
    return None


def write_products(client: WooClient, ops: list[Operation], results: Results) -> None:
    items: list[Item] = []
    deletes: list[tuple[int, int]] = []
    records: dict[int, Product] = {}
    for n, op in enumerate(ops):
        if op.kind is OpKind.DELETE:
            if (target := numeric_id(op, results, n)) is not None:
                deletes.append((n, target))
            continue
        if not isinstance(op.record, Product):
            results.fail(n, ValidationError("not a product record", code="wrong_record"))
            continue
        records[n] = op.record
        payload = m.product_to_wc(op.record)
        if op.kind is OpKind.CREATE:
            items.append(Item("create", payload, n))
        elif (target := numeric_id(op, results, n)) is not None:
            items.append(Item("update", {"id": target, **payload}, n))
    written = _write_heads(client, ops, items, results)
    _write_variations(client, records, written, results)
    for n, done in written.items():
        if results.settled(n):
            continue
        if records[n].status is ProductStatus.ARCHIVED and (error := _trash(client, int(done.body["id"]))):
            results.fail(n, error)
        else:
            results.ok(n, str(done.body["id"]), linked=done.linked)
    for n, target in deletes:
        if (error := _trash(client, target)) is not None:
            results.fail(n, error)
        else:
            results.ok(n, str(target))


def _write_heads(client: WooClient, ops: list[Operation], items: list[Item], results: Results) -> dict[int, Written]:
    """The products batch, then the links of creates whose SKU was taken; failures are settled here."""
    may_link = first_per_key(ops, [item.tag for item in items if item.action == "create"])
    payloads = {item.tag: item.payload for item in items}
    written: dict[int, Written] = {}
    taken: dict[int, SyncError] = {}
    relink: list[Item] = []
    for outcome in run_batch(client, "/products", items):
        n, error = outcome.tag, outcome.error
        holder = error.details.get("resource_id") if isinstance(error, DuplicateKeyError) else None
        if error is None:
            written[n] = Written(outcome.body or {}, linked=False, new=ops[n].kind is OpKind.CREATE)
        elif ops[n].kind is OpKind.CREATE and n in may_link and str(holder or "").isdigit() and int(str(holder)):
            taken[n] = error
            relink.append(Item("update", {**payloads[n], "id": int(str(holder))}, n))
        else:
            results.fail(n, error)
    for outcome in run_batch(client, "/products", relink):
        n, error = outcome.tag, outcome.error
        if error is None:
            written[n] = Written(outcome.body or {}, linked=True, new=False)
        else:  # the SKU is a variation's: linking a product to it would be wrong, the create stays refused
            results.fail(n, taken[n] if error.code == NOT_A_PRODUCT else error)
    return written


def _write_variations(
    client: WooClient, records: dict[int, Product], written: dict[int, Written], results: Results
) -> None:
    todo = {
        n: done for n, done in written.items() if records[n].variants or (not done.new and done.body.get("variations"))
    }
    existing: dict[str, Json] = {}
    lookup = {v.sku for n, done in todo.items() if not done.new for v in records[n].variants}
    if lookup:
        try:
            existing = lookups.by_sku(client, lookup)
        except SyncError as exc:
            results.fail_all((n for n, done in todo.items() if not done.new), exc)
    for n, done in todo.items():
        if results.settled(n):
            continue
        product_id = int(done.body["id"])
        current = {int(i) for i in done.body.get("variations") or []}
        items: list[Item] = []
        kept: set[int] = set()
        for variant in records[n].variants:
            hit = existing.get(variant.sku)
            payload = m.variation_to_wc(variant)
            if hit is not None and int(hit.get("parent_id") or 0) == product_id and int(hit["id"]) in current:
                kept.add(int(hit["id"]))
                items.append(Item("update", {"id": int(hit["id"]), **payload}, variant.sku))
            else:
                items.append(Item("create", payload, variant.sku))
        items += [Item("delete", i, i) for i in sorted(current - kept)]
        failed = next(
            (o.error for o in run_batch(client, f"/products/{product_id}/variations", items) if o.error), None
        )
        if failed is not None:
            results.fail(n, failed)


# -- stock ---------------------------------------------------------------------------------------
def _target(hit: Json) -> str | SyncError:
    if hit.get("type") == "variation":
        return f"{int(hit.get('parent_id') or 0)}/{int(hit['id'])}"
    if hit.get("type") == "variable":
        return ValidationError(f"SKU {hit.get('sku')} is a variable product: stock lives on its variations")
    return str(int(hit["id"]))


def write_stock(client: WooClient, ops: list[Operation], results: Results) -> None:
    lookup = [n for n, op in enumerate(ops) if op.kind is OpKind.CREATE and isinstance(op.record, StockLevel)]
    hits = lookups.by_sku(client, [r.sku for n in lookup if isinstance(r := ops[n].record, StockLevel)])
    simple: list[Item] = []
    by_parent: dict[int, list[Item]] = {}
    targets: dict[int, str] = {}
    for n, op in enumerate(ops):
        record = op.record
        if op.kind is not OpKind.DELETE and not isinstance(record, StockLevel):
            results.fail(n, ValidationError("not a stock level", code="wrong_record"))
            continue
        if isinstance(record, StockLevel) and op.kind is OpKind.CREATE:
            hit = hits.get(record.sku.strip())
            if hit is None:
                results.fail(n, NotFoundError(f"no product or variation with SKU {record.sku}", code="unknown_sku"))
                continue
            target = _target(hit)
            if isinstance(target, SyncError):
                results.fail(n, target)
                continue
        elif numeric_id(op, results, n) is None:
            continue
        else:
            target = str(op.external_id)
        targets[n] = target
        body = (
            m.stock_to_wc(record)
            if isinstance(record, StockLevel) and op.kind is not OpKind.DELETE
            else {"manage_stock": False}
        )
        head, _, variation = target.partition("/")
        if variation:
            by_parent.setdefault(int(head), []).append(Item("update", {"id": int(variation), **body}, n))
        else:
            simple.append(Item("update", {"id": int(head), **body}, n))
    outcomes = run_batch(client, "/products", simple)
    for parent, items in by_parent.items():
        outcomes += run_batch(client, f"/products/{parent}/variations", items)
    for outcome in outcomes:
        n = outcome.tag
        if outcome.error is not None:
            results.fail(n, outcome.error)
        else:
            results.ok(n, targets[n], linked=ops[n].kind is OpKind.CREATE)
