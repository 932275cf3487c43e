"""Preview counts against the WooCommerce and Odoo simulators: link part of a shop into the hub, change records on
each side, and the preview says exactly what changed, in both directions."""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from syncbridge.config import Settings
from syncbridge.connectors.base import Connector, Operation, OpKind
from syncbridge.connectors.factory import make_connector_factory
from syncbridge.domain.fingerprint import fingerprint_of
from syncbridge.domain.records import Customer, EntityType, Product, Record, System
from syncbridge.engine.planner import is_deleted
from syncbridge.services.preview import PreviewService
from syncbridge.sim.seed import SeedData, generate
from syncbridge.sim.stack import SimStack, connect_org, start_sims
from syncbridge.store import hub_records, links
from syncbridge.store.bootstrap import open_store
from syncbridge.store.session import transaction
from tests.integration.harness import make_settings


@dataclass
class Env:
    settings: Settings
    engine: sa.Engine
    stack: SimStack
    org: str

    def connector(self, system: System) -> Connector:
        return make_connector_factory(self.engine, self.settings)(self.org, system)

    def service(self) -> PreviewService:
        return PreviewService(self.engine, connector_for=make_connector_factory(self.engine, self.settings))


@pytest.fixture(scope="module")
def data() -> SeedData:
    return generate(customers=16, products=8, orders=2, seed=5)


@pytest.fixture
def env(db_url: str, tmp_path: Path, data: SeedData) -> Iterator[Env]:
    settings = make_settings(db_url, tmp_path)
    engine = open_store(settings)
    stack = start_sims(woo_data=data, odoo_data=data)
    try:
        yield Env(settings, engine, stack, connect_org(engine, settings, stack))
    finally:
        stack.stop()
        engine.dispose()


def _live(connector: Connector, entity: EntityType) -> list[Record]:
    return [r for page in connector.iter_changes(entity) for r in page.records if not is_deleted(r)]


def _renamed(record: Record, suffix: str) -> Record:
    assert isinstance(record, Customer | Product)
    return dataclasses.replace(record, name=f"{record.name} {suffix}")


def _fresh(entity: EntityType) -> Customer | Product:
    if entity is EntityType.CUSTOMERS:
        return Customer(email="fresh.customer@example.com", name="Fresh Customer")
    return Product(sku="FRESH-001", name="Fresh Product", regular_price=Decimal("5.00"))


def _apply(connector: Connector, entity: EntityType, *ops: tuple[OpKind, Record | None, str | None]) -> None:
    operations = [Operation(f"op-{n}", kind, entity, record, ext) for n, (kind, record, ext) in enumerate(ops)]
    results = connector.apply(entity, operations)
    assert all(r.ok for r in results), [r.error for r in results]


def _counts(answer: dict[str, Any]) -> dict[str, int]:
    return {kind: part["count"] for kind, part in answer["delta"].items()}


@pytest.mark.parametrize("system", [System.WOOCOMMERCE, System.ODOO])
@pytest.mark.parametrize("entity", [EntityType.CUSTOMERS, EntityType.PRODUCTS])
def test_counts_match_both_directions(env: Env, system: System, entity: EntityType) -> None:
    connector = env.connector(system)
    try:
        records = _live(connector, entity)
        keys = Counter(r.natural_key for r in records)
        unique = sorted((r for r in records if keys[r.natural_key] == 1), key=lambda r: r.natural_key)
        linked, unlinked = unique[:6], len(records) - 6
        assert unlinked >= 2
        hub_ids: list[str] = []
        with transaction(env.engine) as conn:
            for record in linked:
                neutral = dataclasses.replace(record, external_id=None)
                hub_id = hub_records.upsert_record(conn, env.org, neutral)
                links.upsert_link(
                    conn, env.org, entity=entity.value, hub_id=hub_id, system=system.value,
                    external_id=str(record.external_id), fingerprint=fingerprint_of(record),
                )  # fmt: skip
                hub_ids.append(hub_id)
            # Only in the hub: outbound would create it.
            hub_records.upsert_record(conn, env.org, _renamed(_fresh(entity), "hub-only"))

        in_sync = env.service().preview(env.org, system, entity, page_size=500)
        assert _counts(in_sync) == {"new": unlinked, "updated": 0, "deleted": 0, "conflicts": 0}
        out_sync = env.service().preview(env.org, system, entity, direction="outbound")
        assert _counts(out_sync) == {"new": 1, "updated": 0, "deleted": 0, "conflicts": 0}

        # The system: one updated, one deleted, one created, one changed on both sides.
        _apply(
            connector,
            entity,
            (OpKind.UPDATE, _renamed(linked[0], "changed in shop"), str(linked[0].external_id)),
            (OpKind.DELETE, linked[1], str(linked[1].external_id)),
            (OpKind.CREATE, _fresh(entity), None),
            (OpKind.UPDATE, _renamed(linked[3], "shop side"), str(linked[3].external_id)),
        )
        # The hub: one updated, one deleted, the same one changed differently.
        with transaction(env.engine) as conn:
            for n, suffix in ((2, "changed in hub"), (3, "hub side")):
                changed = dataclasses.replace(_renamed(linked[n], suffix), external_id=None, hub_id=hub_ids[n])
                hub_records.upsert_record(conn, env.org, changed)
            assert hub_records.mark_deleted(conn, env.org, entity, hub_ids[4])
    finally:
        connector.close()

    service = env.service()
    inbound = service.preview(env.org, system, entity, refresh=True, page_size=500)
    assert _counts(inbound) == {"new": unlinked + 1, "updated": 1, "deleted": 1, "conflicts": 1}
    [updated] = inbound["delta"]["updated"]["records"]
    assert updated["id"] == str(linked[0].external_id)
    assert updated["targetId"] == hub_ids[0]
    assert set(updated["changes"]) == {"name"}
    assert updated["changes"]["name"]["new"].endswith("changed in shop")
    [deleted] = inbound["delta"]["deleted"]["records"]
    assert (deleted["hub_id"], deleted["external_id"]) == (hub_ids[1], None)
    new_keys = {r["email"] if entity is EntityType.CUSTOMERS else r["sku"] for r in inbound["delta"]["new"]["records"]}
    assert _fresh(entity).natural_key in new_keys
    [conflict] = inbound["delta"]["conflicts"]["records"]
    assert conflict["changes"]["name"]["old"].endswith("hub side")
    assert conflict["changes"]["name"]["new"].endswith("shop side")

    outbound = service.preview(env.org, system, entity, direction="outbound", refresh=True)
    assert _counts(outbound) == {"new": 1, "updated": 1, "deleted": 1, "conflicts": 1}
    [pushed] = outbound["delta"]["updated"]["records"]
    assert (pushed["id"], pushed["targetId"]) == (hub_ids[2], str(linked[2].external_id))
    assert pushed["changes"]["name"]["new"].endswith("changed in hub")
    assert [r["hub_id"] for r in outbound["delta"]["deleted"]["records"]] == [hub_ids[4]]
    assert [r["name"] for r in outbound["delta"]["new"]["records"]] == [_fresh(entity).name + " hub-only"]
