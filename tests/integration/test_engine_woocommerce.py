"""The engine against the WooCommerce simulator: pull into the hub, push to an empty shop, faults, control."""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from syncbridge.sim.faults import FaultConfig
from syncbridge.sim.seed import SeedData, generate
from syncbridge.sim.server import SimServer
from syncbridge.sim.woocommerce import WooCommerceSim
from syncbridge.sim.woocommerce.loader import load
from syncbridge.store import conflicts as conflict_repo
from syncbridge.store.session import transaction
from tests.integration.harness import ALL_ENTITIES, Engine_, engine_for, system_fingerprints


@pytest.fixture(scope="module")
def data() -> SeedData:
    return generate(customers=40, products=25, orders=30, seed=11)


@pytest.fixture
def env(db_url: str, tmp_path: Path) -> Iterator[Engine_]:
    with engine_for(db_url, tmp_path) as e:
        yield e


def _shop(data: SeedData | None = None, **faults: object) -> tuple[WooCommerceSim, SimServer]:
    sim = WooCommerceSim(seed=3, faults=FaultConfig(seed=3, **faults))  # type: ignore[arg-type]
    if data is not None:
        load(sim, data)
    server = SimServer(sim.app).start()
    sim.site_url = server.url
    return sim, server


def _pull(env: Engine_, data: SeedData) -> tuple[str, WooCommerceSim, SimServer]:
    org = env.org("acme")
    sim, server = _shop(data)
    env.connect_woocommerce(org, server.url, sim.consumer_key, sim.consumer_secret)
    view = env.run(org, systems=["woocommerce"], direction="to-hub")
    assert view["status"] == "completed", view
    return org, sim, server


def _listed_keys(env: Engine_, org: str, entity: str) -> list[str]:
    from syncbridge.domain.records import EntityType, System

    connector = env.connector_for(org, System.WOOCOMMERCE)
    try:
        return [r.natural_key for page in connector.iter_changes(EntityType(entity)) for r in page.records]
    finally:
        connector.close()


def _conflicts(env: Engine_, org: str) -> list[conflict_repo.ConflictRow]:
    with transaction(env.engine) as conn:
        rows, _ = conflict_repo.list_conflicts(conn, org, conflict_repo.ConflictFilter(), page=1, page_size=1000)
    return rows


def test_pull_into_hub_then_converge(env: Engine_, data: SeedData) -> None:
    env.start_workers(2)
    org, _, server = _pull(env, data)
    try:
        shop = env.connector_for(org, __import__("syncbridge.domain.records").domain.records.System.WOOCOMMERCE)
        for entity in ALL_ENTITIES:
            assert env.hub_fingerprints(org, entity) == system_fingerprints(
                env.connector_for(org, shop.system), entity
            ), entity
        shop.close()
        again = env.run(org, systems=["woocommerce"], direction="to-hub")
        assert again["status"] == "completed"
        assert again["progress"]["total"] == 0  # nothing changed, nothing planned
    finally:
        server.stop()


def test_push_hub_to_an_empty_shop_round_trips(env: Engine_, data: SeedData) -> None:
    env.start_workers(2)
    org, _, first = _pull(env, data)
    first.stop()
    env.drop_connection(org, "woocommerce")
    empty, server = _shop()
    env.connect_woocommerce(org, server.url, empty.consumer_key, empty.consumer_secret)
    try:
        view = env.run(org, systems=["woocommerce"], direction="from-hub")
        assert view["status"] == "completed", view
        assert view["progress"]["conflicts"] == 0, _conflicts(env, org)[:3]
        from syncbridge.domain.records import System

        for entity in ALL_ENTITIES:
            assert system_fingerprints(env.connector_for(org, System.WOOCOMMERCE), entity) == env.hub_fingerprints(
                org, entity
            ), entity
    finally:
        server.stop()


