"""Order writes: line items priced from products, ``set_paid``, paid/completed dates, stock reduction, notes,
refunds, trash.

``date_created(_gmt)`` and ``date_paid(_gmt)`` are accepted on writes (the V2+ controller hands every known
property to the order's setter); this is what lets a sync preserve an order's original dates.
"""

from __future__ import annotations

import secrets
from decimal import Decimal, InvalidOperation

from syncbridge.sim.woocommerce import params
from syncbridge.sim.woocommerce.errors import WcError
from syncbridge.sim.woocommerce.render import money
from syncbridge.sim.woocommerce.rows import FeeRow, Json, LineRow, NoteRow, OrderRow, RefundRow
from syncbridge.sim.woocommerce.store import Store

ORDER_STATUSES = (
    "pending",
    "processing",
    "on-hold",
    "completed",
    "cancelled",
    "refunded",
    "failed",
    "checkout-draft",
)
LIST_STATUSES = ("any", "trash", "auto-draft", *ORDER_STATUSES)
PAID_STATUSES = ("processing", "completed")
STOCK_REDUCING = ("processing", "completed", "on-hold")
LABELS = {
    "pending": "Pending payment",
    "processing": "Processing",
    "on-hold": "On hold",
    "completed": "Completed",
    "cancelled": "Cancelled",
    "refunded": "Refunded",
    "failed": "Failed",
    "checkout-draft": "Draft",
}
CURRENCIES = (
    "USD",
    "EUR",
    "GBP",
    "CHF",
    "JPY",
    "CAD",
    "AUD",
    "SEK",
    "NOK",
    "DKK",
    "PLN",
    "CZK",
    "INR",
    "BRL",
    "MXN",
    "NZD",
    "ZAR",
    "CNY",
    "HKD",
    "SGD",
    "TRY",
    "NGN",
)


def order_or_404(store: Store, order_id: int) -> OrderRow:
    row = store.orders.get(order_id)
    if row is None:
        raise params.not_found("woocommerce_rest_shop_order_invalid_id")
    return row


def add_note(
    store: Store, order: OrderRow, text: str, *, customer_note: bool = False, author: str = "WooCommerce"
) -> NoteRow:
    note = NoteRow(
        id=store.next_id("comment"),
        order_id=order.id,
        note=text,
        created=store.now(),
        customer_note=customer_note,
        author=author,
    )
    store.notes[note.id] = note
    return note


def _decimal(name: str, value: object) -> Decimal:
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise WcError(400, "rest_invalid_param", f"Invalid parameter(s): {name}") from None


def _line(store: Store, item: Json) -> LineRow:
    product_id = params.integer("product_id", item.get("product_id", 0))
    variation_id = params.integer("variation_id", item.get("variation_id", 0) or 0)
    quantity = params.integer("quantity", item.get("quantity", 1))
    target = store.products.get(variation_id or product_id)
    if target is None or (variation_id and target.parent_id != product_id):
        raise WcError(400, "woocommerce_rest_invalid_product_id", "Product ID provided is invalid.")
    parent = store.products.get(target.parent_id) if target.type == "variation" else None
    unit = Decimal(target.sale_price or target.regular_price or "0")
    subtotal = _decimal("subtotal", item["subtotal"]) if "subtotal" in item else unit * quantity
    total = _decimal("total", item["total"]) if "total" in item else subtotal
    name = str(
        item.get("name")
        or (
            f"{parent.name} - {target.name or ', '.join(a['option'] for a in target.attributes)}"
            if parent
            else target.name
        )
    )
    meta = (
        [
            {
                "id": store.next_id("meta"),
                "key": a["name"].lower(),
                "value": a["option"],
                "display_key": a["name"],
                "display_value": a["option"],
            }
            for a in target.attributes
        ]
        if parent
        else []
    )
    return LineRow(
        id=store.next_id("item"),
        name=name,
        product_id=product_id,
        variation_id=variation_id,
        quantity=quantity,
        subtotal=money(subtotal),
        total=money(total),
        sku=target.sku,
        parent_name=parent.name if parent else None,
        meta_data=meta,
    )


def _reduce_stock(store: Store, order: OrderRow) -> None:
    """Like ``wc_maybe_reduce_stock_levels``: once per order, without bumping the products' date_modified."""
    if any(m["key"] == "_order_stock_reduced" for m in order.meta_data):
        return
    changes = []
    for li in order.line_items:
        product = store.products.get(li.variation_id or li.product_id)
        if product is None:
            continue
        product.total_sales += li.quantity
        if product.manage_stock:
            before = product.stock_quantity or 0
            product.stock_quantity = before - li.quantity
            changes.append(f"{li.name} ({product.sku}) {before}&rarr;{product.stock_quantity}")
    order.meta_data.append({"id": store.next_id("meta"), "key": "_order_stock_reduced", "value": "yes"})
    if changes:
        add_note(store, order, "Stock levels reduced: " + ", ".join(changes))


def _set_status(store: Store, order: OrderRow, status: str, *, note: bool) -> None:
    old = order.status
    order.status = status
    now = store.now()
    if status in PAID_STATUSES and order.date_paid is None:
        order.date_paid = now
    if status == "completed" and order.date_completed is None:
        order.date_completed = now
    if status in STOCK_REDUCING:
        _reduce_stock(store, order)
    if note and old != status:
        add_note(store, order, f"Order status changed from {LABELS.get(old, old)} to {LABELS.get(status, status)}.")


