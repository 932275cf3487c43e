"""WooCommerce webhooks: a delivery is a hint that one record changed, so sync that record incrementally.

The pure part reads a delivery: the creation ping (an unsigned form body ``webhook_id=N`` with no
``X-WC-Webhook-*`` headers), the signature (base64 of HMAC-SHA256 over the *raw* body with the webhook
secret, compared in constant time), the topic (``customer|product|order.created|updated|deleted|restored``)
and the resource id (a ``deleted`` body is only ``{"id": N}``).

``WebhookService.handle_woocommerce`` is the I/O shell: find the connection (its id is in the URL, which is
how an unauthenticated caller names an organization), check the signature with the connection's stored
``webhook_secret``, drop duplicate deliveries (WooCommerce does deliver twice; table ``webhook_delivery``),
then invalidate the preview cache and ask the orchestrator to sync the touched record.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import parse_qs

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from syncbridge.domain.records import EntityType, System
from syncbridge.errors import AuthError, NotFoundError, ValidationError
from syncbridge.store._upsert import insert_for
from syncbridge.store.activity import record_activity
from syncbridge.store.connections import open_credentials
from syncbridge.store.crypto import CredentialCipher
from syncbridge.store.session import transaction
from syncbridge.store.tables import connection, now_utc, webhook_delivery

log = logging.getLogger("syncbridge.webhooks")

SIGNATURE_HEADER = "x-wc-webhook-signature"
# The resource of a topic -> the entity it touches. Coupons and custom actions are not synced.
TOPIC_ENTITIES: Mapping[str, EntityType] = {
    "customer": EntityType.CUSTOMERS,
    "product": EntityType.PRODUCTS,
    "order": EntityType.ORDERS,
}
_MAX_DELIVERY_ID = 100


class PreviewInvalidator(Protocol):
    def invalidate(self, org_id: str, entity: EntityType, system: System | None = ...) -> Any: ...


class TouchedSyncer(Protocol):
    def sync_touched(
        self, org_id: str, system: System, entity: EntityType, external_ids: Sequence[str]
    ) -> dict[str, Any] | None: ...


@dataclass(frozen=True, slots=True)
class WebhookDelivery:
    topic: str
    delivery_id: str
    resource_id: str | None
    entity: EntityType | None  # None: a topic we do not sync


def _lower(headers: Mapping[str, str]) -> dict[str, str]:
    return {k.lower(): v for k, v in headers.items()}


def signature_of(body: bytes, secret: str) -> str:
    return base64.b64encode(hmac.new(secret.encode("utf-8"), body, hashlib.sha256).digest()).decode("ascii")


def verify_signature(body: bytes, secret: str, signature: str | None) -> bool:
    if not signature or not secret:
        return False
    return hmac.compare_digest(signature_of(body, secret).encode("ascii"), signature.strip().encode("utf-8"))


def ping_webhook_id(headers: Mapping[str, str], body: bytes) -> str | None:
    """The webhook id of a creation ping, else None (a delivery carries X-WC-Webhook-* headers)."""
    if any(k.startswith("x-wc-webhook-") for k in _lower(headers)):
        return None
    try:
        form = parse_qs(body.decode("utf-8"), strict_parsing=True)
    except (UnicodeDecodeError, ValueError):
        return None
    ids = form.get("webhook_id", [])
    if set(form) == {"webhook_id"} and len(ids) == 1 and ids[0].isdigit():
        return ids[0]
    return None


def entity_for(topic: str) -> EntityType | None:
    return TOPIC_ENTITIES.get(topic.partition(".")[0].strip().lower())


def parse_delivery(headers: Mapping[str, str], body: bytes) -> WebhookDelivery:
    """Topic, delivery id (the body's digest when the header is missing) and resource id of a delivery."""
    low = _lower(headers)
    topic = low.get("x-wc-webhook-topic", "").strip()
    if not topic:
        raise ValidationError("webhook delivery without X-WC-Webhook-Topic")
    delivery_id = low.get("x-wc-webhook-delivery-id", "").strip()
    if len(delivery_id) > _MAX_DELIVERY_ID:
        raise ValidationError("X-WC-Webhook-Delivery-ID is too long")
    if not delivery_id:
        delivery_id = "sha256:" + hashlib.sha256(body).hexdigest()
    entity = entity_for(topic)
    resource_id: str | None = None
    if entity is not None:
        try:
            payload = orjson.loads(body)
        except orjson.JSONDecodeError:
            raise ValidationError("webhook body is not JSON") from None
        raw_id = payload.get("id") if isinstance(payload, dict) else None
        if isinstance(raw_id, bool) or not isinstance(raw_id, int | str) or not str(raw_id).strip():
            raise ValidationError("webhook body has no resource id")
        resource_id = str(raw_id).strip()
    return WebhookDelivery(topic=topic, delivery_id=delivery_id, resource_id=resource_id, entity=entity)


def notify_touched(
    preview: PreviewInvalidator,
    orchestration: TouchedSyncer,
    org_id: str,
    system: System,
    entity: EntityType,
    external_ids: Sequence[str],
) -> dict[str, Any] | None:
    """A record changed in ``system``: the cached preview is stale; the record needs an incremental sync."""
    preview.invalidate(org_id, entity, system)
    return orchestration.sync_touched(org_id, system, entity, list(external_ids))


class WebhookService:
    def __init__(
        self,
        engine: Engine,
        *,
        cipher: CredentialCipher,
        preview: PreviewInvalidator,
        orchestration: TouchedSyncer,
    ) -> None:
        self.engine = engine
        self.cipher = cipher
        self.preview = preview
        self.orchestration = orchestration

    def _org_of(self, conn: sa.Connection, connection_id: str) -> str:
        row = conn.execute(
            sa.select(connection.c.org_id).where(
                connection.c.id == connection_id, connection.c.system == System.WOOCOMMERCE.value
            )
        ).first()
        if row is None:
            raise NotFoundError("no such WooCommerce connection")
        org_id: str = row.org_id
        return org_id

    def org_for_connection(self, connection_id: str) -> str:
        with transaction(self.engine) as conn:
            return self._org_of(conn, connection_id)

    def handle_woocommerce(self, connection_id: str, headers: Mapping[str, str], body: bytes) -> dict[str, Any]:
        with transaction(self.engine) as conn:
            org_id = self._org_of(conn, connection_id)
            webhook_id = ping_webhook_id(headers, body)
            if webhook_id is not None:
                record_activity(
                    conn,
                    org_id,
                    kind="webhook",
                    system="woocommerce",
                    message=f"ping of webhook {webhook_id}",
                )
                return {"ping": True, "webhookId": webhook_id}
            secret = open_credentials(conn, org_id, connection_id, cipher=self.cipher).get("webhook_secret", "")
        if not secret:
            raise AuthError("this connection has no webhook secret: deliveries cannot be verified")
        if not verify_signature(body, secret, _lower(headers).get(SIGNATURE_HEADER)):
            raise AuthError("missing or wrong webhook signature")
        delivery = parse_delivery(headers, body)
        if not self._claim(org_id, connection_id, delivery.delivery_id):
            return {"duplicate": True, "deliveryId": delivery.delivery_id}
        if delivery.entity is None or delivery.resource_id is None:
            self._log(org_id, None, f"{delivery.topic}: not synced")
            return {
                "accepted": False,
                "ignored": True,
                "topic": delivery.topic,
                "deliveryId": delivery.delivery_id,
            }
        try:
            run = notify_touched(
                self.preview,
                self.orchestration,
                org_id,
                System.WOOCOMMERCE,
                delivery.entity,
                [delivery.resource_id],
            )
        except Exception:
            self._release(org_id, connection_id, delivery.delivery_id)  # let a redelivery try again
            raise
        self._log(org_id, delivery.entity, f"{delivery.topic} #{delivery.resource_id}")
        return {
            "accepted": True,
            "topic": delivery.topic,
            "deliveryId": delivery.delivery_id,
            "entity": delivery.entity.value,
            "resourceId": delivery.resource_id,
            "runId": None if run is None else run.get("runId"),
            "merged": run is None,
        }

    def _claim(self, org_id: str, connection_id: str, delivery_id: str) -> bool:
        """Record the delivery; False when it was seen before."""
        with transaction(self.engine) as conn:
            stmt = insert_for(conn, webhook_delivery).values(
                org_id=org_id, connection_id=connection_id, delivery_id=delivery_id, received_at=now_utc()
            )
            # RETURNING, not rowcount: psycopg reports -1 for an INSERT ... ON CONFLICT DO NOTHING.
            inserted = conn.execute(
                stmt.on_conflict_do_nothing().returning(webhook_delivery.c.delivery_id)
            ).first()
            return inserted is not None

    def _release(self, org_id: str, connection_id: str, delivery_id: str) -> None:
        with transaction(self.engine) as conn:
            conn.execute(
                webhook_delivery.delete().where(
                    webhook_delivery.c.org_id == org_id,
                    webhook_delivery.c.connection_id == connection_id,
                    webhook_delivery.c.delivery_id == delivery_id,
                )
            )

    def _log(self, org_id: str, entity: EntityType | None, message: str) -> None:
        with transaction(self.engine) as conn:
            record_activity(
                conn,
                org_id,
                kind="webhook",
                system="woocommerce",
                entity=entity.value if entity else None,
                message=message,
            )
