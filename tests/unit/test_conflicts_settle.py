"""Field policies: which side wins each differing field of a data mismatch."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from syncbridge.domain.conflicts import (
    DEFAULT_FIELD_POLICIES,
    FieldPolicies,
    PolicySource,
    Side,
    effective_policies,
    settle_fields,
    settle_mismatch,
)
from syncbridge.domain.records import Customer, EntityType, Product, StockLevel, System, Variant

WC, ODOO, HUB = System.WOOCOMMERCE, System.ODOO, System.HUB
T1 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
T2 = datetime(2026, 1, 2, 12, 0, tzinfo=UTC)

HUB_PRODUCT = Product(sku="A-1", name="Mug", regular_price=Decimal("10.00"), hub_id="h1")
HUB_STOCK = StockLevel(sku="A-1", quantity=Decimal(5), hub_id="h2")
HUB_CUSTOMER = Customer(email="ann@example.com", name="Ann", phone="1", hub_id="h3")

Q = (EntityType.INVENTORY, "quantity")
PRICE = (EntityType.PRODUCTS, "regular_price")
NAME = (EntityType.PRODUCTS, "name")


@pytest.mark.parametrize(
    ("policies", "incoming_system", "other_system", "hub_at", "incoming_at", "winner"),
    [
        ({Q: PolicySource.ODOO}, ODOO, WC, None, None, Side.INCOMING),  # incoming is the source of truth
        ({Q: PolicySource.ODOO}, WC, ODOO, None, None, Side.HUB),  # the hub stands for the other system
        ({Q: PolicySource.WOOCOMMERCE}, WC, ODOO, None, None, Side.INCOMING),
        ({Q: PolicySource.WOOCOMMERCE}, ODOO, WC, None, None, Side.HUB),
        ({Q: PolicySource.HUB}, WC, ODOO, None, None, Side.HUB),
        ({Q: PolicySource.HUB}, ODOO, HUB, None, None, Side.HUB),
        ({Q: PolicySource.NEWEST}, WC, ODOO, T1, T2, Side.INCOMING),
        ({Q: PolicySource.NEWEST}, WC, ODOO, T2, T1, Side.HUB),
        ({Q: PolicySource.NEWEST}, WC, ODOO, T1, T1, Side.HUB),  # a tie keeps the hub
        ({Q: PolicySource.NEWEST}, WC, ODOO, None, T2, None),  # no timestamp: cannot tell
        ({Q: PolicySource.NEWEST}, WC, ODOO, T1, None, None),
        ({Q: PolicySource.WOOCOMMERCE}, ODOO, HUB, None, None, None),  # a third system's version is absent
        ({}, ODOO, WC, None, None, None),  # no policy
        ({PRICE: PolicySource.ODOO}, ODOO, WC, None, None, None),  # a policy for another field
    ],
)
def test_settle_one_field(
    policies: FieldPolicies,
    incoming_system: System,
    other_system: System,
    hub_at: datetime | None,
    incoming_at: datetime | None,
    winner: Side | None,
) -> None:
    incoming = StockLevel(sku="A-1", quantity=Decimal(7), external_id="99")
    merged = settle_mismatch(
        HUB_STOCK,
        incoming,
        incoming_system=incoming_system,
        other_system=other_system,
        policies=policies,
        hub_modified_at=hub_at,
        incoming_modified_at=incoming_at,
    )
    if winner is None:
        assert merged is None
        return
    assert isinstance(merged, StockLevel)
    assert merged.quantity == (Decimal(7) if winner is Side.INCOMING else Decimal(5))
    assert (merged.hub_id, merged.external_id) == ("h2", "99")


def test_every_differing_field_must_be_settled() -> None:
    incoming = dataclasses.replace(HUB_PRODUCT, name="Big mug", regular_price=Decimal("12"), hub_id=None)
    settlement = settle_fields(
        HUB_PRODUCT, incoming, incoming_system=WC, other_system=ODOO, policies=DEFAULT_FIELD_POLICIES
    )
    assert settlement.merged is None
    assert settlement.unsettled == ("name",)
    assert settlement.settled == {"regular_price": Side.HUB}

    policies = {**DEFAULT_FIELD_POLICIES, NAME: PolicySource.WOOCOMMERCE}
    merged = settle_mismatch(
        HUB_PRODUCT,
        incoming,
        incoming_system=WC,
        other_system=ODOO,
        policies=policies,
        hub_modified_at=None,
        incoming_modified_at=None,
    )
    assert merged == dataclasses.replace(incoming, regular_price=Decimal("10.00"), hub_id="h1")


@pytest.mark.parametrize(
    ("incoming_system", "other_system", "expected"),
    [
        # defaults: prices (and variants) from Odoo. A variable product's own price is not compared (its prices
        # live on the variants): it is carried from the incoming record either way.
        (ODOO, WC, {"regular_price": Decimal("12"), "variant_price": Decimal("3")}),
        (WC, ODOO, {"regular_price": Decimal("12"), "variant_price": Decimal("2")}),
    ],
)
def test_default_price_policies(incoming_system: System, other_system: System, expected: dict[str, Decimal]) -> None:
    hub = dataclasses.replace(HUB_PRODUCT, variants=(Variant(sku="A-1-S", name="S", regular_price=Decimal(2)),))
    incoming = dataclasses.replace(
        hub,
        regular_price=Decimal("12"),
        variants=(Variant(sku="A-1-S", name="S", regular_price=Decimal(3)),),
        hub_id=None,
    )
    merged = settle_mismatch(
        hub,
        incoming,
        incoming_system=incoming_system,
        other_system=other_system,
        policies=DEFAULT_FIELD_POLICIES,
        hub_modified_at=None,
        incoming_modified_at=None,
    )
    assert isinstance(merged, Product)
    assert merged.regular_price == expected["regular_price"]
    assert merged.variants[0].regular_price == expected["variant_price"]


@pytest.mark.parametrize(
    ("incoming_system", "other_system", "email", "phone"),
    [(WC, ODOO, "ann@new.example", "2"), (ODOO, WC, "ann@example.com", "1")],
)
def test_default_customer_policies_follow_woocommerce(
    incoming_system: System, other_system: System, email: str, phone: str
) -> None:
    incoming = dataclasses.replace(HUB_CUSTOMER, email="ann@new.example", phone="2", hub_id=None)
    merged = settle_mismatch(
        HUB_CUSTOMER,
        incoming,
        incoming_system=incoming_system,
        other_system=other_system,
        policies=DEFAULT_FIELD_POLICIES,
        hub_modified_at=None,
        incoming_modified_at=None,
    )
    assert isinstance(merged, Customer)
    assert (merged.email, merged.phone, merged.hub_id) == (email, phone, "h3")


def test_unchanged_comparable_fields_settle_trivially() -> None:
    incoming = dataclasses.replace(HUB_STOCK, hub_id=None, external_id="5")
    merged = settle_mismatch(
        HUB_STOCK,
        incoming,
        incoming_system=WC,
        other_system=ODOO,
        policies={},
        hub_modified_at=None,
        incoming_modified_at=None,
    )
    assert merged == dataclasses.replace(incoming, hub_id="h2")


def test_records_of_different_types_are_refused() -> None:
    with pytest.raises(TypeError):
        settle_fields(HUB_STOCK, HUB_PRODUCT, incoming_system=WC, other_system=ODOO, policies={})


def test_overrides_replace_defaults() -> None:
    policies = effective_policies({Q: PolicySource.NEWEST, NAME: PolicySource.HUB})
    assert policies[Q] is PolicySource.NEWEST
    assert policies[NAME] is PolicySource.HUB
    assert policies[PRICE] is PolicySource.ODOO
