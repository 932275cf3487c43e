"""The pure part of webhook handling: signature, creation ping, topic -> entity, delivery fields."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest

from syncbridge.domain.records import EntityType
from syncbridge.errors import ValidationError
from syncbridge.services.webhooks import (
    entity_for,
    parse_delivery,
    ping_webhook_id,
    signature_of,
    verify_signature,
)

BODY = b'{"id":42,"email":"ann@example.com"}'
GOOD = base64.b64encode(hmac.new(b"s3cret", BODY, hashlib.sha256).digest()).decode()


def test_signature_is_base64_hmac_sha256_of_the_raw_body() -> None:
    assert signature_of(BODY, "s3cret") == GOOD


@pytest.mark.parametrize(
    ("body", "secret", "signature", "ok"),
    [
        (BODY, "s3cret", GOOD, True),
        (BODY, "s3cret", f" {GOOD} ", True),
        (BODY, "other", GOOD, False),
        (BODY + b" ", "s3cret", GOOD, False),
        (BODY, "s3cret", None, False),
        (BODY, "s3cret", "", False),
        (BODY, "", GOOD, False),
        (BODY, "s3cret", "ünïcode", False),
    ],
)
def test_verify_signature(body: bytes, secret: str, signature: str | None, ok: bool) -> None:
    assert verify_signature(body, secret, signature) is ok


@pytest.mark.parametrize(
    ("headers", "body", "expected"),
    [
        ({}, b"webhook_id=12", "12"),
        ({"Content-Type": "application/x-www-form-urlencoded"}, b"webhook_id=7", "7"),
        ({"X-WC-Webhook-Topic": "customer.created"}, b"webhook_id=12", None),
        ({}, b"webhook_id=abc", None),
        ({}, b"webhook_id=1&x=2", None),
        ({}, b'{"webhook_id": 1}', None),
        ({}, b"", None),
        ({}, b"\xff\xfe", None),
    ],
)
def test_ping(headers: dict[str, str], body: bytes, expected: str | None) -> None:
    assert ping_webhook_id(headers, body) == expected


@pytest.mark.parametrize(
    ("topic", "entity"),
    [
        ("customer.created", EntityType.CUSTOMERS),
        ("customer.deleted", EntityType.CUSTOMERS),
        ("product.updated", EntityType.PRODUCTS),
        ("product.restored", EntityType.PRODUCTS),
        ("order.created", EntityType.ORDERS),
        ("Order.Updated", EntityType.ORDERS),
        ("coupon.created", None),
        ("action.woocommerce_add_to_cart", None),
        ("", None),
    ],
)
def test_entity_for(topic: str, entity: EntityType | None) -> None:
    assert entity_for(topic) == entity


def headers(topic: str = "customer.updated", delivery: str | None = "55") -> dict[str, str]:
    values = {"x-wc-webhook-topic": topic}
    if delivery is not None:
        values["X-WC-Webhook-Delivery-ID"] = delivery
    return values


@pytest.mark.parametrize(
    ("hdrs", "body", "resource_id", "entity"),
    [
        (headers(), b'{"id": 42}', "42", EntityType.CUSTOMERS),
        (headers("product.deleted"), b'{"id": "17"}', "17", EntityType.PRODUCTS),
        (headers("coupon.updated"), b"not json at all", None, None),
    ],
)
def test_parse_delivery(hdrs: dict[str, str], body: bytes, resource_id: str | None, entity: EntityType | None) -> None:
    parsed = parse_delivery(hdrs, body)
    assert (parsed.resource_id, parsed.entity, parsed.delivery_id) == (resource_id, entity, "55")


def test_delivery_without_an_id_header_is_keyed_by_its_body() -> None:
    one = parse_delivery(headers(delivery=None), b'{"id": 1}')
    same = parse_delivery(headers(delivery=None), b'{"id": 1}')
    other = parse_delivery(headers(delivery=None), b'{"id": 2}')
    assert one.delivery_id == same.delivery_id != other.delivery_id
    assert one.delivery_id.startswith("sha256:")


@pytest.mark.parametrize(
    ("hdrs", "body"),
    [
        ({}, b'{"id": 1}'),
        (headers(), b"[1, 2]"),
        (headers(), b'{"id": null}'),
        (headers(), b'{"id": true}'),
        (headers(), b'{"id": ""}'),
        (headers(), b"{"),
        (headers(delivery="x" * 101), b'{"id": 1}'),
    ],
)
def test_parse_delivery_refuses(hdrs: dict[str, str], body: bytes) -> None:
    with pytest.raises(ValidationError):
        parse_delivery(hdrs, body)