def test_faults_lose_nothing_and_duplicate_nothing(env: Engine_, data: SeedData) -> None:
    env.start_workers(2)
    org, _, first = _pull(env, data)
    first.stop()
    env.drop_connection(org, "woocommerce")
    faulty, server = _shop(error_rate=0.08, rate_429=0.08, drop_rate=0.05, lost_response_rate=0.08)
    env.connect_woocommerce(org, server.url, faulty.consumer_key, faulty.consumer_secret)
    try:
        view = env.run(org, systems=["woocommerce"], direction="from-hub", max_retries=8)
        assert view["status"] == "completed", view
        assert sum(faulty.faults.counts.values()) > 0
        faulty.faults.configure(error_rate=0, rate_429=0, drop_rate=0, lost_response_rate=0)
        conflicted = {(c.entity, c.natural_key) for c in _conflicts(env, org)}
        from syncbridge.domain.records import System

        for entity in ALL_ENTITIES:
            shop = system_fingerprints(env.connector_for(org, System.WOOCOMMERCE), entity)
            hub = env.hub_fingerprints(org, entity)
            missing = {k for k in hub if k not in shop and (entity, k) not in conflicted}
            assert not missing, (entity, sorted(missing)[:5])
        for entity in ALL_ENTITIES:
            listed = Counter(_listed_keys(env, org, entity))
            assert not [k for k, n in listed.items() if n > 1], entity  # nothing created twice
    finally:
        server.stop()


def test_pause_resume_cancel(env: Engine_, data: SeedData) -> None:
    org = env.org("acme")
    sim, server = _shop(data, latency_ms=20)
    env.connect_woocommerce(org, server.url, sim.consumer_key, sim.consumer_secret)
    try:
        env.start_workers(1)
        view = env.orchestration.start(
            org,
            systems=["woocommerce"],
            entities=ALL_ENTITIES,
            direction="to-hub",
            settings=__import__("syncbridge.services.orchestration").services.orchestration.RunSettings(batch_size=5),
        )
        run_id = view["runId"]
        deadline = time.monotonic() + 30
        while env.orchestration.status(org, run_id)["progress"]["processed"] == 0:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        paused = env.orchestration.pause(org, run_id)
        assert paused["status"] == "paused"
        time.sleep(0.6)
        frozen = env.orchestration.status(org, run_id)["progress"]["processed"]
        time.sleep(0.6)
        assert env.orchestration.status(org, run_id)["progress"]["processed"] == frozen
        resumed = env.orchestration.resume(org, run_id)
        assert resumed["status"] == "running"
        done = env.orchestration.wait(org, run_id, timeout_s=120)
        assert done["status"] == "completed"
        assert env.hub_count(org, "customers") == len({c.email.lower() for c in data.customers})
        with pytest.raises(Exception, match="completed run cannot become running"):
            env.orchestration.resume(org, run_id)

        second = env.orchestration.start(org, systems=["woocommerce"], entities=["customers"], direction="from-hub")
        cancelled = env.orchestration.cancel(org, second["runId"])
        assert cancelled["status"] == "cancelled"
    finally:
        server.stop()


class _CorruptOneOrder:
    """Wraps the shop: its order listings carry one order with an impossible creation date (a plugin bug)."""

    def __init__(self, app: object, number: str) -> None:
        self.app = app
        self.number = number

    async def __call__(self, scope: dict[str, object], receive: object, send: object) -> None:
        if scope.get("type") != "http" or not str(scope.get("path", "")).endswith("/orders"):
            await self.app(scope, receive, send)  # type: ignore[operator]
            return
        parts: list[object] = []

        async def capture(message: dict[str, object]) -> None:
            parts.append(message)

        await self.app(scope, receive, capture)  # type: ignore[operator]
        start = next(p for p in parts if p["type"] == "http.response.start")  # type: ignore[index]
        body = b"".join(p.get("body", b"") for p in parts if p["type"] == "http.response.body")  # type: ignore[index,union-attr]
        items = json.loads(body)
        if isinstance(items, list):
            for item in items:
                if str(item.get("number")) == self.number:
                    item["date_created_gmt"] = "2026-13-45T99:99:99"
            body = json.dumps(items).encode()
        headers = [(k, v) for k, v in start["headers"] if k.lower() != b"content-length"]  # type: ignore[index]
        await send({**start, "headers": [*headers, (b"content-length", str(len(body)).encode())]})  # type: ignore[operator,dict-item]
        await send({"type": "http.response.body", "body": body})  # type: ignore[operator]


