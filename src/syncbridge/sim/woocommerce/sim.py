"""``WooCommerceSim``: the whole simulated shop (store, auth, webhooks, faults) behind one ASGI app."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from starlette.types import Scope

from syncbridge.sim.faults import FaultConfig, FaultInjector
from syncbridge.sim.woocommerce import render
from syncbridge.sim.woocommerce.app import PREFIX, WooApp
from syncbridge.sim.woocommerce.auth import ApiKey, Authenticator
from syncbridge.sim.woocommerce.handlers import Endpoints, routes, validate
from syncbridge.sim.woocommerce.rows import Json
from syncbridge.sim.woocommerce.store import Store
from syncbridge.sim.woocommerce.webhooks import WebhookDispatcher

if TYPE_CHECKING:
    from syncbridge.sim.seed import SeedData
    from syncbridge.sim.woocommerce.loader import LoadReport


class WooCommerceSim:
    """A WooCommerce 10 shop in memory.

    ``assume_https=True`` makes the shop behave as if every request came over HTTPS (Basic and query-string
    keys accepted, OAuth 1.0a ignored); ``trust_forwarded_https=True`` does so only for requests carrying
    ``X-Forwarded-Proto: https`` (as behind a TLS-terminating proxy). By default the shop is plain HTTP and,
    like a real one, only accepts OAuth 1.0a.
    """

    def __init__(
        self,
        consumer_key: str | None = None,
        consumer_secret: str | None = None,
        *,
        seed: int = 0,
        faults: FaultConfig | None = None,
        assume_https: bool = False,
        trust_forwarded_https: bool = False,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.consumer_key = consumer_key or "ck_" + secrets.token_hex(20)
        self.consumer_secret = consumer_secret or "cs_" + secrets.token_hex(20)
        self.seed = seed
        self.assume_https = assume_https
        self.trust_forwarded_https = trust_forwarded_https
        self.keys: dict[str, ApiKey] = {self.consumer_key: ApiKey(self.consumer_key, self.consumer_secret)}
        self.store = Store(clock)
        self.site_url = "http://127.0.0.1"
        self.webhooks = WebhookDispatcher(self.store, self._render_for_hook, lambda: self.site_url)
        self.endpoints = Endpoints(self.store, self.webhooks)
        self.auth = Authenticator(self.keys.get, lambda: self.store.clock() + self.store.skew)
        inner = WooApp(routes(self.endpoints), self.auth, self.store.lock, https=self._is_https, validate=validate)
        self.faults = FaultInjector(inner, faults or FaultConfig(seed=seed))
        self.app = self.faults

    # -- configuration ----------------------------------------------------------------------------
    def add_key(
        self,
        consumer_key: str,
        consumer_secret: str,
        *,
        permissions: str = "read_write",
        capable: bool = True,
    ) -> None:
        self.keys[consumer_key] = ApiKey(consumer_key, consumer_secret, permissions, capable)

    def _is_https(self, scope: Scope, headers: dict[str, str]) -> bool:
        if self.assume_https:
            return True
        return self.trust_forwarded_https and headers.get("x-forwarded-proto", "") == "https"

    # -- test helpers -----------------------------------------------------------------------------
    def advance(self, seconds: float) -> None:
        """Move the shop's clock forward (dates, OAuth timestamp window)."""
        self.store.skew += seconds

    def now(self) -> int:
        return self.store.now()

    @property
    def products(self) -> dict[int, Any]:
        return self.store.products

    @property
    def customers(self) -> dict[int, Any]:
        return self.store.customers

    @property
    def orders(self) -> dict[int, Any]:
        return self.store.orders

    def product_id_by_sku(self, sku: str) -> int | None:
        return self.store.sku_index.get(sku)

    def render(self, resource: str, row_id: int) -> Json | None:
        """The REST body of a product, customer or order as ``GET`` would answer it."""
        with self.store.lock:
            return self._render_for_hook(resource, row_id)

    def _render_for_hook(self, resource: str, row_id: int) -> Json | None:
        base = f"{self.site_url}{PREFIX}"
        s = self.store
        if resource == "product" and row_id in s.products:
            row = s.products[row_id]
            kids = [s.products[i] for i in row.variation_ids if i in s.products]
            return render.product(row, base, self.site_url, kids)
        if resource == "customer" and row_id in s.customers:
            return render.customer(s.customers[row_id], base)
        if resource == "order" and row_id in s.orders:
            return self.endpoints.order_json(row_id, base, self.site_url)
        return None

    def load(self, data: SeedData) -> LoadReport:
        """Insert seed data as if created through the API; refusals are counted in the report."""
        from syncbridge.sim.woocommerce.loader import load

        return load(self, data)

    def close(self) -> None:
        self.webhooks.close()
