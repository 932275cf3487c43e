"""WooCommerce <-> hub <-> Odoo end to end: convergence, the five conflict types, auth stops, the rate limit."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from syncbridge.demo.data import demo_data
from syncbridge.demo.reconcile import reconcile
from syncbridge.domain.records import System
from syncbridge.sim.faults import FaultConfig
from syncbridge.sim.stack import SimStack, start_sims
from syncbridge.store import conflicts as conflict_repo
from syncbridge.store.session import transaction
from tests.integration.harness import ALL_ENTITIES, Engine_, engine_for, system_fingerprints

BOTH = ["woocommerce", "odoo"]


@pytest.fixture
def env(db_url: str, tmp_path: Path) -> Iterator[Engine_]:
    with engine_for(db_url, tmp_path) as e:
        yield e


@pytest.fixture
def stack() -> Iterator[SimStack]:
    data = demo_data(customers=120, products=60, orders=120, seed=5)
    with start_sims(woo_data=data.woocommerce, odoo_data=data.odoo) as s:
        yield s


def _connect(env: Engine_, stack: SimStack, name: str = "acme") -> str:
    org = env.org(name)
    env.connect_woocommerce(org, stack.woo_url, stack.woo.consumer_key, stack.woo.consumer_secret)
    env.connect_odoo(org, stack.odoo_url, database=stack.odoo.database, login=stack.odoo.login,
                     api_key=stack.odoo.api_key)
    return org


def _planned(env: Engine_, org: str, run_id: str) -> list[tuple[str, str, str, str]]:
    """What a run planned: (entity, target, operation, natural key) — a failure message that names the records."""
    from syncbridge.store import batches

    with transaction(env.engine) as conn:
        rows = conn.execute(batches.sa.select(batches.B.operations).where(batches.B.org_id == org,
                                                                           batches.B.run_id == run_id)).all()
    return [(o["entity"], o["target_system"], o["kind"], o["natural_key"]) for (ops,) in rows for o in ops]


def _conflicts(env: Engine_, org: str) -> list[conflict_repo.ConflictRow]:
    with transaction(env.engine) as conn:
        rows, _ = conflict_repo.list_conflicts(conn, org, conflict_repo.ConflictFilter(), page=1, page_size=1000)
    return rows


def test_two_way_sync_converges_and_all_three_agree(env: Engine_, stack: SimStack) -> None:
    org = _connect(env, stack)
    env.start_workers(2)
    first = env.run(org, systems=BOTH)
    assert first["status"] == "completed", first
    settled = sum(int(s.get("settled", 0)) for s in first["progress"]["stages"])
    assert settled > 0  # prices and stock edited in Odoo were settled by the field policies
    rows = reconcile(env.engine, env.connector_for, org)
    assert all(r.agree for r in rows), rows
    assert all(r.woocommerce > 0 and r.odoo > 0 for r in rows)
    # Only records held by open conflicts may differ; everything else is equal in all three systems.
    open_keys = {(c.entity, c.natural_key) for c in _conflicts(env, org)}
    for entity in ALL_ENTITIES:
        shop = system_fingerprints(env.connector_for(org, System.WOOCOMMERCE), entity)
        erp = system_fingerprints(env.connector_for(org, System.ODOO), entity)
        hub = env.hub_fingerprints(org, entity)
        for key, fp in hub.items():
            if (entity, key) not in open_keys:
                assert shop.get(key) == fp == erp.get(key), (entity, key)
    second = env.run(org, systems=BOTH)
    assert second["status"] == "completed"
    assert second["progress"]["total"] == 0, _planned(env, org, second["runId"])


def test_conflict_types_are_recorded_with_both_versions(env: Engine_, stack: SimStack) -> None:
    org = _connect(env, stack)
    env.start_workers(2)
    assert env.run(org, systems=BOTH)["status"] == "completed"
    by_type: dict[str, list[conflict_repo.ConflictRow]] = {}
    for c in _conflicts(env, org):
        by_type.setdefault(c.conflict_type.value, []).append(c)
    # Names edited on both sides: no policy decides names.
    mismatch = by_type["data_mismatch"][0]
    assert mismatch.entity == "products" and mismatch.source_version and mismatch.target_version
    assert "name" in mismatch.diff and mismatch.operation is not None
    # Two Odoo contacts share one e-mail: both would map to one hub customer.
    assert any(c.entity == "customers" for c in by_type["duplicate_key"])
    # Odoo takes e-mails WooCommerce refuses.
    refused = [c for c in by_type["validation_error"] if c.target_system == "woocommerce"]
    assert refused and all(c.source_version for c in refused)


def test_auth_error_stops_calls_to_that_system(env: Engine_, stack: SimStack) -> None:
    org = _connect(env, stack)
    stack.odoo.deny("account.payment")  # the connection's user lacks accounting rights
    env.start_workers(2)
    view = env.run(org, systems=BOTH)
    assert view["status"] == "completed"
    assert "odoo" in view["blockedSystems"]
    assert "rights" in view["blockedReasons"]["odoo"] or "access" in view["blockedReasons"]["odoo"].lower()
    auth = [c for c in _conflicts(env, org) if c.conflict_type.value == "auth_error"]
    assert auth
    # Nothing else is lost: the other entities reached Odoo (only records held by open conflicts may differ).
    open_keys = {(c.entity, c.natural_key) for c in _conflicts(env, org)}
    later = [st for st in view["progress"]["stages"] if st["entity"] == "inventory" and st["system"] == "odoo"]
    assert later and all(st["state"] == "skipped" for st in later)  # no more calls to Odoo after the refusal
    for entity in ("customers", "products", "orders"):
        erp = system_fingerprints(env.connector_for(org, System.ODOO), entity)
        hub = env.hub_fingerprints(org, entity)
        assert {k for k in hub if erp.get(k) != hub[k] and (entity, k) not in open_keys} == set(), entity


def test_transient_failures_that_outlive_retries_become_retry_exhausted(env: Engine_, stack: SimStack) -> None:
    org = _connect(env, stack)
    # Writes to the shop fail with 5xx; reads still work.
    stack.woo.faults.exempt = lambda scope: scope.get("method") == "GET"
    stack.woo.faults.configure(error_rate=1.0)
    env.start_workers(2)
    view = env.run(org, systems=BOTH, entities=["customers"], max_retries=2)
    assert view["status"] == "completed"
    exhausted = [c for c in _conflicts(env, org) if c.conflict_type.value == "retry_exhausted"]
    assert exhausted and all(c.attempts == 3 for c in exhausted)
    assert all(c.target_system == "woocommerce" and c.operation for c in exhausted)


def test_rate_limit_is_never_exceeded(db_url: str, tmp_path: Path) -> None:
    data = demo_data(customers=60, products=30, orders=40, seed=6)
    # The hosts allow 25 requests/s; the connections are configured a little below that, as one should.
    limit = FaultConfig(rate_limit_rps=25, rate_limit_burst=25)
    with (
        engine_for(db_url, tmp_path, woocommerce_rps=22.0, woocommerce_burst=20, odoo_rps=22.0, odoo_burst=20) as env,
        start_sims(woo_data=data.woocommerce, odoo_data=data.odoo, woo_faults=limit, odoo_faults=limit) as stack,
    ):
        org = _connect(env, stack)
        env.start_workers(2)
        view = env.run(org, systems=BOTH, timeout_s=300)
        assert view["status"] == "completed"
        for sim in (stack.woo, stack.odoo):
            assert sim.faults.requests > 50
            assert sim.faults.counts["rate_limit"] == 0  # the simulator never had to refuse one
            assert sim.faults.accepted_max_per_window(1.0) <= 25 + 25
