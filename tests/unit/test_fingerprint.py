from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

from syncbridge.domain.codec import from_dict, to_dict
from syncbridge.domain.fingerprint import diff_fields, fingerprint_of
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
    Record,
    StockLevel,
    Variant,
)

T0 = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)

CUSTOMER = Customer(
    email="ana@example.com",
    name="Ana Müller",
    phone="+49 30 1234",
    billing=Address(street="Hauptstraße 1", city="Berlin", postcode="10115", country="DE"),
    shipping=Address(street="Hauptstraße 1", city="Berlin", postcode="10115", country="DE"),
)
PRODUCT = Product(
    sku="TSHIRT",
    name="T-shirt",
    regular_price=Decimal("19.90"),
    variants=(
        Variant(sku="TSHIRT-M", name="Size: M", regular_price=Decimal("19.90")),
        Variant(sku="TSHIRT-L", name="Size: L", regular_price=Decimal("21.00")),
    ),
)
STOCK = StockLevel(sku="TSHIRT-M", quantity=Decimal("12"))
ORDER = Order(
    number="1001",
    status=OrderStatus.PROCESSING,
    currency="EUR",
    customer_email="ana@example.com",
    lines=(
        OrderLine(sku="TSHIRT-M", quantity=Decimal("2"), unit_price=Decimal("19.90")),
        OrderLine(sku="MUG", quantity=Decimal("1"), unit_price=Decimal("8.00")),
    ),
    total=Decimal("47.80"),
    created_at=T0,
)
PAYMENT = Payment(
    reference="1001",
    order_number="1001",
    amount=Decimal("47.80"),
    currency="EUR",
    method="stripe",
    state=PaymentState.PAID,
    transaction_id="ch_1",
    paid_at=T0,
)
ALL: list[Record] = [CUSTOMER, PRODUCT, STOCK, ORDER, PAYMENT]


EQUIVALENT: list[tuple[str, Record, Record]] = [
    ("decimal scale", PRODUCT, dataclasses.replace(PRODUCT, regular_price=Decimal("19.9000"))),
    ("variant order", PRODUCT, dataclasses.replace(PRODUCT, variants=PRODUCT.variants[::-1])),
    ("line order", ORDER, dataclasses.replace(ORDER, lines=ORDER.lines[::-1])),
    ("unicode NFD", CUSTOMER, dataclasses.replace(CUSTOMER, name="Ana Mu\u0308ller")),
    ("surrounding whitespace", CUSTOMER, dataclasses.replace(CUSTOMER, name="  Ana   Müller ")),
    ("email case", CUSTOMER, dataclasses.replace(CUSTOMER, email="Ana@Example.COM")),
    ("identity fields", CUSTOMER, dataclasses.replace(CUSTOMER, external_id="7", hub_id="abc")),
    ("modified_at is not comparable", STOCK, dataclasses.replace(STOCK, modified_at=T0)),
    ("payment method of an order", ORDER, dataclasses.replace(ORDER, payment_method="bacs")),
    ("a variable product's own price is not compared", PRODUCT,
     dataclasses.replace(PRODUCT, regular_price=Decimal("0"))),
    ("sale price is not compared", PRODUCT, dataclasses.replace(PRODUCT, sale_price=Decimal("15"))),
    ("order line names are not compared", ORDER,
     dataclasses.replace(ORDER, lines=tuple(dataclasses.replace(x, name="other") for x in ORDER.lines))),
    (
        "same instant, other zone",
        ORDER,
        dataclasses.replace(ORDER, created_at=T0.astimezone(timezone(timedelta(hours=2)))),
    ),
    ("quantity scale", STOCK, dataclasses.replace(STOCK, quantity=Decimal("12.000"))),
    (
        "zero sign",
        dataclasses.replace(STOCK, quantity=Decimal("0")),
        dataclasses.replace(STOCK, quantity=Decimal("-0")),
    ),
]


@pytest.mark.parametrize(("why", "a", "b"), EQUIVALENT, ids=[c[0] for c in EQUIVALENT])
def test_equivalent_values_fingerprint_alike(why: str, a: Record, b: Record) -> None:
    assert fingerprint_of(a) == fingerprint_of(b)


def _changes() -> list[tuple[str, Record, Record]]:
    cases: list[tuple[str, Record, Record]] = []
    replacements: dict[str, Any] = {
        "email": "bob@example.com",
        "name": "Ana Muller",
        "phone": "+49 30 9999",
        "billing": Address(city="Hamburg"),
        "shipping": Address(),
        "active": False,
        "sku": "OTHER",
        "regular_price": Decimal("19.91"),  # on a simple product (below)
        "manage_stock": False,
        "status": ProductStatus.DRAFT,
        "variants": PRODUCT.variants[:1],
        "location": "WH2",
        "quantity": Decimal("13"),
        "number": "1002",
        "currency": "USD",
        "customer_email": "",
        "lines": ORDER.lines[:1],
        "total": Decimal("47.81"),
        "created_at": T0 + timedelta(seconds=1),
        "reference": "1001/R1",
        "order_number": "1003",
        "amount": Decimal("1"),
        "method": "paypal",
        "transaction_id": "ch_2",
        "paid_at": None,
        "state": PaymentState.REFUNDED,
    }
    for record in ALL:
        for name in type(record).COMPARABLE:
            value = replacements[name]
            if name == "status" and isinstance(record, Order):
                value = OrderStatus.COMPLETED
            if name == "state":
                value = PaymentState.REFUNDED
            if name == "regular_price" and isinstance(record, Product):
                simple = dataclasses.replace(record, variants=())
                cases.append((f"Product.{name}", simple, dataclasses.replace(simple, regular_price=value)))
                continue
            cases.append(
                (f"{type(record).__name__}.{name}", record, dataclasses.replace(record, **{name: value}))
            )
    return cases


CHANGES = _changes()


@pytest.mark.parametrize(("field", "a", "b"), CHANGES, ids=[c[0] for c in CHANGES])
def test_any_comparable_change_changes_the_fingerprint(field: str, a: Record, b: Record) -> None:
    assert fingerprint_of(a) != fingerprint_of(b)
    changed = diff_fields(a, b)
    assert field.split(".")[1] in changed


def test_every_comparable_field_is_covered_by_the_change_table() -> None:
    covered = {c[0] for c in CHANGES}
    for record in ALL:
        for name in type(record).COMPARABLE:
            assert f"{type(record).__name__}.{name}" in covered


def test_fingerprint_is_128_bit_hex() -> None:
    fp = fingerprint_of(CUSTOMER)
    assert len(fp) == 32
    int(fp, 16)


def test_mapping_fingerprint_ignores_key_order() -> None:
    assert fingerprint_of({"a": 1, "b": "x"}) == fingerprint_of({"b": "x", "a": 1})
    assert fingerprint_of({"a": 1}) != fingerprint_of({"a": 2})


@pytest.mark.parametrize("record", ALL, ids=lambda r: type(r).__name__)
def test_codec_round_trip(record: Record) -> None:
    back = from_dict(type(record).ENTITY, to_dict(record))
    assert back == record
    assert fingerprint_of(back) == fingerprint_of(record)


def test_payment_dates_compare_by_day() -> None:
    later_same_day = dataclasses.replace(PAYMENT, paid_at=T0.replace(hour=23, minute=59))
    assert fingerprint_of(later_same_day) == fingerprint_of(PAYMENT)
    assert fingerprint_of(dataclasses.replace(PAYMENT, paid_at=T0 + timedelta(days=1))) != fingerprint_of(PAYMENT)
