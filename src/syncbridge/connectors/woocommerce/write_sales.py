"""Orders and payments, written a chunk at a time.

Orders: creates are first looked for by number (``lookups.orders_created_between``: orders carry no unique key
the shop enforces, so this lookup is what keeps a retried create from duplicating); those found are linked and
updated. The line SKUs and the buyers' e-mails of the chunk are resolved by one lookup each, then one
``/orders/batch`` carries every create and update. A deleted order is trashed (one ``DELETE`` each).

Payments: a PAID payment is an update of its order (``set_paid``, paid date, transaction id), all in one
``/orders/batch``; a refund is one ``POST /orders/<id>/refunds`` (the API has no refund batch), skipped when
the order already lists a refund with the same reason (the reason names the payment's reference).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from syncbridge.connectors.base import Operation, OpKind
from syncbridge.connectors.woocommerce import lookups
from syncbridge.connectors.woocommerce import mapping as m
from syncbridge.connectors.woocommerce.batching import Item, Results, run_batch
from syncbridge.connectors.woocommerce.writes import first_per_key, numeric_id
from syncbridge.domain.records import Order, Payment, PaymentState
from syncbridge.errors import DuplicateKeyError, NotFoundError, SyncError, ValidationError

if TYPE_CHECKING:
    from syncbridge.connectors.woocommerce.client import WooClient

Json = dict[str, Any]
ALREADY_TRASHED = "woocommerce_rest_already_trashed"


def _line_ids(hits: dict[str, Json]) -> dict[str, tuple[int, int]]:
    out: dict[str, tuple[int, int]] = {}
    for sku, p in hits.items():
        if p.get("type") == "variation":
            out[sku] = (int(p.get("parent_id") or 0), int(p["id"]))
        elif p.get("type") != "variable":
            out[sku] = (int(p["id"]), 0)
    return out


def write_orders(client: WooClient, ops: list[Operation], results: Results) -> None:
    records = {n: op.record for n, op in enumerate(ops) if isinstance(op.record, Order)}
    creates = [n for n in records if ops[n].kind is OpKind.CREATE]
    firsts = first_per_key(ops, creates)
    for n in creates:
        if n not in firsts:
            results.fail(n, DuplicateKeyError(f"order {records[n].number} appears twice in one chunk"))
    creates = [n for n in creates if n in firsts]
    try:
        found = lookups.orders_created_between(
            client, [records[n].natural_key for n in creates], [records[n].created_at for n in creates]
        )
        new = [n for n in creates if records[n].natural_key not in found]
        line_ids = _line_ids(lookups.by_sku(client, {li.sku for n in new for li in records[n].lines}))
        emails = {records[n].customer_email for n in new if records[n].customer_email}
        buyers = lookups.customers_by_email(client, emails)
    except SyncError as exc:  # the creates cannot go on without their lookups; updates and deletes can
        results.fail_all(creates, exc)
        found, new, line_ids, buyers = {}, [], {}, {}
    items: list[Item] = []
    trash: list[tuple[int, int]] = []
    for n, op in enumerate(ops):
        record = records.get(n)
        if op.kind is OpKind.DELETE:
            if (target := numeric_id(op, results, n)) is not None:
                trash.append((n, target))
        elif record is None:
            results.fail(n, ValidationError("not an order record", code="wrong_record"))
        elif n in new:
            missing = sorted({li.sku for li in record.lines} - line_ids.keys())
            if missing:
                results.fail(n, NotFoundError(f"unknown SKU(s) {', '.join(missing)}", code="unknown_sku"))
                continue
            buyer = buyers.get(record.customer_email.strip().lower())
            customer_id = int(buyer["id"]) if buyer is not None else None
            items.append(Item("create", m.order_to_wc(record, line_ids, customer_id, create=True), n))
        elif n in creates and not results.settled(n):
            target = int(found[record.natural_key]["id"])
            items.append(Item("update", {"id": target, **m.order_to_wc(record, {}, None, create=False)}, n))
        elif not results.settled(n) and (target := numeric_id(op, results, n)) is not None:
            items.append(Item("update", {"id": target, **m.order_to_wc(record, {}, None, create=False)}, n))
    for outcome in run_batch(client, "/orders", items):
        n = outcome.tag
        if outcome.error is not None:
            results.fail(n, outcome.error)
        else:
            results.ok(n, outcome.id, linked=n in creates and n not in new)
    for n, target in trash:
        try:
            client.json("DELETE", f"/orders/{target}")
        except NotFoundError as exc:
            if exc.code != ALREADY_TRASHED:
                results.fail(n, exc)
                continue
        except SyncError as exc:
            results.fail(n, exc)
            continue
        results.ok(n, str(target))


def _orders_for(client: WooClient, ops: list[Operation], payments: dict[int, Payment]) -> dict[int, Json]:
    """Op index -> its order (as the shop answers it), by the op's external id, else by order number."""
    by_id = {n: int(head) for n in payments if (head := (ops[n].external_id or "").split("/")[0]).isdigit()}
    # a PAID update needs no order body; refunds need the order's current refunds to stay idempotent
    need_body = [n for n in by_id if payments[n].state is PaymentState.REFUNDED]
    bodies = lookups.orders_by_id(client, [by_id[n] for n in need_body]) if need_body else {}
    out = {n: bodies.get(by_id[n], {"id": by_id[n]}) for n in by_id}
    numbers = {payments[n].order_number.strip() for n in payments if n not in by_id}
    found = lookups.orders_by_number(client, numbers) if numbers else {}
    out.update({n: found[p.order_number.strip()] for n, p in payments.items() if p.order_number.strip() in found})
    return out


def write_payments(client: WooClient, ops: list[Operation], results: Results) -> None:
    payments: dict[int, Payment] = {}
    for n, op in enumerate(ops):
        if op.kind is OpKind.DELETE:
            results.fail(n, ValidationError("WooCommerce payments cannot be deleted", code="unsupported"))
        elif not isinstance(op.record, Payment):
            results.fail(n, ValidationError("not a payment record", code="wrong_record"))
        else:
            payments[n] = op.record
    orders = _orders_for(client, ops, payments)
    paid: list[Item] = []
    refunds: list[int] = []
    for n, payment in payments.items():
        order = orders.get(n)
        if order is None:
            results.fail(n, NotFoundError(f"no order {payment.order_number}", code="unknown_order"))
        elif payment.state is PaymentState.REFUNDED:
            refunds.append(n)
        else:
            paid.append(Item("update", {"id": int(order["id"]), **m.payment_to_wc(payment)}, n))
    for outcome in run_batch(client, "/orders", paid):
        if outcome.error is not None:
            results.fail(outcome.tag, outcome.error)
        else:
            results.ok(outcome.tag, outcome.id)
    made: dict[tuple[int, str], str] = {}  # refunds made by this chunk (two ops for one reference)
    for n in refunds:
        order_id = int(orders[n]["id"])
        body = m.payment_to_wc(payments[n])
        known = {(order_id, str(r.get("reason"))): str(r["id"]) for r in orders[n].get("refunds") or [] if "id" in r}
        known.update(made)
        if (order_id, body["reason"]) in known:
            results.ok(n, f"{order_id}/{known[order_id, body['reason']]}", linked=True)
            continue
        try:
            refund = client.json("POST", f"/orders/{order_id}/refunds", body=body)
        except SyncError as exc:
            results.fail(n, exc)
            continue
        made[order_id, body["reason"]] = str(refund["id"])
        results.ok(n, f"{order_id}/{refund['id']}")
