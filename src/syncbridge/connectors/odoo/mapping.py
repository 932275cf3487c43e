"""Pure translation between Odoo values (as ``read`` returns them) and canonical records, for Odoo 16/17/18.

Decisions (see also the connector):

* Customer: billing address = the partner's own address; ``company`` = the parent company's name when an
  Odoo user linked one, else the partner's ``company_name`` (we write ``company_name``: creating parent
  companies would make Odoo copy the company's address over the contact's). Shipping = the first active
  child partner of type ``delivery``. E-mails are lower-cased.
* Product: SKU = ``default_code``; a template with several variants has no ``default_code`` in Odoo, so its
  SKU is the variants' common SKU prefix (``SKU-1-S``, ``SKU-1-M`` -> ``SKU-1``). Status: ACTIVE = active &
  sale_ok, DRAFT = active & not sale_ok, ARCHIVED = not active. ``sale_price`` is not mapped (Odoo uses
  pricelists). manage_stock: 18 ``type == "consu" and is_storable``; 16/17 ``detailed_type == "product"``.
* Order: number = ``client_order_ref`` (else Odoo's ``name``); status PENDING = draft/sent, PROCESSING =
  sale & not locked, COMPLETED = sale & locked (16: ``done``), CANCELLED = cancel. Lines with quantity 0
  are left out (a confirmed order's removed line: Odoo forbids deleting it, so the connector sets it to 0).
* Payment: reference = ``memo`` (18) / ``ref`` (16/17); order number = the reference without a ``/R<n>``
  refund suffix; method = the journal's name; transaction_id = ``payment_reference``; state 18: draft,
  in_process -> PENDING, paid -> PAID, canceled -> CANCELLED, rejected -> FAILED; 16/17: draft -> PENDING,
  posted -> PAID, cancel -> CANCELLED; ``payment_type`` outbound (not cancelled) -> REFUNDED. paid_at = the
  ``date`` at midnight UTC for PAID / REFUNDED, else None.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
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

Vals = dict[str, Any]
ODOO_DATETIME = "%Y-%m-%d %H:%M:%S"
_REFUND_SUFFIX = re.compile(r"/R\d+$")


# -- small helpers -------------------------------------------------------------------------------------------
def text(value: Any) -> str:
    """Odoo's ``False`` for an empty value becomes ``""``."""
    return "" if value is False or value is None else str(value)


def m2o_id(value: Any) -> int | None:
    return int(value[0]) if isinstance(value, list | tuple) and value else None


def m2o_name(value: Any) -> str:
    return str(value[1]) if isinstance(value, list | tuple) and len(value) > 1 else ""


def money(value: Any) -> Decimal:
    return Decimal(str(value if value not in (False, None) else 0)).quantize(Decimal("0.01"))


def quantity(value: Any) -> Decimal:
    number = Decimal(str(value if value not in (False, None) else 0))
    return number.quantize(Decimal(1)) if number == number.to_integral_value() else number


def parse_odoo_datetime(value: Any) -> datetime | None:
    if not value:
        return None
    return datetime.strptime(str(value)[:19], ODOO_DATETIME).replace(tzinfo=UTC)


def odoo_datetime(value: datetime) -> str:
    return utc(value).strftime(ODOO_DATETIME)


def none_if_empty(value: str) -> str | bool:
    return value if value else False


# -- customers -----------------------------------------------------------------------------------------------
def address_of(
    row: Mapping[str, Any], *, company: str, states: Mapping[int, str], countries: Mapping[int, str]
) -> Address:
    state_id, country_id = m2o_id(row.get("state_id")), m2o_id(row.get("country_id"))
    return Address(
        company=company,
        street=text(row.get("street")),
        street2=text(row.get("street2")),
        city=text(row.get("city")),
        state=states.get(state_id, "") if state_id else "",
        postcode=text(row.get("zip")),
        country=countries.get(country_id, "") if country_id else "",
    )


@payload_errors_as_validation
def customer_from_partner(
    row: Mapping[str, Any],
    delivery: Mapping[str, Any] | None,
    *,
    states: Mapping[int, str],
    countries: Mapping[int, str],
) -> Customer:
    company = m2o_name(row.get("parent_id")) or text(row.get("company_name"))
    shipping = Address()
    if delivery is not None:
        shipping = address_of(delivery, company=text(delivery.get("company_name")), states=states, countries=countries)
    return Customer(
        email=text(row.get("email")).strip().lower(),
        name=text(row.get("name")),
        phone=text(row.get("phone")),
        billing=address_of(row, company=company, states=states, countries=countries),
        shipping=shipping,
        active=bool(row.get("active", True)),
        external_id=str(row["id"]),
        modified_at=parse_odoo_datetime(row.get("write_date")),
    )


