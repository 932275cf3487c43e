"""Malformed external payloads fed to the WooCommerce and Odoo mappings: each must become a record or a typed
``syncbridge.errors.ValidationError``; never a KeyError, TypeError, ValueError, InvalidOperation or AttributeError
escaping into the engine (where a worker catches only ``SyncError``).

Each adapter translates these once (``connectors.base.payload_errors_as_validation``); a connector rejects the one
record (``Page.rejected``) and the engine records it as a ValidationError conflict.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from syncbridge.connectors.odoo import mapping as om
from syncbridge.connectors.woocommerce import mapping as wm
from syncbridge.errors import ValidationError

Json = dict[str, Any]

WOO_CUSTOMER: Json = {
    "id": 7,
    "email": "ana@example.com",
    "first_name": "Ana",
    "last_name": "Müller",
    "billing": {"phone": "+49 30 1", "address_1": "Main 1", "city": "Berlin", "country": "DE"},
    "shipping": {"address_1": "Main 1", "city": "Berlin", "country": "DE"},
    "date_modified_gmt": "2026-01-02T03:04:05",
}
WOO_PRODUCT: Json = {
    "id": 11,
    "sku": "SKU-1",
    "name": "Cap",
    "regular_price": "12.50",
    "sale_price": "",
    "manage_stock": True,
    "stock_quantity": 4,
    "status": "publish",
    "type": "simple",
    "date_modified_gmt": "2026-01-02T03:04:05",
}
WOO_ORDER: Json = {
    "id": 21,
    "number": "1001",
    "status": "processing",
    "currency": "EUR",
    "total": "25.00",
    "billing": {"email": "ana@example.com"},
    "payment_method": "bacs",
    "transaction_id": "",
    "line_items": [{"sku": "SKU-1", "quantity": 2, "price": 12.5, "name": "Cap"}],
    "date_created_gmt": "2026-01-02T03:04:05",
    "date_paid_gmt": "2026-01-02T04:04:05",
    "date_modified_gmt": "2026-01-02T05:04:05",
}
ODOO_PARTNER: Json = {
    "id": 5,
    "email": "ana@example.com",
    "name": "Ana Müller",
    "phone": "+49 30 1",
    "street": "Main 1",
    "street2": False,
    "city": "Berlin",
    "zip": "10115",
    "state_id": False,
    "country_id": [57, "Germany"],
    "parent_id": False,
    "company_name": False,
    "active": True,
    "write_date": "2026-01-02 03:04:05",
}
ODOO_ORDER: Json = {
    "id": 9,
    "name": "S00009",
    "client_order_ref": "1001",
    "state": "sale",
    "locked": False,
    "currency_id": [1, "EUR"],
    "amount_total": 25.0,
    "date_order": "2026-01-02 03:04:05",
    "write_date": "2026-01-02 03:04:05",
}
ODOO_PAYMENT: Json = {
    "id": 3,
    "memo": "1001",
    "state": "paid",
    "payment_type": "inbound",
    "amount": 25.0,
    "currency_id": [1, "EUR"],
    "journal_id": [7, "Bank"],
    "payment_reference": "",
    "date": "2026-01-02",
    "write_date": "2026-01-02 03:04:05",
}
ODOO_QUANT: Json = {"id": 4, "product_id": [1, "Cap"], "quantity": 3.0, "write_date": "2026-01-02 03:04:05"}

# (name, mapping function of one payload, a valid payload)
TARGETS: list[tuple[str, Callable[[Json], Any], Json]] = [
    ("woo customer", wm.customer_from_wc, WOO_CUSTOMER),
    ("woo product", lambda d: wm.product_from_wc(d, []), WOO_PRODUCT),
    ("woo stock", wm.stock_from_wc, WOO_PRODUCT),
    ("woo order", wm.order_from_wc, WOO_ORDER),
    ("woo payments", lambda d: wm.payments_from_wc(d, []), WOO_ORDER),
    ("odoo partner", lambda d: om.customer_from_partner(d, None, states={}, countries={57: "DE"}), ODOO_PARTNER),
    ("odoo order", lambda d: om.order_from_sale(d, [], email="ana@example.com", skus={}), ODOO_ORDER),
    ("odoo payment", lambda d: om.payment_from_odoo(d, version=18), ODOO_PAYMENT),
    ("odoo quant", lambda d: om.stock_from_quant(d, "SKU-1"), ODOO_QUANT),
]
IDS = [name for name, _, _ in TARGETS]

BAD_VALUES = st.one_of(
    st.none(),
    st.just(False),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.just("x" * 100_000) | st.just("é" * 1_000_000),
    st.sampled_from(["2026-13-45T99:99:99", "yesterday", "0000-00-00 00:00:00", "NaN", "1e999999", "-", "[]"]),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
)


def _map(fn: Callable[[Json], Any], payload: Json) -> None:
    """The mapping either returns or raises ValidationError; anything else fails the test."""
    try:
        fn(payload)
    except ValidationError:
        pass


@pytest.mark.parametrize(("name", "fn", "payload"), TARGETS, ids=IDS)
def test_a_valid_payload_maps(name: str, fn: Callable[[Json], Any], payload: Json) -> None:
    assert fn(dict(payload)) is not None


@pytest.mark.parametrize(("name", "fn", "payload"), TARGETS, ids=IDS)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_a_malformed_field_is_a_validation_error(
    name: str, fn: Callable[[Json], Any], payload: Json, data: st.DataObject
) -> None:
    field = data.draw(st.sampled_from(sorted(payload)), label="field")
    broken = dict(payload)
    if data.draw(st.booleans(), label="drop"):
        del broken[field]
    else:
        broken[field] = data.draw(BAD_VALUES, label="value")
    _map(fn, broken)


@pytest.mark.parametrize(("name", "fn", "payload"), TARGETS, ids=IDS)
@settings(max_examples=40, deadline=None)
@given(body=st.one_of(st.none(), st.lists(st.integers(), max_size=2), st.text(max_size=10), st.just({})))
def test_a_payload_that_is_not_an_object_is_a_validation_error(
    name: str, fn: Callable[[Json], Any], payload: Json, body: Any
) -> None:
    _map(fn, body)


# The failures the properties above find, one per row, so the report can name each: (target, field, value).
KNOWN_BREAKAGES = [
    ("woo customer", "id", None),  # KeyError / missing id
    ("woo order", "date_created_gmt", "2026-13-45T99:99:99"),  # ValueError from datetime.fromisoformat
    ("woo order", "line_items", [{"price": "abc"}]),  # decimal.InvalidOperation
    ("odoo partner", "write_date", "yesterday"),  # ValueError from strptime
    ("odoo order", "amount_total", "n/a"),  # decimal.InvalidOperation
    ("odoo payment", "date", "0000-00-00"),  # ValueError from date.fromisoformat
]


@pytest.mark.parametrize(("target", "field", "value"), KNOWN_BREAKAGES)
def test_known_breakage_is_a_validation_error(target: str, field: str, value: Any) -> None:
    fn, payload = next((f, p) for n, f, p in TARGETS if n == target)
    broken = dict(payload)
    if value is None:
        broken.pop(field, None)
    else:
        broken[field] = value
    _map(fn, broken)


def test_dates_the_mappings_accept_are_utc() -> None:
    customer = wm.customer_from_wc(dict(WOO_CUSTOMER))
    assert customer.modified_at == datetime.fromisoformat("2026-01-02T03:04:05+00:00")
