"""Pure translation between WooCommerce REST payloads and canonical records (no I/O).

Decisions: a customer's name is ``first_name + " " + last_name`` (written back split on the last space); the
phone is ``billing.phone``. A variant's name is ``"Attr: Value"`` pairs joined by ``", "``. Order numbers
other than the WooCommerce id travel in the ``_order_number`` meta (as the sequential-order-numbers plugins
store them). Variation statuses: publish <-> ACTIVE, anything else -> DRAFT; DRAFT and ARCHIVED variants are
written as ``private`` (WooCommerce has no trashed variation).
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from syncbridge.connectors.base import payload_errors_as_validation
from syncbridge.domain.records import (
    Address,
    Customer,
    Order,
    OrderLine,
    OrderStatus,
    Payment,
    PaymentState,
    Product,
    ProductStatus,
    StockLevel,
    Variant,
    utc,
)

Json = dict[str, Any]

PRODUCT_STATUS = {
    "publish": ProductStatus.ACTIVE,
    "draft": ProductStatus.DRAFT,
    "pending": ProductStatus.DRAFT,
    "private": ProductStatus.DRAFT,
    "future": ProductStatus.DRAFT,
    "trash": ProductStatus.ARCHIVED,
}
ORDER_STATUS = {
    "pending": OrderStatus.PENDING,
    "on-hold": OrderStatus.PENDING,
    "failed": OrderStatus.PENDING,
    "checkout-draft": OrderStatus.PENDING,
    "processing": OrderStatus.PROCESSING,
    "completed": OrderStatus.COMPLETED,
    "cancelled": OrderStatus.CANCELLED,
    "refunded": OrderStatus.CANCELLED,
    "trash": OrderStatus.CANCELLED,
}
ORDER_STATUS_OUT = {
    OrderStatus.PENDING: "pending",
    OrderStatus.PROCESSING: "processing",
    OrderStatus.COMPLETED: "completed",
    OrderStatus.CANCELLED: "cancelled",
}
NUMBER_META = "_order_number"
REFUND_REASON_PREFIX = "syncbridge "


def parse_gmt(value: Any) -> datetime | None:
    if value in (None, ""):
        return None
    return utc(datetime.fromisoformat(str(value)))


def wc_date(value: datetime) -> str:
    return utc(value).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")


def dec(value: Any, default: Decimal = Decimal(0)) -> Decimal:
    if value in (None, ""):
        return default
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return default


def money_out(value: Decimal) -> str:
    return format(value.normalize(), "f") if value == value.to_integral_value() else str(value)


# -- customers -----------------------------------------------------------------------------------
def _address_in(data: Json | None) -> Address:
    d = data or {}
    return Address(
        company=str(d.get("company") or ""),
        street=str(d.get("address_1") or ""),
        street2=str(d.get("address_2") or ""),
        city=str(d.get("city") or ""),
        state=str(d.get("state") or ""),
        postcode=str(d.get("postcode") or ""),
        country=str(d.get("country") or ""),
    )


def _address_out(a: Address, first: str, last: str) -> Json:
    return {
        "first_name": first,
        "last_name": last,
        "company": a.company,
        "address_1": a.street,
        "address_2": a.street2,
        "city": a.city,
        "state": a.state,
        "postcode": a.postcode,
        "country": a.country,
    }


def split_name(name: str) -> tuple[str, str]:
    first, _, last = name.strip().rpartition(" ")
    return (first, last) if first else (last, "")


@payload_errors_as_validation
def customer_from_wc(d: Json) -> Customer:
    name = " ".join(p for p in (str(d.get("first_name") or ""), str(d.get("last_name") or "")) if p)
    return Customer(
        email=str(d.get("email") or "").lower(),
        name=name,
        phone=str((d.get("billing") or {}).get("phone") or ""),
        billing=_address_in(d.get("billing")),
        shipping=_address_in(d.get("shipping")),
        active=True,
        external_id=str(d["id"]),
        modified_at=parse_gmt(d.get("date_modified_gmt")),
    )


def customer_to_wc(c: Customer) -> Json:
    first, last = split_name(c.name)
    billing = {**_address_out(c.billing, first, last), "email": c.email.lower(), "phone": c.phone}
    return {
        "email": c.email.lower(),
        "first_name": first,
        "last_name": last,
        "billing": billing,
        "shipping": _address_out(
            c.shipping, first if c.shipping != Address() else "", last if c.shipping != Address() else ""
        ),
    }


# -- products ------------------------------------------------------------------------------------
def variant_name(attributes: list[Json]) -> str:
    return ", ".join(f"{a.get('name', '')}: {a.get('option', '')}" for a in attributes)


def variant_attributes(name: str) -> list[Json]:
    pairs = []
    for part in name.split(", "):
        attr, sep, option = part.partition(": ")
        pairs.append({"name": attr, "option": option} if sep else {"name": "Option", "option": part})
    return pairs


@payload_errors_as_validation
def variant_from_wc(d: Json) -> Variant:
    return Variant(
        sku=str(d.get("sku") or ""),
        name=variant_name(d.get("attributes") or []),
        regular_price=dec(d.get("regular_price")),
        sale_price=dec(d.get("sale_price")) if d.get("sale_price") not in (None, "") else None,
        manage_stock=bool(d.get("manage_stock")),
        status=ProductStatus.ACTIVE if d.get("status") == "publish" else ProductStatus.DRAFT,
        external_id=str(d["id"]),
    )


@payload_errors_as_validation
def product_from_wc(d: Json, variations: list[Json] | None = None) -> Product:
    variants = tuple(sorted((variant_from_wc(v) for v in variations or []), key=lambda v: v.sku))
    return Product(
        sku=str(d.get("sku") or ""),
        name=str(d.get("name") or ""),
        regular_price=dec(d.get("regular_price")),
        sale_price=dec(d.get("sale_price")) if d.get("sale_price") not in (None, "") else None,
        manage_stock=bool(d.get("manage_stock")),
        status=PRODUCT_STATUS.get(str(d.get("status")), ProductStatus.DRAFT),
        variants=variants,
        external_id=str(d["id"]),
        modified_at=parse_gmt(d.get("date_modified_gmt")),
    )


def product_to_wc(p: Product) -> Json:
    body: Json = {"name": p.name, "sku": p.sku, "manage_stock": p.manage_stock}
    if p.status is not ProductStatus.ARCHIVED:
        body["status"] = "publish" if p.status is ProductStatus.ACTIVE else "draft"
    if p.variants:
        options: dict[str, list[str]] = {}
        for v in p.variants:
            for a in variant_attributes(v.name):
                values = options.setdefault(a["name"], [])
                if a["option"] not in values:
                    values.append(a["option"])
        body["type"] = "variable"
        body["attributes"] = [
            {"name": k, "position": i, "visible": True, "variation": True, "options": v}
            for i, (k, v) in enumerate(options.items())
        ]
    else:
        body["type"] = "simple"
        body["regular_price"] = money_out(p.regular_price)
        body["sale_price"] = money_out(p.sale_price) if p.sale_price is not None else ""
    return body


def variation_to_wc(v: Variant) -> Json:
    return {
        "sku": v.sku,
        "regular_price": money_out(v.regular_price),
        "sale_price": money_out(v.sale_price) if v.sale_price is not None else "",
        "manage_stock": v.manage_stock,
        "status": "publish" if v.status is ProductStatus.ACTIVE else "private",
        "attributes": variant_attributes(v.name),
    }


# -- stock ---------------------------------------------------------------------------------------
@payload_errors_as_validation
def stock_from_wc(d: Json, parent_id: int | None = None) -> StockLevel | None:
    if not d.get("manage_stock") or d.get("type") == "variable" or not d.get("sku"):
        return None
    external = f"{parent_id}/{d['id']}" if parent_id else str(d["id"])
    return StockLevel(
        sku=str(d["sku"]),
        quantity=dec(d.get("stock_quantity")),
        location="default",
        external_id=external,
        modified_at=parse_gmt(d.get("date_modified_gmt")),
    )


def stock_to_wc(s: StockLevel) -> Json:
    return {"manage_stock": True, "stock_quantity": int(s.quantity)}


# -- orders --------------------------------------------------------------------------------------
def order_number(d: Json) -> str:
    return str(d.get("number") or d.get("id"))


@payload_errors_as_validation
def order_from_wc(d: Json) -> Order:
    lines = tuple(
        OrderLine(
            sku=str(li.get("sku") or ""),
            quantity=dec(li.get("quantity")),
            unit_price=Decimal(str(li.get("price", 0))),
            name=str(li.get("name") or ""),
        )
        for li in d.get("line_items") or []
    )
    created = parse_gmt(d.get("date_created_gmt")) or datetime(1970, 1, 1, tzinfo=UTC)
    return Order(
        number=order_number(d),
        status=ORDER_STATUS.get(str(d.get("status")), OrderStatus.PENDING),
        currency=str(d.get("currency") or ""),
        customer_email=str((d.get("billing") or {}).get("email") or "").lower(),
        lines=lines,
        total=dec(d.get("total")),
        created_at=created,
        payment_method=str(d.get("payment_method") or ""),
        external_id=str(d["id"]),
        modified_at=parse_gmt(d.get("date_modified_gmt")),
    )


def order_to_wc(o: Order, items: dict[str, tuple[int, int]], customer_id: int | None, *, create: bool) -> Json:
    """``items`` maps each line SKU to (product_id, variation_id); lines with an unknown SKU are left out."""
    lines = []
    for line in o.lines:
        ids = items.get(line.sku)
        if ids is None:
            continue
        total = money_out(line.quantity * line.unit_price)
        lines.append(
            {
                "product_id": ids[0],
                "variation_id": ids[1],
                "quantity": int(line.quantity),
                "subtotal": total,
                "total": total,
            }
        )
    line_sum = sum((line.quantity * line.unit_price for line in o.lines if line.sku in items), Decimal(0))
    body: Json = {
        "status": ORDER_STATUS_OUT[o.status],
        "currency": o.currency,
        "payment_method": o.payment_method,
        "billing": {"email": o.customer_email},
        "date_created_gmt": wc_date(o.created_at),
    }
    if create:
        body.update(
            set_paid=False,
            line_items=lines,
            customer_id=customer_id or 0,
            meta_data=[{"key": NUMBER_META, "value": o.number}],
        )
        if o.total != line_sum:
            body["fee_lines"] = [{"name": "Adjustment", "total": money_out(o.total - line_sum)}]
    return body


# -- payments ------------------------------------------------------------------------------------
@payload_errors_as_validation
def payments_from_wc(d: Json, refunds: list[Json]) -> list[Payment]:
    number = order_number(d)
    out: list[Payment] = []
    paid = parse_gmt(d.get("date_paid_gmt"))
    if paid is not None:
        out.append(
            Payment(
                reference=number,
                order_number=number,
                amount=dec(d.get("total")),
                currency=str(d.get("currency") or ""),
                method=str(d.get("payment_method") or ""),
                state=PaymentState.PAID,
                transaction_id=str(d.get("transaction_id") or ""),
                paid_at=paid,
                external_id=str(d["id"]),
                modified_at=parse_gmt(d.get("date_modified_gmt")),
            )
        )
    for r in refunds:
        reason = str(r.get("reason") or "")
        # A refund this connector wrote names the hub's reference in its reason; keep it, so the reference (the
        # natural key) survives a round trip through a shop that numbers refunds its own way.
        reference = reason.removeprefix(REFUND_REASON_PREFIX) if reason.startswith(REFUND_REASON_PREFIX) else ""
        out.append(
            Payment(
                reference=reference or f"{number}/R{r['id']}",
                order_number=number,
                amount=abs(dec(r.get("amount"))),
                currency=str(d.get("currency") or ""),
                method=str(d.get("payment_method") or ""),
                state=PaymentState.REFUNDED,
                paid_at=parse_gmt(r.get("date_created_gmt")),
                external_id=f"{d['id']}/{r['id']}",
                modified_at=parse_gmt(d.get("date_modified_gmt")),
            )
        )
    return out


def payment_to_wc(p: Payment) -> Json:
    """The order update for a PAID payment, or the refund body for a REFUNDED one."""
    if p.state is PaymentState.REFUNDED:
        body: Json = {
            "amount": money_out(p.amount),
            "reason": f"{REFUND_REASON_PREFIX}{p.reference}",
            "api_refund": False,
        }
        if p.paid_at is not None:
            body["date_created_gmt"] = wc_date(p.paid_at)
        return body
    out: Json = {"set_paid": True, "transaction_id": p.transaction_id, "payment_method": p.method}
    if p.paid_at is not None:
        out["date_paid_gmt"] = wc_date(p.paid_at)
    return out
