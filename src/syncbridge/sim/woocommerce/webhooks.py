"""Webhook deliveries: matching topics, the creation ping, signatures, and disabling after failures.

Like WooCommerce: deliveries happen asynchronously after the change (here: one worker thread), are never
retried, carry ``X-WC-Webhook-*`` headers and ``X-WC-Webhook-Signature`` = base64(HMAC-SHA256(raw body,
secret)); the body is the REST resource, or ``{"id": N}`` for ``deleted``. After more than 5 failed deliveries
in a row a webhook turns ``disabled``. The ping sent on creation is an unsigned form body ``webhook_id=N``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass

import httpx
import orjson

from syncbridge.sim.woocommerce.render import WC_VERSION
from syncbridge.sim.woocommerce.rows import Json, WebhookRow
from syncbridge.sim.woocommerce.store import Store

MAX_FAILURES = 5
USER_AGENT = f"WooCommerce/{WC_VERSION} Hookshot (WordPress/6.8.1)"


@dataclass(frozen=True, slots=True)
class Delivery:
    webhook_id: int
    delivery_id: int
    topic: str
    status: int | None  # None when the connection failed
    ok: bool


def signature(body: bytes, secret: str) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


class WebhookDispatcher:
    def __init__(self, store: Store, render: Callable[[str, int], Json | None], site: Callable[[], str]) -> None:
        self._store = store
        self._render = render
        self._site = site
        self._queue: queue.Queue[tuple[int, str, bytes] | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._delivery_seq = 0
        self.deliveries: list[Delivery] = []
        self.timeout_s = 5.0
        store.listeners.append(self.on_change)

    # -- changes -> queued deliveries (called under the store lock) -------------------------------
    def on_change(self, resource: str, event: str, row_id: int) -> None:
        topic = f"{resource}.{event}"
        hooks = [w for w in self._store.webhooks.values() if w.status == "active" and w.topic == topic]
        if not hooks:
            return
        payload = {"id": row_id} if event == "deleted" else self._render(resource, row_id)
        if payload is None:
            return
        body = orjson.dumps(payload)
        for hook in hooks:
            self._queue.put((hook.id, topic, body))
        self._ensure_worker()

    def _ensure_worker(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._work, name="wc-sim-webhooks", daemon=True)
            self._thread.start()

    def _work(self) -> None:
        with httpx.Client(timeout=self.timeout_s) as client:
            while True:
                item = self._queue.get()
                try:
                    if item is None:
                        return
                    self._deliver(client, *item)
                finally:
                    self._queue.task_done()

    def _deliver(self, client: httpx.Client, webhook_id: int, topic: str, body: bytes) -> None:
        with self._store.lock:
            hook = self._store.webhooks.get(webhook_id)
            if hook is None or hook.status != "active":
                return
            self._delivery_seq += 1
            delivery_id = self._delivery_seq
            url, secret = hook.delivery_url, hook.secret
        resource, _, event = topic.partition(".")
        headers = {
            "content-type": "application/json",
            "user-agent": USER_AGENT,
            "x-wc-webhook-source": f"{self._site()}/",
            "x-wc-webhook-topic": topic,
            "x-wc-webhook-resource": resource,
            "x-wc-webhook-event": event,
            "x-wc-webhook-signature": signature(body, secret),
            "x-wc-webhook-id": str(webhook_id),
            "x-wc-webhook-delivery-id": str(delivery_id),
        }
        status: int | None = None
        try:
            status = client.post(url, content=body, headers=headers).status_code
        except httpx.HTTPError:
            status = None
        ok = status is not None and 200 <= status < 300
        with self._store.lock:
            self.deliveries.append(Delivery(webhook_id, delivery_id, topic, status, ok))
            hook = self._store.webhooks.get(webhook_id)
            if hook is not None:
                hook.failure_count = 0 if ok else hook.failure_count + 1
                if hook.failure_count > MAX_FAILURES:
                    hook.status = "disabled"

    # -- ping, flush, close -----------------------------------------------------------------------
    def ping(self, hook: WebhookRow) -> int | None:
        try:
            with httpx.Client(timeout=self.timeout_s) as client:
                answer = client.post(
                    hook.delivery_url, data={"webhook_id": str(hook.id)}, headers={"user-agent": USER_AGENT}
                )
            return answer.status_code
        except httpx.HTTPError:
            return None

    def flush(self, timeout: float = 10.0) -> None:
        """Wait until every queued delivery was attempted (tests)."""
        done = threading.Event()

        def waiter() -> None:
            self._queue.join()
            done.set()

        threading.Thread(target=waiter, daemon=True).start()
        if not done.wait(timeout):
            raise TimeoutError("webhook deliveries still pending")

    def close(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            self._queue.put(None)
            self._thread.join(timeout=5)
