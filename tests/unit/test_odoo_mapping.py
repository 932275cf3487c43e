from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from syncbridge.connectors.odoo import mapping
from syncbridge.domain.fingerprint import fingerprint_of
from syncbridge.domain.records import (
    Address,
    Customer,
    OrderStatus,
    PaymentState,
    Product,
    ProductStatus,
)


@pytest.mark.parametrize(
    ("active", "sale_ok", "status"),
    [
        (True, True, ProductStatus.ACTIVE),
        (True, False, ProductStatus.DRAFT),
        (False, True, ProductStatus.ARCHIVED),
        (False, False, ProductStatus.ARCHIVED),
    ],
)
def test_product_status(active: bool, sale_ok: bool, status: ProductStatus) -> None:
    assert mapping.product_status(active, sale_ok) is status


@pytest.mark.parametrize(
    ("row", "version", "storable"),
    [
        ({"type": "consu", "is_storable": True}, 18, True),
        ({"type": "consu", "is_storable": False}, 18, False),
        ({"type": "service", "is_storable": False}, 18, False),
        ({"detailed_type": "product"}, 17, True),
        ({"detailed_type": "consu"}, 16, False),
    ],
)
def test_storable_per_version(row: dict[str, Any], version: int, storable: bool) -> None:
    assert mapping.is_storable(row, version) is storable
    assert mapping.is_storable(mapping.storable_vals(storable, version), version) is storable


@pytest.mark.parametrize(
    ("state", "locked", "status"),
    [
        ("draft", False, OrderStatus.PENDING),
        ("sent", False, OrderStatus.PENDING),
        ("sale", False, OrderStatus.PROCESSING),
        ("sale", True, OrderStatus.COMPLETED),
        ("done", False, OrderStatus.COMPLETED),
        ("cancel", False, OrderStatus.CANCELLED),
    ],
)
def test_order_status(state: str, locked: bool, status: OrderStatus) -> None:
    assert mapping.order_status(state, locked) is status


@pytest.mark.parametrize(
    ("state", "payment_type", "version", "expected"),
    [
        ("draft", "inbound", 18, PaymentState.PENDING),
        ("in_process", "inbound", 18, PaymentState.PENDING),
        ("paid", "inbound", 18, PaymentState.PAID),
        ("canceled", "inbound", 18, PaymentState.CANCELLED),
        ("rejected", "inbound", 18, PaymentState.FAILED),
        ("paid", "outbound", 18, PaymentState.REFUNDED),
        ("canceled", "outbound", 18, PaymentState.CANCELLED),
        ("draft", "inbound", 16, PaymentState.PENDING),
        ("posted", "inbound", 17, PaymentState.PAID),
        ("cancel", "inbound", 16, PaymentState.CANCELLED),
        ("posted", "outbound", 16, PaymentState.REFUNDED),
    ],
)
def test_payment_state(state: str, payment_type: str, version: int, expected: PaymentState) -> None:
    assert mapping.payment_state(state, payment_type, version) is expected


@pytest.mark.parametrize(
    ("skus", "parent"),
    [(["SKU-1-S", "SKU-1-M"], "SKU-1"), (["A-RED", "A-BLUE"], "A"), (["ONLY"], "ONLY"), ([], ""), (["X1", "Y1"], "")],
)
def test_parent_sku(skus: list[str], parent: str) -> None:
    assert mapping.parent_sku(skus) == parent


@pytest.mark.parametrize(
    ("name", "pairs"),
    [
        ("Size: M", [("Size", "M")]),
        ("Size: M, Color: Red", [("Size", "M"), ("Color", "Red")]),
        ("Blue", [("Variant", "Blue")]),
        ("", []),
    ],
)
def test_variant_names_round_trip(name: str, pairs: list[tuple[str, str]]) -> None:
    assert mapping.parse_variant_name(name) == pairs
    if pairs and pairs[0][0] != "Variant":
        assert mapping.variant_name(pairs) == name


@pytest.mark.parametrize(
    ("reference", "order"), [("1001", "1001"), ("1001/R1", "1001"), ("WC-9/R12", "WC-9"), ("A/B", "A/B")]
)
def test_order_number_of_a_payment_reference(reference: str, order: str) -> None:
    assert mapping.order_number_of(reference) == order


