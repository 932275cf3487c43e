"""WooCommerce webhooks through HTTP: ping, signatures, duplicates, deleted payloads, and what they trigger."""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any

import orjson
import pytest
import sqlalchemy as sa
from apikit import API, WEBHOOK_SECRET, Stack, data_of, error_of

from syncbridge.store.activity import list_activity
from syncbridge.store.connections import add_connection
from syncbridge.store.crypto import cipher_from_settings
from syncbridge.store.session import transaction
from syncbridge.store.tables import now_utc, sync_preview_cache


def url(connection_id: str) -> str:
    return f"{API}/webhooks/woocommerce/{connection_id}"


def sign(body: bytes, secret: str = WEBHOOK_SECRET) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def delivery(
    payload: dict[str, Any], *, topic: str = "customer.updated", delivery_id: str = "101", secret: str = WEBHOOK_SECRET
) -> tuple[bytes, dict[str, str]]:
    body = orjson.dumps(payload)
    resource, _, event = topic.partition(".")
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "WooCommerce/10.0.2 Hookshot (WordPress/6.8.1)",
        "X-WC-Webhook-Source": "http://shop.example/",
        "X-WC-Webhook-Topic": topic,
        "X-WC-Webhook-Resource": resource,
        "X-WC-Webhook-Event": event,
        "X-WC-Webhook-ID": "7",
        "X-WC-Webhook-Delivery-ID": delivery_id,
        "X-WC-Webhook-Signature": sign(body, secret),
    }
    return body, headers


def post(stack: Stack, connection_id: str, body: bytes, headers: dict[str, str]) -> Any:
    return stack.client.post(url(connection_id), content=body, headers=headers)