def address_vals(address: Address, *, state_id: int | None, country_id: int | None) -> Vals:
    return {
        "company_name": none_if_empty(address.company),
        "street": none_if_empty(address.street),
        "street2": none_if_empty(address.street2),
        "city": none_if_empty(address.city),
        "zip": none_if_empty(address.postcode),
        "state_id": state_id or False,
        "country_id": country_id or False,
    }


def partner_vals(customer: Customer, *, state_id: int | None, country_id: int | None) -> Vals:
    return {
        "name": customer.name,
        "email": customer.email.strip().lower(),
        "phone": none_if_empty(customer.phone),
        "active": customer.active,
        **address_vals(customer.billing, state_id=state_id, country_id=country_id),
    }


def is_empty(address: Address) -> bool:
    return address == Address()


# -- products ------------------------------------------------------------------------------------------------
def product_status(active: bool, sale_ok: bool) -> ProductStatus:
    if not active:
        return ProductStatus.ARCHIVED
    return ProductStatus.ACTIVE if sale_ok else ProductStatus.DRAFT


def is_storable(row: Mapping[str, Any], version: int) -> bool:
    if version >= 18:
        return row.get("type") == "consu" and bool(row.get("is_storable"))
    return row.get("detailed_type") == "product"


def storable_vals(manage_stock: bool, version: int) -> Vals:
    if version >= 18:
        return {"type": "consu", "is_storable": manage_stock}
    return {"detailed_type": "product" if manage_stock else "consu"}


def template_fields(version: int) -> list[str]:
    kind = ["type", "is_storable"] if version >= 18 else ["detailed_type"]
    return [
        "name",
        "default_code",
        "list_price",
        "sale_ok",
        "active",
        "write_date",
        "attribute_line_ids",
        *kind,
    ]


def parent_sku(variant_skus: Sequence[str]) -> str:
    skus = [s for s in variant_skus if s]
    if not skus:
        return ""
    prefix = skus[0]
    for sku in skus[1:]:
        size = 0
        while size < min(len(prefix), len(sku)) and prefix[size] == sku[size]:
            size += 1
        prefix = prefix[:size]
    return prefix.rstrip("-_/ .") if len(skus) > 1 else prefix


def variant_name(values: Sequence[tuple[str, str]]) -> str:
    return ", ".join(f"{attribute}: {value}" for attribute, value in values)


def parse_variant_name(name: str) -> list[tuple[str, str]]:
    """``"Size: M, Color: Red"`` -> ``[("Size", "M"), ("Color", "Red")]``; a bare value is a "Variant"."""
    out: list[tuple[str, str]] = []
    for part in (p.strip() for p in name.split(",")):
        if not part:
            continue
        attribute, sep, value = part.partition(":")
        out.append((attribute.strip(), value.strip()) if sep else ("Variant", part))
    return out


@payload_errors_as_validation
def product_from_template(
    row: Mapping[str, Any],
    variants: Sequence[Mapping[str, Any]],
    values: Mapping[int, tuple[str, str]],
    *,
    version: int,
) -> Product:
    """``variants``: the template's product.product rows (active or not); ``values``: ptav id -> pair."""
    status = product_status(bool(row.get("active")), bool(row.get("sale_ok")))
    storable = is_storable(row, version)
    list_price = money(row.get("list_price"))
    generated = [v for v in variants if v.get("product_template_attribute_value_ids")]
    out: list[Variant] = []
    for v in generated:
        pairs = [values[i] for i in v["product_template_attribute_value_ids"] if i in values]
        out.append(
            Variant(
                sku=text(v.get("default_code")),
                name=variant_name(pairs),
                regular_price=money(v.get("lst_price")),
                manage_stock=storable,
                status=status if v.get("active") else ProductStatus.ARCHIVED,
                external_id=str(v["id"]),
            )
        )
    active_variants = [v for v in out if v.status is not ProductStatus.ARCHIVED]
    sku = text(row.get("default_code")) or parent_sku([v.sku for v in active_variants or out])
    return Product(
        sku=sku,
        name=text(row.get("name")),
        regular_price=list_price,
        manage_stock=storable,
        status=status,
        variants=tuple(
            sorted((v for v in out if v.status is not ProductStatus.ARCHIVED or v.sku), key=lambda v: v.sku)
        ),
        external_id=str(row["id"]),
        modified_at=parse_odoo_datetime(row.get("write_date")),
    )


def template_vals(product: Product, version: int) -> Vals:
    vals: Vals = {
        "name": product.name,
        "list_price": float(product.regular_price),
        "sale_ok": product.status is ProductStatus.ACTIVE,
        "active": product.status is not ProductStatus.ARCHIVED,
        **storable_vals(product.manage_stock, version),
    }
    if not product.variants:
        vals["default_code"] = product.sku
    return vals


