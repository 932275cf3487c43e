"""The conflict review workflow end to end: conflicts made by the real executor against the WooCommerce
simulator, resolved through ``apply_planned``; the record arrives in the target, once."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

import pytest
from sqlalchemy.engine import Engine

from syncbridge.connectors.base import Connector, Operation, OpKind
from syncbridge.connectors.hub import HubConnector
from syncbridge.connectors.woocommerce.connector import WooCommerceConnector
from syncbridge.domain.conflicts import ConflictType, Strategy, classify
from syncbridge.domain.fingerprint import fingerprint_of
from syncbridge.domain.plan import PlannedOp, idempotency_key
from syncbridge.domain.records import Customer, EntityType, Product, Record, System
from syncbridge.engine.executor import apply_planned
from syncbridge.errors import (
    ConfigError,
    DuplicateKeyError,
    IllegalTransitionError,
    NotFoundError,
    SyncError,
    ValidationError,
)
from syncbridge.services.conflicts import ConflictService
from syncbridge.sim.server import SimServer
from syncbridge.sim.woocommerce.sim import WooCommerceSim
from syncbridge.store import activity, hub_records, links, migrate, orgs
from syncbridge.store import conflicts as repo
from syncbridge.store.db import make_engine
from syncbridge.store.session import transaction

P = EntityType.PRODUCTS
WC, HUB = System.WOOCOMMERCE, System.HUB


@dataclass
class World:
    engine: Engine
    org: str
    other_org: str
    sim: WooCommerceSim
    url: str
    service: ConflictService

    def connector_for(self, org_id: str, system: System) -> Connector:
        if system is HUB:
            return HubConnector(self.engine, org_id)
        if system is WC:
            return WooCommerceConnector(self.url, self.sim.consumer_key, self.sim.consumer_secret)
        raise ConfigError(f"no {system} connection")

    def wc(self) -> WooCommerceConnector:
        return WooCommerceConnector(self.url, self.sim.consumer_key, self.sim.consumer_secret)

    def wc_create(self, record: Record) -> str:
        connector = self.wc()
        try:
            [result] = connector.apply(
                record.ENTITY, [Operation(f"seed-{record.natural_key}", OpKind.CREATE, record.ENTITY, record)]
            )
        finally:
            connector.close()
        assert result.ok and result.external_id is not None, result
        return result.external_id

    def wc_get(self, entity: EntityType, external_id: str) -> Record:
        connector = self.wc()
        try:
            [record] = connector.fetch(entity, [external_id])
        finally:
            connector.close()
        return record

    def hub_save(self, record: Record, *, link_to: str | None = None) -> str:
        with transaction(self.engine) as conn:
            hub_id = hub_records.upsert_record(conn, self.org, record)
            if link_to is not None:
                links.upsert_link(
                    conn,
                    self.org,
                    entity=record.ENTITY.value,
                    hub_id=hub_id,
                    system=WC.value,
                    external_id=link_to,
                    fingerprint=fingerprint_of(record),
                )
        return hub_id

    def hub_get(self, entity: EntityType, hub_id: str) -> Record:
        with transaction(self.engine) as conn:
            return hub_records.get_records(conn, self.org, entity, [hub_id])[hub_id]

    def link_of(self, entity: EntityType, hub_id: str) -> str | None:
        with transaction(self.engine) as conn:
            link = links.get_link_by_hub(conn, self.org, entity.value, WC.value, hub_id)
        return None if link is None else link.external_id

    def record(
        self,
        op: PlannedOp,
        *,
        error: SyncError | None,
        target: Record | None,
        conflict_type: ConflictType | None = None,
    ) -> str:
        kind = conflict_type or (classify(error) if error is not None else ConflictType.DATA_MISMATCH)
        draft = repo.ConflictDraft.for_operation(op, kind, Strategy.MANUAL, error=error, target_version=target)
        with transaction(self.engine) as conn:
            return repo.record_conflict(conn, self.org, draft)

    def wc_products_with_sku(self, sku: str) -> int:
        return sum(1 for row in self.sim.products.values() if row.sku == sku)


BOTH_DATABASES = pytest.mark.parametrize(
    "world", ["sqlite", pytest.param("postgresql", marks=pytest.mark.pg)], indirect=True
)


@pytest.fixture
def world(request: pytest.FixtureRequest) -> Iterator[World]:
    """SQLite unless a test asks for both databases (``BOTH_DATABASES``): the repositories are tested on
    both elsewhere, and each world starts a simulator."""
    backend = getattr(request, "param", "sqlite")
    db_url: str = request.getfixturevalue("sqlite_url" if backend == "sqlite" else "pg_url")
    migrate.upgrade(db_url)
    engine = make_engine(db_url)
    with transaction(engine) as conn:
        org = orgs.create_org(conn, "shop").id
        other = orgs.create_org(conn, "other shop").id
    sim = WooCommerceSim()
    with SimServer(sim.app) as server:
        w = World(engine, org, other, sim, server.url, None)  # type: ignore[arg-type]
        w.service = ConflictService(engine, connector_for=w.connector_for)
        yield w
    sim.close()
    engine.dispose()


def _op(
    org: str,
    *,
    kind: OpKind,
    source: System,
    target: System,
    record: Record,
    hub_id: str | None,
    source_id: str | None,
    target_id: str | None,
) -> PlannedOp:
    who = hub_id or f"nk:{record.natural_key}"
    return PlannedOp(
        key=idempotency_key(org, target, record.ENTITY, who, kind, fingerprint_of(record)),
        kind=kind,
        entity=record.ENTITY,
        source_system=source,
        target_system=target,
        natural_key=record.natural_key,
        record=record,
        hub_id=hub_id,
        source_id=source_id,
        target_id=target_id,
        source_fingerprint=fingerprint_of(record) if source is not HUB else None,
    )


WC_MUG = Product(sku="MUG-1", name="Mug from the shop", regular_price=Decimal("12"))
HUB_MUG = Product(sku="MUG-1", name="Mug from the hub", regular_price=Decimal("10"))


def _mismatch(w: World, direction: str) -> tuple[str, str, str]:
    """Both sides changed MUG-1 since the last sync: a data_mismatch, inbound or outbound. (conflict, wc, hub)"""
    wc_id = w.wc_create(WC_MUG)
    hub_id = w.hub_save(HUB_MUG, link_to=wc_id)
    wc_version = w.wc_get(P, wc_id)
    hub_version = w.hub_get(P, hub_id)
    if direction == "inbound":
        op = _op(
            w.org,
            kind=OpKind.UPDATE,
            source=WC,
            target=HUB,
            record=wc_version,
            hub_id=hub_id,
            source_id=wc_id,
            target_id=hub_id,
        )
        conflict = w.record(op, error=None, target=hub_version)
    else:
        op = _op(
            w.org,
            kind=OpKind.UPDATE,
            source=HUB,
            target=WC,
            record=hub_version,
            hub_id=hub_id,
            source_id=hub_id,
            target_id=wc_id,
        )
        conflict = w.record(op, error=None, target=wc_version)
    return conflict, wc_id, hub_id


@pytest.mark.parametrize(
    ("direction", "resolution", "wc_name", "hub_name"),
    [
        ("inbound", "take_source", WC_MUG.name, WC_MUG.name),
        ("inbound", "take_target", HUB_MUG.name, HUB_MUG.name),
        ("inbound", "keep_hub", HUB_MUG.name, HUB_MUG.name),
        ("inbound", "retry", WC_MUG.name, WC_MUG.name),
        ("outbound", "take_source", HUB_MUG.name, HUB_MUG.name),
        ("outbound", "take_target", WC_MUG.name, WC_MUG.name),
        ("outbound", "keep-hub", HUB_MUG.name, HUB_MUG.name),
        ("outbound", "retry", HUB_MUG.name, HUB_MUG.name),
    ],
)
def test_resolving_a_data_mismatch_writes_the_chosen_version(
    world: World, direction: str, resolution: str, wc_name: str, hub_name: str
) -> None:
    conflict_id, wc_id, hub_id = _mismatch(world, direction)
    shown = world.service.get(world.org, conflict_id)
    assert shown["conflictType"] == "data_mismatch"
    assert {f["field"] for f in shown["fields"] if f["differs"]} == {"name", "regular_price"}
    assert set(shown["diff"]) == {"name", "regular_price"}

    result = world.service.resolve(world.org, conflict_id, resolution=resolution, resolved_by="ann")

    assert result["ok"] is True, result
    view = result["conflict"]
    assert (view["status"], view["resolution"], view["resolvedBy"]) == ("resolved", resolution.replace("-", "_"), "ann")
    assert view["resolvedAt"] is not None and view["actions"] == []
    assert world.wc_get(P, wc_id).name == wc_name
    assert world.hub_get(P, hub_id).name == hub_name
    assert world.wc_products_with_sku("MUG-1") == 1
    assert world.link_of(P, hub_id) == wc_id
    with pytest.raises(IllegalTransitionError):
        world.service.resolve(world.org, conflict_id, resolution=resolution, resolved_by="bob")
    with transaction(world.engine) as conn:
        logged = activity.list_activity(conn, world.org, kind="conflict")
    assert [a.message.endswith(f"{resolution.replace('-', '_')} by ann") for a in logged] == [True]


def _refused_customer(w: World) -> tuple[str, str, str]:
    """An outbound update the shop refuses: the hub gave Ann the e-mail of another shop customer (a
    duplicate key the shop reports as an invalid e-mail)."""
    ann_id = w.wc_create(Customer(email="ann@example.com", name="Ann Lee"))
    w.wc_create(Customer(email="bob@example.com", name="Bob Ray"))
    hub_id = w.hub_save(Customer(email="bob@example.com", name="Ann Lee"), link_to=ann_id)
    op = _op(
        w.org,
        kind=OpKind.UPDATE,
        source=HUB,
        target=WC,
        record=w.hub_get(EntityType.CUSTOMERS, hub_id),
        hub_id=hub_id,
        source_id=hub_id,
        target_id=ann_id,
    )
    [outcome] = apply_planned(w.engine, w.org, [op], connector_for=w.connector_for)
    assert not outcome.ok and isinstance(outcome.error, DuplicateKeyError), outcome
    conflict = w.record(op, error=outcome.error, target=w.wc_get(EntityType.CUSTOMERS, ann_id))
    return conflict, ann_id, hub_id


@BOTH_DATABASES
def test_edit_values_then_apply_reaches_the_target_and_the_hub(world: World) -> None:
    conflict_id, ann_id, hub_id = _refused_customer(world)
    shown = world.service.get(world.org, conflict_id)
    assert shown["conflictType"] == "duplicate_key"
    assert shown["errorCode"] == "woocommerce_rest_customer_invalid_email"
    assert shown["diff"]["email"] == {"old": "ann@example.com", "new": "bob@example.com"}
    assert {"edit", "link", "take_source", "take_target", "keep_hub", "retry", "skip"} == set(shown["actions"])

    result = world.service.resolve(
        world.org, conflict_id, resolution="edit", values={"email": "ann.lee@example.com"}, resolved_by="ann"
    )

    assert result["ok"] is True, result
    assert world.wc_get(EntityType.CUSTOMERS, ann_id).natural_key == "ann.lee@example.com"
    assert world.hub_get(EntityType.CUSTOMERS, hub_id).natural_key == "ann.lee@example.com"
    assert sum(1 for c in world.sim.customers.values() if c.email == "ann.lee@example.com") == 1


def test_a_failed_resolution_keeps_the_conflict_open_with_the_new_error(world: World) -> None:
    conflict_id, ann_id, _ = _refused_customer(world)
    result = world.service.resolve(world.org, conflict_id, resolution="take_source", resolved_by="ann")
    assert result["ok"] is False
    assert result["error"]["code"] == "woocommerce_rest_customer_invalid_email"
    view = result["conflict"]
    assert (view["status"], view["attempts"], view["resolvedBy"]) == ("open", 1, None)
    assert world.wc_get(EntityType.CUSTOMERS, ann_id).natural_key == "ann@example.com"


@pytest.mark.parametrize("link_to", [None, "given"])
def test_link_to_the_existing_record_of_a_duplicate_key(world: World, link_to: str | None) -> None:
    existing = world.wc_create(Product(sku="DUP-1", name="Shop's own", regular_price=Decimal("3")))
    hub_id = world.hub_save(Product(sku="DUP-1", name="Hub's", regular_price=Decimal("4")))
    op = _op(
        world.org,
        kind=OpKind.CREATE,
        source=HUB,
        target=WC,
        record=world.hub_get(P, hub_id),
        hub_id=hub_id,
        source_id=hub_id,
        target_id=None,
    )
    conflict_id = world.record(
        op,
        error=ValidationError("SKU taken", code="product_invalid_sku"),
        target=None,
        conflict_type=ConflictType.DUPLICATE_KEY,
    )
    assert "link" in world.service.get(world.org, conflict_id)["actions"]

    result = world.service.resolve(
        world.org, conflict_id, resolution="link", link_to=existing if link_to else None, resolved_by="ann"
    )

    assert result["ok"] is True, result
    assert result["applied"] == [existing]
    assert world.wc_products_with_sku("DUP-1") == 1
    assert world.wc_get(P, existing).name == "Hub's"
    assert world.link_of(P, hub_id) == existing


def test_retry_of_a_transient_failure_creates_the_record_once(world: World) -> None:
    hub_id = world.hub_save(Product(sku="NEW-1", name="Kettle", regular_price=Decimal("30")))
    op = _op(
        world.org,
        kind=OpKind.CREATE,
        source=HUB,
        target=WC,
        record=world.hub_get(P, hub_id),
        hub_id=hub_id,
        source_id=hub_id,
        target_id=None,
    )

    def unreachable(org_id: str, system: System) -> Connector:
        return WooCommerceConnector("http://127.0.0.1:9", "ck_x", "cs_x", timeout=2)

    [outcome] = apply_planned(world.engine, world.org, [op], connector_for=unreachable)
    assert not outcome.ok and outcome.error is not None and outcome.error.retryable
    conflict_id = world.record(op, error=outcome.error, target=None)
    assert world.service.get(world.org, conflict_id)["conflictType"] == "retry_exhausted"

    result = world.service.resolve(world.org, conflict_id, resolution="retry", resolved_by="ann")

    assert result["ok"] is True, result
    assert world.wc_products_with_sku("NEW-1") == 1
    assert world.link_of(P, hub_id) == result["applied"][0]


@BOTH_DATABASES
def test_a_resolution_interrupted_after_its_write_is_not_applied_twice(world: World) -> None:
    """The write went through but the process died before closing the conflict: resolving again finds the
    effect applied (same idempotency key) and only closes it."""
    conflict_id, wc_id, _ = _mismatch(world, "outbound")
    from syncbridge.services import conflicts as service_module

    calls: list[int] = []
    real_apply = service_module.apply_planned

    def crash_after_apply(*args: object, **kwargs: object) -> object:
        calls.append(1)
        real_apply(*args, **kwargs)  # type: ignore[arg-type]
        raise RuntimeError("power cut")

    service_module.apply_planned = crash_after_apply  # type: ignore[assignment]
    try:
        with pytest.raises(RuntimeError):
            world.service.resolve(world.org, conflict_id, resolution="keep_hub", resolved_by="ann")
    finally:
        service_module.apply_planned = real_apply
    stamp = world.sim.products[int(wc_id)].modified
    world.sim.advance(120)

    result = world.service.resolve(world.org, conflict_id, resolution="keep_hub", resolved_by="ann")

    assert result["ok"] is True and calls == [1]
    assert world.sim.products[int(wc_id)].modified == stamp  # not written a second time
    assert world.wc_get(P, wc_id).name == HUB_MUG.name


def test_skip_applies_nothing(world: World) -> None:
    conflict_id, wc_id, hub_id = _mismatch(world, "outbound")
    result = world.service.resolve(world.org, conflict_id, resolution="skip", resolved_by="ann")
    assert result["ok"] is True and result["applied"] == []
    assert (result["conflict"]["status"], result["conflict"]["resolution"]) == ("skipped", "skip")
    assert world.wc_get(P, wc_id).name == WC_MUG.name
    assert world.hub_get(P, hub_id).name == HUB_MUG.name


@BOTH_DATABASES
def test_list_stats_and_isolation(world: World) -> None:
    first, _, _ = _mismatch(world, "inbound")
    second, _, _ = _refused_customer(world)
    listed = world.service.list(world.org)
    assert (listed["total"], listed["page"], listed["pageSize"]) == (2, 1, 50)
    assert {i["id"] for i in listed["items"]} == {first, second}
    assert [i["id"] for i in world.service.list(world.org, conflict_type="duplicate_key")["items"]] == [second]
    assert [i["id"] for i in world.service.list(world.org, entity="products", status="open")["items"]] == [first]
    world.service.resolve(world.org, first, resolution="skip", resolved_by="ann")
    stats = world.service.stats(world.org)
    assert stats["byStatus"] == {"open": 1, "skipped": 1}
    assert stats["byType"] == {"data_mismatch": 1, "duplicate_key": 1}
    assert stats["oldestOpen"]["id"] == second
    assert stats["meanTimeToResolutionSeconds"] is not None

    assert world.service.list(world.other_org)["total"] == 0
    with pytest.raises(NotFoundError):
        world.service.get(world.other_org, second)
    with pytest.raises(NotFoundError):
        world.service.resolve(world.other_org, second, resolution="skip", resolved_by="mallory")
    assert world.service.get(world.org, second)["status"] == "open"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"resolution": "burn"}, "unknown resolution"),
        ({"resolution": "edit"}, "needs values"),
        ({"resolution": "edit", "values": {"hub_id": "x"}}, "no editable field"),
        ({"resolution": "edit", "values": {"billing.planet": "Mars"}}, "no field"),
        ({"resolution": "skip", "resolved_by": " "}, "resolved_by"),
    ],
)
def test_bad_resolutions_are_refused(world: World, kwargs: dict[str, object], message: str) -> None:
    conflict_id, _, _ = _refused_customer(world)
    args: dict[str, object] = {"resolved_by": "ann", **kwargs}
    with pytest.raises(ValidationError, match=message):
        world.service.resolve(world.org, conflict_id, **args)  # type: ignore[arg-type]
    assert world.service.get(world.org, conflict_id)["status"] == "open"


def test_strategy_and_field_policy_settings(world: World) -> None:
    view = world.service.set_strategy(world.org, entity="*", conflict_type="data_mismatch", strategy="skip")
    assert view["overrides"] == [{"entity": "*", "conflictType": "data_mismatch", "strategy": "skip"}]
    assert view["defaults"]["retry_exhausted"] == "auto_retry"
    view = world.service.set_strategy(world.org, entity="*", conflict_type="data_mismatch", strategy=None)
    assert view["overrides"] == []
    with pytest.raises(ValidationError):
        world.service.set_strategy(world.org, entity="widgets", conflict_type="data_mismatch", strategy="skip")

    policies = world.service.set_field_policy(world.org, entity="products", field="name", source="newest")
    rows = {(p["entity"], p["field"]): p for p in policies["policies"]}
    assert rows[("products", "name")] == {"entity": "products", "field": "name", "source": "newest", "default": False}
    assert rows[("inventory", "quantity")]["source"] == "odoo" and rows[("inventory", "quantity")]["default"]
    with pytest.raises(ValidationError, match="comparable"):
        world.service.set_field_policy(world.org, entity="products", field="external_id", source="odoo")
    assert world.service.field_policies(world.other_org)["policies"] == [
        p | {"default": True} for p in policies["policies"] if p["default"]
    ]


@pytest.mark.parametrize(
    ("override", "strategy", "status"),
    [(None, "manual", "open"), ("skip", "skip", "skipped"), ("auto_retry", "auto_retry", "open")],
)
def test_the_executor_records_conflicts_with_the_organizations_strategy(
    world: World, override: str | None, strategy: str, status: str
) -> None:
    """Failures recorded by the engine path (``record_failures``) carry their type, strategy, versions and
    error; a skip strategy records them as skipped."""
    if override is not None:
        world.service.set_strategy(world.org, entity="products", conflict_type="auth_error", strategy=override)
    hub_id = world.hub_save(Product(sku="NEW-2", name="Pot", regular_price=Decimal("9")))
    op = _op(
        world.org,
        kind=OpKind.CREATE,
        source=HUB,
        target=WC,
        record=world.hub_get(P, hub_id),
        hub_id=hub_id,
        source_id=hub_id,
        target_id=None,
    )

    def wrong_key(org_id: str, system: System) -> Connector:
        return WooCommerceConnector(world.url, "ck_" + "0" * 40, "cs_" + "0" * 40)

    [outcome] = apply_planned(world.engine, world.org, [op], connector_for=wrong_key, record_failures=True)
    assert not outcome.ok and outcome.conflict_id is not None
    shown = world.service.get(world.org, outcome.conflict_id)
    assert (shown["conflictType"], shown["strategy"], shown["status"]) == ("auth_error", strategy, status)
    assert (shown["sourceSystem"], shown["targetSystem"]) == ("hub", "woocommerce")
    assert shown["sourceVersion"]["sku"] == "NEW-2"
    assert world.wc_products_with_sku("NEW-2") == 0