def _apply(store: Store, order: OrderRow, body: Json) -> None:
    """Validates everything, then writes; returns with nothing changed on a refusal."""
    status = params.enum("status", body["status"], ORDER_STATUSES) if "status" in body else None
    currency = params.enum("currency", body["currency"], CURRENCIES) if "currency" in body else None
    customer_id = None
    if "customer_id" in body:
        customer_id = params.integer("customer_id", body["customer_id"], minimum=0)
        if customer_id and customer_id not in store.customers:
            raise WcError(400, "woocommerce_rest_invalid_customer_id", "Customer ID is invalid.")
    lines = (
        [_line(store, li) for li in params.json_list("line_items", body["line_items"])]
        if "line_items" in body
        else None
    )
    fees = (
        [
            FeeRow(
                id=store.next_id("item"),
                name=str(f.get("name", "")),
                total=money(_decimal("total", f.get("total", "0"))),
            )
            for f in params.json_list("fee_lines", body["fee_lines"])
        ]
        if "fee_lines" in body
        else None
    )
    created = None
    for key in ("date_created_gmt", "date_created"):
        if key in body:
            created = params.date(key, body[key])
            break
    paid: int | bool | None = False
    for key in ("date_paid_gmt", "date_paid"):
        if key in body:
            paid = None if body[key] is None else params.date(key, body[key])
            break
    for key in ("billing", "shipping"):
        if key in body:
            data = params.json_object(key, body[key])
            getattr(order, key).update({k: str(v) for k, v in data.items() if k in getattr(order, key)})
    for key in ("payment_method", "payment_method_title", "transaction_id", "customer_note"):
        if key in body:
            setattr(order, key, params.string(key, body[key]))
    if currency is not None:
        order.currency = currency
    if customer_id is not None:
        order.customer_id = customer_id
    if lines is not None:
        order.line_items = lines
    if fees is not None:
        order.fee_lines = fees
    if created is not None:
        order.created = created
    if paid is not False:
        order.date_paid = paid if isinstance(paid, int) and not isinstance(paid, bool) else None
    if "meta_data" in body:
        order.meta_data = [m for m in order.meta_data if str(m["key"]).startswith("_")] + [
            {"id": store.next_id("meta"), "key": str(m.get("key", "")), "value": m.get("value")}
            for m in params.json_list("meta_data", body["meta_data"])
            if isinstance(m, dict)
        ]
    if status is not None:
        _set_status(store, order, status, note=True)
    if params.boolean("set_paid", body.get("set_paid", False)):
        # payment_complete(): a payable status moves to processing; the paid date is set once
        if order.status in {"pending", "on-hold", "failed", "cancelled", "checkout-draft"}:
            _set_status(store, order, "processing", note=True)
        if order.date_paid is None:
            order.date_paid = store.now()
    if order.customer_id and order.date_paid is not None:
        buyer = store.customers.get(order.customer_id)
        if buyer is not None:
            buyer.is_paying_customer = True


def create_order(store: Store, body: Json) -> OrderRow:
    now = store.now()
    order = OrderRow(
        id=0,
        status="pending",
        currency="USD",
        created=now,
        modified=now,
        order_key="wc_order_" + secrets.token_urlsafe(10)[:13],
    )
    order.id = store.next_id("post")  # taken before the checks, as a real draft order does
    _apply(store, order, body)
    store.orders[order.id] = order
    store.index_add("orders", order.id, order.modified, order.status == "trash")
    store.emit("order", "created", order.id)
    return order


def update_order(store: Store, order: OrderRow, body: Json) -> OrderRow:
    was_trashed = order.status == "trash"
    _apply(store, order, body)
    store.touch_order(order)
    store.emit("order", "restored" if was_trashed and order.status != "trash" else "updated", order.id)
    return order


def delete_order(store: Store, order: OrderRow, *, force: bool) -> None:
    if not force:
        if order.status == "trash":
            raise WcError(410, "woocommerce_rest_already_trashed", "The shop_order has already been deleted.")
        order.trashed_from = order.status
        order.status = "trash"
        store.touch_order(order)
        store.emit("order", "deleted", order.id)
        return
    store.index_remove("orders", order.id, order.modified)
    del store.orders[order.id]
    for refund_id in order.refund_ids:
        store.refunds.pop(refund_id, None)
    store.emit("order", "deleted", order.id)


def refunded_total(store: Store, order: OrderRow) -> Decimal:
    return sum((Decimal(store.refunds[r].amount) for r in order.refund_ids if r in store.refunds), Decimal(0))


def create_refund(store: Store, order: OrderRow, body: Json, order_total: Decimal) -> RefundRow:
    amount = _decimal("amount", body.get("amount", "0"))
    remaining = order_total - refunded_total(store, order)
    if amount <= 0 or amount > remaining:
        raise WcError(400, "woocommerce_rest_cannot_create_order_refund", "Invalid refund amount.")
    refund = RefundRow(
        id=store.next_id("post"),
        order_id=order.id,
        amount=money(amount),
        reason=str(body.get("reason", "")),
        created=store.now(),
    )
    if "date_created_gmt" in body or "date_created" in body:
        key = "date_created_gmt" if "date_created_gmt" in body else "date_created"
        refund.created = params.date(key, body[key])
    store.refunds[refund.id] = refund
    order.refund_ids.append(refund.id)
    if amount == remaining:
        _set_status(store, order, "refunded", note=True)
    store.touch_order(order)
    store.emit("order", "updated", order.id)
    return refund