# -- stock ---------------------------------------------------------------------------------------------------
@payload_errors_as_validation
def stock_from_quant(row: Mapping[str, Any], sku: str, location: str = "default") -> StockLevel:
    return StockLevel(
        sku=sku,
        quantity=quantity(row.get("quantity")),
        location=location,
        external_id=str(row["id"]),
        modified_at=parse_odoo_datetime(row.get("write_date")),
    )


# -- orders --------------------------------------------------------------------------------------------------
def order_status(state: str, locked: bool) -> OrderStatus:
    if state == "cancel":
        return OrderStatus.CANCELLED
    if state == "done" or (state == "sale" and locked):
        return OrderStatus.COMPLETED
    if state == "sale":
        return OrderStatus.PROCESSING
    return OrderStatus.PENDING


@payload_errors_as_validation
def order_from_sale(
    row: Mapping[str, Any], lines: Sequence[Mapping[str, Any]], *, email: str, skus: Mapping[int, str]
) -> Order:
    created = parse_odoo_datetime(row.get("date_order")) or datetime(1970, 1, 1, tzinfo=UTC)
    return Order(
        number=text(row.get("client_order_ref")) or text(row.get("name")),
        status=order_status(str(row.get("state")), bool(row.get("locked"))),
        currency=m2o_name(row.get("currency_id")),
        customer_email=email.strip().lower(),
        lines=tuple(
            OrderLine(
                sku=skus.get(m2o_id(line.get("product_id")) or 0, ""),
                quantity=quantity(line.get("product_uom_qty")),
                unit_price=money(line.get("price_unit")),
                name=text(line.get("name")),
            )
            for line in lines
            if line.get("product_uom_qty") and not line.get("display_type")
        ),
        total=money(row.get("amount_total")),
        created_at=created,
        external_id=str(row["id"]),
        modified_at=parse_odoo_datetime(row.get("write_date")),
    )


def line_vals(line: OrderLine, product_id: int) -> Vals:
    vals: Vals = {
        "product_id": product_id,
        "product_uom_qty": float(line.quantity),
        "price_unit": float(line.unit_price),
        "tax_id": [(6, 0, [])],
    }
    if line.name:
        vals["name"] = line.name
    return vals


# -- payments ------------------------------------------------------------------------------------------------
def memo_field(version: int) -> str:
    return "memo" if version >= 18 else "ref"


def order_number_of(reference: str) -> str:
    return _REFUND_SUFFIX.sub("", reference.strip())


def payment_state(state: str, payment_type: str, version: int) -> PaymentState:
    cancelled = state in {"canceled", "cancel"}
    if payment_type == "outbound" and not cancelled:
        return PaymentState.REFUNDED
    if cancelled:
        return PaymentState.CANCELLED
    if state == "rejected":
        return PaymentState.FAILED
    if state in {"paid", "posted"}:
        return PaymentState.PAID
    return PaymentState.PENDING


@payload_errors_as_validation
def payment_from_odoo(row: Mapping[str, Any], *, version: int) -> Payment:
    reference = text(row.get(memo_field(version)))
    state = payment_state(str(row.get("state")), str(row.get("payment_type")), version)
    paid_on = row.get("date")
    paid_at = None
    if paid_on and state in {PaymentState.PAID, PaymentState.REFUNDED}:
        paid_at = datetime.combine(date.fromisoformat(str(paid_on)), datetime.min.time(), tzinfo=UTC)
    return Payment(
        reference=reference,
        order_number=order_number_of(reference),
        amount=money(row.get("amount")),
        currency=m2o_name(row.get("currency_id")),
        method=m2o_name(row.get("journal_id")),
        state=state,
        transaction_id=text(row.get("payment_reference")),
        paid_at=paid_at,
        external_id=str(row["id"]),
        modified_at=parse_odoo_datetime(row.get("write_date")),
    )


def payment_vals(payment: Payment, *, version: int, journal_id: int, currency_id: int, partner_id: int | None) -> Vals:
    vals: Vals = {
        memo_field(version): payment.reference,
        "amount": float(payment.amount),
        "payment_type": "outbound" if payment.state is PaymentState.REFUNDED else "inbound",
        "partner_type": "customer",
        "journal_id": journal_id,
        "currency_id": currency_id,
        "payment_reference": none_if_empty(payment.transaction_id),
        "partner_id": partner_id or False,
    }
    if payment.paid_at is not None:
        vals["date"] = utc(payment.paid_at).date().isoformat()
    return vals


PAYMENT_FIELDS_COMMON = [
    "amount",
    "payment_type",
    "partner_id",
    "journal_id",
    "currency_id",
    "date",
    "state",
    "payment_reference",
    "write_date",
]


def payment_fields(version: int) -> list[str]:
    return [memo_field(version), *PAYMENT_FIELDS_COMMON]