def test_partner_from_the_real_transcript(shared_dir: Path) -> None:
    transcript = json.loads(
        (shared_dir / "samples/real/odoo-18/partner-read-many2one-false-write-date.json").read_text()
    )
    company, contact = transcript["response"]["body"]
    customer = mapping.customer_from_partner(company, None, states={}, countries={233: "US"})
    assert customer.email == "reca153309@example.com"
    assert customer.billing.country == "US" and customer.billing.street2 == ""
    assert customer.modified_at == datetime(2026, 11, 22, 15, 33, 12, tzinfo=UTC)
    child = mapping.customer_from_partner(contact, None, states={}, countries={})
    assert child.billing.company == "Rec Partner A 153309"  # the parent company's name
    assert child.email == "" and child.phone == ""


def test_partner_vals_and_back_fingerprint_alike() -> None:
    customer = Customer(
        email="Zoe@Example.com",
        name="Zoë Müller",
        phone="+49 1",
        billing=Address(
            company="ACME", street="Hauptstraße 1", city="Berlin", state="BE", postcode="10115", country="DE"
        ),
        shipping=Address(street="Baker Street 2", city="London", country="GB"),
    )
    vals = mapping.partner_vals(customer, state_id=7, country_id=2)
    row = {
        **vals,
        "id": 5,
        "state_id": [7, "Berlin (DE)"],
        "country_id": [2, "Germany"],
        "parent_id": False,
        "write_date": "2026-01-01 00:00:00",
    }
    delivery = {**mapping.address_vals(customer.shipping, state_id=None, country_id=4), "country_id": [4, "UK"]}
    back = mapping.customer_from_partner(row, delivery, states={7: "BE"}, countries={2: "DE", 4: "GB"})
    assert fingerprint_of(back) == fingerprint_of(customer)


def test_product_from_template_with_variants() -> None:
    template = {
        "id": 3,
        "name": "Tee",
        "default_code": False,
        "list_price": 10.0,
        "sale_ok": True,
        "active": True,
        "type": "consu",
        "is_storable": True,
        "write_date": "2026-01-01 00:00:00",
    }
    variants = [
        {
            "id": 7,
            "default_code": "TEE-S",
            "lst_price": 10.0,
            "active": True,
            "product_template_attribute_value_ids": [1],
        },
        {
            "id": 8,
            "default_code": "TEE-M",
            "lst_price": 11.0,
            "active": True,
            "product_template_attribute_value_ids": [2],
        },
        {
            "id": 9,
            "default_code": False,
            "lst_price": 12.0,
            "active": False,
            "product_template_attribute_value_ids": [3],
        },
    ]
    values = {1: ("Size", "S"), 2: ("Size", "M"), 3: ("Size", "L")}
    product = mapping.product_from_template(template, variants, values, version=18)
    assert isinstance(product, Product)
    assert product.sku == "TEE"
    assert [(v.sku, v.name, v.regular_price) for v in product.variants] == [
        ("TEE-M", "Size: M", Decimal("11.00")),
        ("TEE-S", "Size: S", Decimal("10.00")),
    ]


def test_payment_vals_carry_reference_and_refund_direction() -> None:
    from syncbridge.domain.records import Payment

    refund = Payment(
        reference="1001/R1",
        order_number="1001",
        amount=Decimal("5"),
        currency="EUR",
        method="stripe",
        state=PaymentState.REFUNDED,
        paid_at=datetime(2026, 2, 3, 10, 0, tzinfo=UTC),
    )
    vals18 = mapping.payment_vals(refund, version=18, journal_id=1, currency_id=2, partner_id=None)
    vals16 = mapping.payment_vals(refund, version=16, journal_id=1, currency_id=2, partner_id=None)
    assert vals18["memo"] == "1001/R1" and "ref" not in vals18
    assert vals16["ref"] == "1001/R1" and "memo" not in vals16
    assert vals18["payment_type"] == "outbound" and vals18["date"] == "2026-02-03"
