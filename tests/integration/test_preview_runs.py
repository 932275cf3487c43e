"""The preview with the engine: selective settings decide what a run applies; a run and a webhook invalidate."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from syncbridge.domain.records import EntityType, System
from syncbridge.engine.worker import EngineContext
from syncbridge.services.preview import PreviewService
from syncbridge.services.webhooks import notify_touched
from syncbridge.sim.seed import SeedData, generate
from syncbridge.sim.server import SimServer
from syncbridge.sim.woocommerce import WooCommerceSim
from syncbridge.sim.woocommerce.loader import load
from tests.integration.harness import Engine_, engine_for


@pytest.fixture(scope="module")
def data() -> SeedData:
    return generate(customers=10, products=3, orders=2, seed=9)


@pytest.fixture
def shop(data: SeedData) -> Iterator[tuple[WooCommerceSim, SimServer]]:
    sim = WooCommerceSim(seed=9)
    load(sim, data)
    server = SimServer(sim.app).start()
    sim.site_url = server.url
    try:
        yield sim, server
    finally:
        server.stop()


@pytest.fixture
def env(db_url: str, tmp_path: Path) -> Iterator[Engine_]:
    with engine_for(db_url, tmp_path) as e:
        yield e


def _wire(env: Engine_) -> PreviewService:
    """A preview service the workers invalidate, as the service container wires it."""
    preview = PreviewService(env.engine, connector_for=env.connector_for)
    context = EngineContext(engine=env.engine, settings=env.settings, connector_for=env.connector_for, preview=preview)
    env.context = lambda: context  # type: ignore[method-assign]
    return preview


def test_selective_settings_decide_what_a_run_applies(
    env: Engine_, shop: tuple[WooCommerceSim, SimServer]
) -> None:
    sim, server = shop
    preview = _wire(env)
    env.start_workers(1)
    org = env.org("acme")
    env.connect_woocommerce(org, server.url, sim.consumer_key, sim.consumer_secret)
    customers = len(sim.customers)

    before = preview.preview(org, System.WOOCOMMERCE, EntityType.CUSTOMERS)
    assert before["delta"]["new"]["count"] == customers
    preview.set_selective(org, EntityType.CUSTOMERS, include_new=False, include_updated=True, include_deleted=False)
    held = env.run(org, systems=["woocommerce"], entities=["customers"], direction="to-hub")
    assert held["status"] == "completed", held
    assert env.hub_count(org, "customers") == 0
    # The run invalidated the cache: the preview is computed again, and still shows every customer as new.
    after_held = preview.preview(org, System.WOOCOMMERCE, EntityType.CUSTOMERS)
    assert (after_held["cacheHit"], after_held["delta"]["new"]["count"]) == (False, customers)

    preview.set_selective(org, EntityType.CUSTOMERS, include_new=True, include_updated=True, include_deleted=False)
    applied = env.run(org, systems=["woocommerce"], entities=["customers"], direction="to-hub")
    assert applied["status"] == "completed", applied
    assert env.hub_count(org, "customers") == customers
    synced = preview.preview(org, System.WOOCOMMERCE, EntityType.CUSTOMERS)
    assert synced["cacheHit"] is False
    assert {k: v["count"] for k, v in synced["delta"].items()} == {
        "new": 0,
        "updated": 0,
        "deleted": 0,
        "conflicts": 0,
    }


def test_a_webhook_invalidates_the_preview(env: Engine_, shop: tuple[WooCommerceSim, SimServer]) -> None:
    sim, server = shop
    preview = _wire(env)
    org = env.org("acme")
    env.connect_woocommerce(org, server.url, sim.consumer_key, sim.consumer_secret)
    preview.preview(org, System.WOOCOMMERCE, EntityType.CUSTOMERS)
    preview.preview(org, System.WOOCOMMERCE, EntityType.PRODUCTS)
    assert preview.preview(org, System.WOOCOMMERCE, EntityType.CUSTOMERS)["cacheHit"] is True

    # What WebhookService.handle_woocommerce does with a verified, first-seen delivery of customer.updated.
    run = notify_touched(
        preview, env.orchestration, org, System.WOOCOMMERCE, EntityType.CUSTOMERS, [str(min(sim.customers))]
    )
    assert run is not None
    assert preview.preview(org, System.WOOCOMMERCE, EntityType.CUSTOMERS)["cacheHit"] is False
    assert preview.preview(org, System.WOOCOMMERCE, EntityType.PRODUCTS)["cacheHit"] is True