def test_creation_ping_is_200_without_a_signature(stack: Stack) -> None:
    response = post(
        stack, stack.a.woo_connection, b"webhook_id=7", {"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert data_of(response) == {"ping": True, "webhookId": "7"}


def test_good_signature_syncs_the_touched_record(stack: Stack) -> None:
    body, headers = delivery({"id": 42, "email": "ann@example.com", "first_name": "Ann"})
    result = data_of(post(stack, stack.a.woo_connection, body, headers))
    assert result["accepted"] is True
    assert (result["entity"], result["resourceId"], result["deliveryId"]) == ("customers", "42", "101")
    run = data_of(stack.client.get(f"{API}/sync/runs/{result['runId']}", headers=stack.a.headers))
    assert run["entities"] == ["customers"] and run["systems"] == ["woocommerce"]
    with transaction(stack.services.engine) as conn:
        kinds = [a.message for a in list_activity(conn, stack.a.id, kind="webhook")]
    assert "customer.updated #42" in kinds


def test_webhook_invalidates_the_preview_cache(stack: Stack) -> None:
    with transaction(stack.services.engine) as conn:
        conn.execute(
            sync_preview_cache.insert().values(
                org_id=stack.a.id,
                system="woocommerce",
                entity="products",
                direction="inbound",
                payload={},
                computed_at=now_utc(),
                expires_at=now_utc(),
            )
        )
    body, headers = delivery({"id": 5, "sku": "S-1"}, topic="product.updated")
    assert data_of(post(stack, stack.a.woo_connection, body, headers))["entity"] == "products"
    with transaction(stack.services.engine) as conn:
        left = conn.execute(sa.select(sa.func.count()).select_from(sync_preview_cache)).scalar_one()
    assert left == 0


def test_a_burst_of_touches_coalesces_into_a_queued_run(stack: Stack) -> None:
    results = []
    for n in range(1, 5):
        body, headers = delivery({"id": n}, delivery_id=f"burst-{n}")
        results.append(data_of(post(stack, stack.a.woo_connection, body, headers)))
    assert all(r["accepted"] for r in results)
    merged = [r for r in results if r["merged"]]
    assert merged and all(r["runId"] is None for r in merged)
    runs = data_of(stack.client.get(f"{API}/sync/runs", headers=stack.a.headers))
    assert len(runs) == len(results) - len(merged) < len(results)


def test_duplicate_delivery_is_200_and_does_nothing(stack: Stack) -> None:
    body, headers = delivery({"id": 42})
    first = data_of(post(stack, stack.a.woo_connection, body, headers))
    again = data_of(post(stack, stack.a.woo_connection, body, headers))
    assert again == {"duplicate": True, "deliveryId": "101"}
    runs = data_of(stack.client.get(f"{API}/sync/runs", headers=stack.a.headers))
    assert [r["runId"] for r in runs] == [first["runId"]]


def test_deleted_payload_is_only_an_id(stack: Stack) -> None:
    body, headers = delivery({"id": 42}, topic="order.deleted", delivery_id="d-1")
    result = data_of(post(stack, stack.a.woo_connection, body, headers))
    assert (result["entity"], result["resourceId"]) == ("orders", "42")


def test_untracked_topic_is_acknowledged_and_ignored(stack: Stack) -> None:
    body, headers = delivery({"id": 9, "code": "SALE"}, topic="coupon.created")
    assert data_of(post(stack, stack.a.woo_connection, body, headers))["ignored"] is True


@pytest.mark.parametrize(
    "tamper",
    ["wrong secret", "missing signature", "body changed", "empty signature"],
)
def test_bad_signatures_are_401(stack: Stack, tamper: str) -> None:
    body, headers = delivery({"id": 42}, secret="not-the-secret" if tamper == "wrong secret" else WEBHOOK_SECRET)
    if tamper == "missing signature":
        del headers["X-WC-Webhook-Signature"]
    if tamper == "empty signature":
        headers["X-WC-Webhook-Signature"] = "x"
    if tamper == "body changed":
        body = body.replace(b"42", b"43")
    error_of(post(stack, stack.a.woo_connection, body, headers), 401)
    runs = data_of(stack.client.get(f"{API}/sync/runs", headers=stack.a.headers))
    assert runs == []


def test_bad_signature_does_not_burn_the_delivery_id(stack: Stack) -> None:
    body, headers = delivery({"id": 42}, secret="not-the-secret")
    error_of(post(stack, stack.a.woo_connection, body, headers), 401)
    body, headers = delivery({"id": 42})
    assert data_of(post(stack, stack.a.woo_connection, body, headers))["accepted"] is True


def test_unknown_connection_is_404(stack: Stack) -> None:
    body, headers = delivery({"id": 42})
    error_of(post(stack, "f" * 32, body, headers), 404)
    error_of(post(stack, "f" * 32, b"webhook_id=1", {"Content-Type": "application/x-www-form-urlencoded"}), 404)


def test_connection_without_a_webhook_secret_refuses_deliveries(stack: Stack) -> None:
    with transaction(stack.services.engine) as conn:
        bare = add_connection(
            conn,
            stack.a.id,
            system="woocommerce",
            name="bare",
            base_url="http://127.0.0.1:9",
            secrets={"consumer_key": "ck_1234567890ab", "consumer_secret": "cs_1234567890ab"},
            cipher=cipher_from_settings(stack.services.settings),
        )
    body, headers = delivery({"id": 42})
    assert "secret" in error_of(post(stack, bare.id, body, headers), 401)["error"]


def test_signed_body_that_is_not_json_is_400(stack: Stack) -> None:
    body = b"<xml/>"
    _, headers = delivery({})
    headers["X-WC-Webhook-Signature"] = sign(body)
    error_of(post(stack, stack.a.woo_connection, body, headers), 400)


def test_one_orgs_delivery_never_touches_another(stack: Stack) -> None:
    body, headers = delivery({"id": 42})
    data_of(post(stack, stack.b.woo_connection, body, headers))
    assert data_of(stack.client.get(f"{API}/sync/runs", headers=stack.a.headers)) == []
    assert len(data_of(stack.client.get(f"{API}/sync/runs", headers=stack.b.headers))) == 1