def test_a_malformed_record_is_a_conflict_not_a_crash_nor_a_deletion(env: Engine_, data: SeedData) -> None:
    env.start_workers(2)
    org, sim, server = _pull(env, data)
    server.stop()
    bad = data.orders[3].number
    env.drop_connection(org, "woocommerce")
    corrupt = SimServer(_CorruptOneOrder(sim.app, bad)).start()
    env.connect_woocommerce(org, corrupt.url, sim.consumer_key, sim.consumer_secret)
    try:
        for _ in range(2):
            view = env.run(org, systems=["woocommerce"], entities=["orders"], direction="to-hub")
            assert view["status"] == "completed", view
        rows = [c for c in _conflicts(env, org) if c.entity == "orders"]
        assert len(rows) == 1  # recorded once, not once per run
        assert rows[0].conflict_type.value == "validation_error"
        assert rows[0].error_code == "malformed_payload"
        assert "cannot be read" in (rows[0].error_message or "")
        # the record is still in the hub (not taken for deleted), and the others are untouched
        assert env.hub_count(org, "orders") == len(data.orders)
    finally:
        corrupt.stop()


def test_records_without_a_natural_key_are_conflicts_never_matched_to_each_other(env: Engine_, data: SeedData) -> None:
    from syncbridge.sim.woocommerce import products

    env.start_workers(2)
    org, sim, server = _pull(env, data)
    try:
        before = env.hub_fingerprints(org, "products")
        with sim.store.lock:  # two new products without a SKU, and a linked one whose SKU was cleared
            for name in ("Loose A", "Loose B"):
                products.create_product(sim.store, {"name": name, "type": "simple", "regular_price": "5.00"})
            cleared = next(p for p in sim.store.products.values() if p.type == "simple" and p.sku)
            sku = cleared.sku
            products.update_product(sim.store, cleared, {"sku": ""})
        for _ in range(2):
            view = env.run(org, systems=["woocommerce"], entities=["products"], direction="to-hub")
            assert view["status"] == "completed", view
        rows = [c for c in _conflicts(env, org) if c.entity == "products"]
        assert sorted(c.error_code or "" for c in rows) == ["missing_natural_key"] * 3  # once each, not per run
        assert all(c.conflict_type.value == "validation_error" and "no SKU" in (c.error_message or "") for c in rows)
        # nothing keyless reached the hub, and the product whose SKU was cleared is kept (not taken for deleted)
        assert env.hub_fingerprints(org, "products") == before
        assert sku in before
        # Someone gives them SKUs in the shop: the next run syncs them and closes their conflicts by itself.
        with sim.store.lock:
            for p in sim.store.products.values():
                if p.name in ("Loose A", "Loose B"):
                    products.update_product(sim.store, p, {"sku": f"LOOSE-{p.id}"})
            products.update_product(sim.store, cleared, {"sku": sku})
        view = env.run(org, systems=["woocommerce"], entities=["products"], direction="to-hub")
        assert view["status"] == "completed", view
        rows = [c for c in _conflicts(env, org) if c.entity == "products"]
        assert [(c.status.value, c.resolution) for c in rows] == [("resolved", "readable_again")] * 3
        after = env.hub_fingerprints(org, "products")
        assert len(after) == len(before) + 2 and sku in after
    finally:
        server.stop()
