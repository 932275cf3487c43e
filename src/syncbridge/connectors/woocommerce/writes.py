"""``apply`` for one chunk (<= 100 operations) of one entity; customers here, the rest in sibling modules.

Requests per chunk (n operations):

* customers  1 ``/customers/batch`` (creates, updates, deletes). Creates go straight in: the shop refuses a
             taken e-mail (``registration-error-email-exists``), and only those items are then looked up
             (``lookups.customers_by_email``) and linked with one more batch of updates.
* products   ``write_catalog``: 1 batch + 1 SKU lookup per 100 variant SKUs of existing products + 1
             variations batch per variable product + 1 ``DELETE`` per product to trash.
* inventory  ``write_catalog``: 1 SKU lookup per 100 creates + 1 products batch + 1 variations batch per parent.
* orders     ``write_sales``: order-number window + SKU lookup + customer lookup + 1 ``/orders/batch``.
* payments   ``write_sales``: order lookup + 1 ``/orders/batch`` for PAID + 1 ``POST`` per new refund.

No exception leaves for one bad item: every error becomes that item's result (a failed call: every item it
carried); a create whose natural key exists links to it (``linked_existing``) and updates it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from syncbridge.connectors.base import Operation, OpKind, OpResult
from syncbridge.connectors.woocommerce import lookups
from syncbridge.connectors.woocommerce import mapping as m
from syncbridge.connectors.woocommerce.batching import Item, Results, run_batch
from syncbridge.domain.records import Customer, EntityType
from syncbridge.errors import SyncError, ValidationError

if TYPE_CHECKING:
    from syncbridge.connectors.woocommerce.client import WooClient

EMAIL_TAKEN = "registration-error-email-exists"


def apply_chunk(client: WooClient, entity: EntityType, ops: list[Operation]) -> list[OpResult]:
    from syncbridge.connectors.woocommerce import write_catalog, write_sales

    results = Results([op.key for op in ops])
    writer: Any = {
        EntityType.CUSTOMERS: write_customers,
        EntityType.PRODUCTS: write_catalog.write_products,
        EntityType.INVENTORY: write_catalog.write_stock,
        EntityType.ORDERS: write_sales.write_orders,
        EntityType.PAYMENTS: write_sales.write_payments,
    }[entity]
    try:
        writer(client, ops, results)
    except SyncError as exc:  # a lookup every item depended on failed: the items not settled share its error
        results.fail_all(range(len(ops)), exc)
    return results.done()


def numeric_id(op: Operation, results: Results, n: int) -> int | None:
    """The operation's external id as the shop's integer id, or ``None`` (and the item failed) without one."""
    head = (op.external_id or "").split("/")[0]
    if head.isdigit():
        return int(head)
    results.fail(n, ValidationError(f"{op.kind.value} without an external id", code="missing_external_id"))
    return None


def first_per_key(ops: list[Operation], indexes: list[int]) -> set[int]:
    """The first operation of each natural key among ``indexes``: only those may link to a record found."""
    seen: set[str] = set()
    out: set[int] = set()
    for n in indexes:
        record = ops[n].record
        key = record.natural_key if record is not None else ""
        if key not in seen:
            seen.add(key)
            out.add(n)
    return out


def write_customers(client: WooClient, ops: list[Operation], results: Results) -> None:
    items: list[Item] = []
    payloads: dict[int, dict[str, Any]] = {}
    for n, op in enumerate(ops):
        if op.kind is OpKind.DELETE:
            if (target := numeric_id(op, results, n)) is not None:
                items.append(Item("delete", target, n))
            continue
        if not isinstance(op.record, Customer):
            results.fail(n, ValidationError("not a customer record", code="wrong_record"))
            continue
        payloads[n] = m.customer_to_wc(op.record)
        if op.kind is OpKind.CREATE:
            items.append(Item("create", payloads[n], n))
        elif (target := numeric_id(op, results, n)) is not None:
            items.append(Item("update", {"id": target, **payloads[n]}, n))
    may_link = first_per_key(ops, [item.tag for item in items if item.action == "create"])
    taken: dict[int, SyncError] = {}
    for outcome in run_batch(client, "/customers", items):
        n = outcome.tag
        if outcome.error is None:
            results.ok(n, outcome.id)
        elif outcome.error.code == EMAIL_TAKEN and n in may_link:
            taken[n] = outcome.error
        else:
            results.fail(n, outcome.error)
    if not taken:
        return
    key = {n: str(payloads[n]["email"]) for n in taken}
    try:
        found = lookups.customers_by_email(client, key.values())
    except SyncError as exc:
        results.fail_all(taken, exc)
        return
    relink = [Item("update", {"id": int(found[key[n]]["id"]), **payloads[n]}, n) for n in taken if key[n] in found]
    for outcome in run_batch(client, "/customers", relink):
        if outcome.error is None:
            results.ok(outcome.tag, outcome.id, linked=True)
        else:
            results.fail(outcome.tag, outcome.error)
    for n, error in taken.items():  # taken, yet not listed: an account of another role holds the e-mail
        results.fail(n, error)
