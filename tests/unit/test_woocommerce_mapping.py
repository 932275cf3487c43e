"""``connectors.woocommerce.mapping``: records -> payloads -> records, and every real sample body parses without
losing what the canonical records carry."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from syncbridge.connectors.woocommerce import mapping as m
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
    Variant,
)

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "samples"
T = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def bare(record: Any) -> Any:
    """The record without the ids and stamps a shop adds."""
    changes: dict[str, Any] = {"external_id": None}
    if hasattr(record, "modified_at"):
        changes["modified_at"] = None
    if isinstance(record, Product):
        changes["variants"] = tuple(dataclasses.replace(v, external_id=None) for v in record.variants)
    return dataclasses.replace(record, **changes)


# -- records -> payloads -> records ---------------------------------------------------------------
CUSTOMERS = [
    Customer(email="zoe@example.com", name="Zoë Anne Müller", phone="555", billing=Address(street="1 Main", city="X")),
    Customer(email="solo@example.com", name="Cher"),
    Customer(
        email="ship@example.com",
        name="Jean-Luc Picard",
        billing=Address(company="Ørsted A/S", street="Hauptstraße 1", street2="c/o", postcode="10115", country="DE"),
        shipping=Address(street="Baker Street 221b", city="London", country="GB"),
    ),
]


@pytest.mark.parametrize("record", CUSTOMERS, ids=lambda c: c.email)
def test_customers_round_trip(record: Customer) -> None:
    payload = m.customer_to_wc(record)
    assert payload["email"] == record.email
    back = m.customer_from_wc({**payload, "id": 7, "date_modified_gmt": "2026-01-02T03:04:05"})
    assert back.external_id == "7" and back.modified_at == T
    assert bare(back) == record


@pytest.mark.parametrize(
    ("name", "split"),
    [
        ("Zoë Anne Müller", ("Zoë Anne", "Müller")),
        ("Cher", ("Cher", "")),
        ("  Mary Ann  ", ("Mary", "Ann")),
        ("", ("", "")),
    ],
)
def test_names_split_on_the_last_space(name: str, split: tuple[str, str]) -> None:
    assert m.split_name(name) == split


PRODUCTS = [
    Product(sku="W1", name="Widget ✓", regular_price=Decimal("10.50"), sale_price=Decimal("9.99"), manage_stock=True),
    Product(sku="D1", name="Draft", regular_price=Decimal("3"), status=ProductStatus.DRAFT),
    Product(
        sku="TEE",
        name="Tee",
        regular_price=Decimal(0),
        variants=(
            Variant(sku="TEE-M-RED", name="Size: M, Colour: Red", regular_price=Decimal(15), manage_stock=True),
            Variant(
                sku="TEE-S-RED", name="Size: S, Colour: Red", regular_price=Decimal("14.5"), sale_price=Decimal(12)
            ),
            Variant(sku="TEE-X", name="Size: XL, Colour: Red", regular_price=Decimal(16), status=ProductStatus.DRAFT),
        ),
    ),
]


@pytest.mark.parametrize("record", PRODUCTS, ids=lambda p: p.sku)
def test_products_round_trip(record: Product) -> None:
    payload = m.product_to_wc(record)
    assert payload["type"] == ("variable" if record.variants else "simple")
    variations = [{**m.variation_to_wc(v), "id": 100 + i} for i, v in enumerate(record.variants)]
    back = m.product_from_wc({**payload, "id": 5}, variations)
    assert bare(back) == record


def test_variable_products_declare_every_attribute_option_once() -> None:
    attributes = m.product_to_wc(PRODUCTS[2])["attributes"]
    assert [(a["name"], a["options"]) for a in attributes] == [("Size", ["M", "S", "XL"]), ("Colour", ["Red"])]


def test_an_archived_product_is_written_without_a_status_then_trashed() -> None:
    payload = m.product_to_wc(dataclasses.replace(PRODUCTS[0], status=ProductStatus.ARCHIVED))
    assert "status" not in payload
    assert m.product_from_wc({**payload, "id": 1, "status": "trash"}).status is ProductStatus.ARCHIVED


@pytest.mark.parametrize(
    ("body", "parent", "expected"),
    [
        ({"id": 3, "sku": "A", "manage_stock": True, "stock_quantity": 4}, None, ("A", Decimal(4), "3")),
        ({"id": 9, "sku": "V", "manage_stock": True, "stock_quantity": -2}, 8, ("V", Decimal(-2), "8/9")),
        ({"id": 3, "sku": "A", "manage_stock": False, "stock_quantity": None}, None, None),
        ({"id": 3, "sku": "", "manage_stock": True, "stock_quantity": 1}, None, None),
        ({"id": 3, "sku": "P", "type": "variable", "manage_stock": True, "stock_quantity": 1}, None, None),
    ],
)
def test_stock_levels(body: dict[str, Any], parent: int | None, expected: tuple[str, Decimal, str] | None) -> None:
    level = m.stock_from_wc(body, parent)
    assert (None if level is None else (level.sku, level.quantity, level.external_id)) == expected
    if level is not None:
        assert m.stock_to_wc(level) == {"manage_stock": True, "stock_quantity": int(expected[1])}  # type: ignore[index]


ORDER = Order(
    number="1001",
    status=OrderStatus.PROCESSING,
    currency="EUR",
    customer_email="zoe@example.com",
    lines=(
        OrderLine(sku="W1", quantity=Decimal(2), unit_price=Decimal("10.50"), name="Widget"),
        OrderLine(sku="TEE-M", quantity=Decimal(1), unit_price=Decimal(15), name="Tee - M"),
    ),
    total=Decimal("40"),
    created_at=T,
    payment_method="bacs",
)


@pytest.mark.parametrize(
    ("items", "customer_id", "lines", "fee"),
    [
        ({"W1": (1, 0), "TEE-M": (2, 3)}, 4, [(1, 0, 2, "21"), (2, 3, 1, "15")], "4"),
        ({"W1": (1, 0)}, None, [(1, 0, 2, "21")], "19"),  # an unknown SKU's line is left out, the total kept
    ],
)
def test_order_creates(
    items: dict[str, tuple[int, int]], customer_id: int | None, lines: list[tuple[Any, ...]], fee: str
) -> None:
    body = m.order_to_wc(ORDER, items, customer_id, create=True)
    assert [(li["product_id"], li["variation_id"], li["quantity"], li["total"]) for li in body["line_items"]] == lines
    assert body["fee_lines"] == [{"name": "Adjustment", "total": fee}]
    assert body["customer_id"] == (customer_id or 0)
    assert body["meta_data"] == [{"key": m.NUMBER_META, "value": "1001"}]
    assert (body["status"], body["currency"], body["date_created_gmt"]) == ("processing", "EUR", "2026-01-02T03:04:05")


def test_order_updates_leave_lines_and_number_alone() -> None:
    body = m.order_to_wc(ORDER, {}, None, create=False)
    assert not {"line_items", "meta_data", "customer_id", "fee_lines", "set_paid"} & set(body)


def test_orders_read_back() -> None:
    body = {
        "id": 50,
        "number": "1001",
        "status": "processing",
        "currency": "EUR",
        "billing": {"email": "Zoe@Example.com"},
        "total": "40.00",
        "date_created_gmt": "2026-01-02T03:04:05",
        "payment_method": "bacs",
        "line_items": [
            {"sku": "W1", "quantity": 2, "price": 10.5, "name": "Widget"},
            {"sku": "TEE-M", "quantity": 1, "price": 15, "name": "Tee - M"},
        ],
    }
    assert bare(m.order_from_wc(body)) == ORDER


@pytest.mark.parametrize(
    ("status", "expected"),
    [(s, e) for s, e in m.ORDER_STATUS.items()] + [("bogus", OrderStatus.PENDING)],
)
def test_order_statuses(status: str, expected: OrderStatus) -> None:
    assert m.order_from_wc({"id": 1, "status": status}).status is expected


PAID = Payment(
    reference="1001",
    order_number="1001",
    amount=Decimal(40),
    currency="EUR",
    method="bacs",
    state=PaymentState.PAID,
    transaction_id="tx",
    paid_at=T,
)
REFUND = Payment(
    reference="1001/R-a",
    order_number="1001",
    amount=Decimal(5),
    currency="EUR",
    method="bacs",
    state=PaymentState.REFUNDED,
    paid_at=T,
)


def test_payments_both_directions() -> None:
    paid = m.payment_to_wc(PAID)
    assert paid == {"set_paid": True, "transaction_id": "tx", "payment_method": "bacs", "date_paid_gmt": m.wc_date(T)}
    refund = m.payment_to_wc(REFUND)
    assert refund["amount"] == "5" and refund["reason"] == "syncbridge 1001/R-a" and refund["api_refund"] is False
    order = {
        "id": 50,
        "number": "1001",
        "total": "40.00",
        "currency": "EUR",
        "payment_method": "bacs",
        "transaction_id": "tx",
        "date_paid_gmt": "2026-01-02T03:04:05",
    }
    refunds = [
        {"id": 60, "amount": "5.00", "reason": refund["reason"], "date_created_gmt": "2026-01-02T03:04:05"},
        {"id": 61, "amount": "1.00", "reason": "damaged", "date_created_gmt": "2026-01-02T03:04:05"},
    ]
    got = m.payments_from_wc(order, refunds)
    assert [bare(p) for p in got[:2]] == [PAID, REFUND]
    assert (got[2].reference, got[2].amount, got[2].external_id) == ("1001/R61", Decimal(1), "50/61")


@pytest.mark.parametrize(
    ("value", "text"),
    [(Decimal("10.50"), "10.50"), (Decimal("10.00"), "10"), (Decimal("0.1"), "0.1"), (Decimal(7), "7")],
)
def test_money_out(value: Decimal, text: str) -> None:
    assert m.money_out(value) == text


# -- the real samples -----------------------------------------------------------------------------
def _bodies(kinds: tuple[str, ...], need: str) -> list[tuple[str, dict[str, Any]]]:
    """(label, resource body holding ``need``) of every sample whose file name starts with one of ``kinds``."""
    out: list[tuple[str, dict[str, Any]]] = []
    for path in sorted([*SHARED.glob("woocommerce/*.json"), *SHARED.glob("real/woocommerce-10/*.json")]):
        if not path.name.startswith(kinds):
            continue
        data = json.loads(path.read_text())
        body = data["response"]["body"] if "response" in data else data
        items = body if isinstance(body, list) else [body]
        if isinstance(body, dict) and {"create", "update"} & set(body):
            items = [i for k in ("create", "update") for i in body.get(k, [])]
        for n, item in enumerate(items):
            if isinstance(item, dict) and "id" in item and need in item and "error" not in item:
                out.append((f"{path.parent.name}/{path.stem}[{n}]", item))
    return out


def _params(kinds: tuple[str, ...], need: str) -> pytest.MarkDecorator:
    bodies = _bodies(kinds, need)
    assert bodies, kinds
    return pytest.mark.parametrize("body", [b for _, b in bodies], ids=[label for label, _ in bodies])


def _gmt(value: Any) -> datetime | None:
    return datetime.fromisoformat(value).replace(tzinfo=UTC) if value else None


@_params(("customer-", "customers-"), "email")
def test_real_customers_parse_without_loss(body: dict[str, Any]) -> None:
    c = m.customer_from_wc(body)
    assert c.email == body["email"].lower() and c.external_id == str(body["id"])
    assert c.name == " ".join(p for p in (body["first_name"], body["last_name"]) if p)
    assert c.phone == body["billing"]["phone"]
    for address, source in ((c.billing, body["billing"]), (c.shipping, body["shipping"])):
        assert (address.street, address.street2, address.city, address.postcode, address.country) == (
            source["address_1"],
            source["address_2"],
            source["city"],
            source["postcode"],
            source["country"],
        )
    assert c.modified_at == _gmt(body["date_modified_gmt"])


@_params(("product-", "products-"), "sku")
def test_real_products_and_variations_parse_without_loss(body: dict[str, Any]) -> None:
    price = Decimal(body["regular_price"] or 0)
    sale = Decimal(body["sale_price"]) if body["sale_price"] else None
    if "name" not in body or body.get("type") == "variation":
        v = m.variant_from_wc(body)
        assert (v.sku, v.regular_price, v.sale_price, v.manage_stock) == (
            body["sku"],
            price,
            sale,
            body["manage_stock"],
        )
        assert v.name == ", ".join(f"{a['name']}: {a['option']}" for a in body["attributes"])
        return
    p = m.product_from_wc(body)
    assert (p.sku, p.name, p.regular_price, p.sale_price, p.external_id) == (
        body["sku"],
        body["name"],
        price,
        sale,
        str(body["id"]),
    )
    assert p.status is m.PRODUCT_STATUS[body["status"]]
    assert p.manage_stock is bool(body["manage_stock"])
    level = m.stock_from_wc(body)
    if body["manage_stock"] and body["type"] != "variable" and body["sku"]:
        assert level is not None and level.quantity == Decimal(body["stock_quantity"])


@_params(("order-", "orders-"), "number")
def test_real_orders_parse_without_loss(body: dict[str, Any]) -> None:
    o = m.order_from_wc(body)
    assert (o.number, o.currency, o.total, o.external_id) == (
        str(body["number"]),
        body["currency"],
        Decimal(body["total"]),
        str(body["id"]),
    )
    assert o.customer_email == body["billing"]["email"].lower()
    assert o.created_at == _gmt(body["date_created_gmt"])
    assert [(li.sku, li.quantity, li.unit_price) for li in o.lines] == [
        (li["sku"], Decimal(li["quantity"]), Decimal(str(li["price"]))) for li in body["line_items"]
    ]
    payments = m.payments_from_wc(body, [])
    assert [p.amount for p in payments] == ([Decimal(body["total"])] if body["date_paid_gmt"] else [])


@_params(("order-refund-", "orders-refund-"), "amount")
def test_real_refunds_parse_without_loss(body: dict[str, Any]) -> None:
    order = {"id": 9, "number": "9", "currency": "USD", "date_paid_gmt": None}
    (refund,) = m.payments_from_wc(order, [body])
    assert refund.amount == abs(Decimal(body["amount"]))
    assert refund.state is PaymentState.REFUNDED and refund.external_id == f"9/{body['id']}"
    assert refund.paid_at == _gmt(body["date_created_gmt"])
