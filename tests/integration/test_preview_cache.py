"""The preview service against the WooCommerce simulator: cache, TTL, refresh, invalidation, Redis, timeouts."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import redis
import sqlalchemy as sa
from redis.backoff import NoBackoff
from redis.retry import Retry

from syncbridge.config import Settings
from syncbridge.connectors.base import Connector, Operation, OpKind
from syncbridge.connectors.factory import make_connector_factory
from syncbridge.domain.plan import Selective
from syncbridge.domain.records import ENTITY_ORDER, Customer, EntityType, System
from syncbridge.errors import TransientError, ValidationError
from syncbridge.services import preview as preview_module
from syncbridge.services.preview import PreviewService, redis_key
from syncbridge.sim.seed import SeedData, generate
from syncbridge.sim.stack import SimStack, connect_org, start_sims
from syncbridge.store import activity, orgs, preview_cache
from syncbridge.store import selective as selective_repo
from syncbridge.store.bootstrap import open_store
from syncbridge.store.db import make_engine
from syncbridge.store.session import transaction
from tests.integration.harness import make_settings

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
TTL = 600


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@dataclass
class Env:
    settings: Settings
    engine: sa.Engine
    stack: SimStack
    org: str
    clock: Clock

    def service(self, **kwargs: Any) -> PreviewService:
        kwargs.setdefault("ttl_s", TTL)
        kwargs.setdefault("clock", self.clock)
        factory = make_connector_factory(self.engine, self.settings)
        return PreviewService(self.engine, connector_for=factory, **kwargs)

    def shop(self) -> Connector:
        return make_connector_factory(self.engine, self.settings)(self.org, System.WOOCOMMERCE)

    def add_customer(self, email: str) -> None:
        shop = self.shop()
        try:
            op = Operation("k-" + email, OpKind.CREATE, EntityType.CUSTOMERS, Customer(email=email, name="New One"))
            [result] = shop.apply(EntityType.CUSTOMERS, [op])
            assert result.ok, result.error
        finally:
            shop.close()

    def activity(self) -> list[activity.ActivityRow]:
        with transaction(self.engine) as conn:
            return activity.list_activity(conn, self.org, kind="preview")


@pytest.fixture(scope="module")
def data() -> SeedData:
    return generate(customers=12, products=3, orders=2, seed=7)


@pytest.fixture
def env(db_url: str, tmp_path: Path, data: SeedData) -> Iterator[Env]:
    settings = make_settings(db_url, tmp_path, http_timeout_s=0.3)
    engine = open_store(settings)
    stack = start_sims(woo_data=data)
    try:
        org = connect_org(engine, settings, stack)
        yield Env(settings, engine, stack, org, Clock())
    finally:
        stack.stop()
        engine.dispose()


def _counts(answer: dict[str, Any]) -> dict[str, int]:
    return {kind: part["count"] for kind, part in answer["delta"].items()}


def test_ttl_refresh_and_cache_hits(env: Env) -> None:
    service = env.service()
    customers = len(env.stack.woo.customers)
    first = service.preview(env.org, "woocommerce", "customers")
    assert (first["cacheHit"], first["syncType"], first["entityType"], first["direction"]) == (
        False, "woocommerce", "customers", "inbound",
    )  # fmt: skip
    assert _counts(first) == {"new": customers, "updated": 0, "deleted": 0, "conflicts": 0}
    assert first["computedAt"] == T0.isoformat()
    assert first["expiresAt"] == (T0 + timedelta(seconds=TTL)).isoformat()

    again = service.preview(env.org, "woocommerce", "customers")
    assert again["cacheHit"] is True
    assert again["delta"] == first["delta"]

    env.add_customer("late@example.com")  # the shop changes; the cache does not know yet
    env.clock.advance(TTL - 1)
    assert _counts(service.preview(env.org, "woocommerce", "customers"))["new"] == customers
    env.clock.advance(1)  # expired: computed again
    expired = service.preview(env.org, "woocommerce", "customers")
    assert (expired["cacheHit"], _counts(expired)["new"]) == (False, customers + 1)
    assert expired["computedAt"] == env.clock.now.isoformat()

    env.add_customer("later@example.com")
    assert service.preview(env.org, "woocommerce", "customers")["cacheHit"] is True
    forced = service.preview(env.org, "woocommerce", "customers", refresh=True)
    assert (forced["cacheHit"], _counts(forced)["new"]) == (False, customers + 2)
    assert service.preview(env.org, "woocommerce", "customers")["cacheHit"] is True


def test_invalidation_is_per_entity_and_system(env: Env) -> None:
    service = env.service()
    for direction in ("inbound", "outbound"):
        assert service.preview(env.org, "woocommerce", "customers", direction=direction)["cacheHit"] is False
    assert service.preview(env.org, "woocommerce", "products")["cacheHit"] is False

    service.invalidate(env.org, EntityType.PRODUCTS)
    assert service.preview(env.org, "woocommerce", "customers")["cacheHit"] is True
    assert service.invalidate(env.org, EntityType.CUSTOMERS, System.ODOO) == 0
    assert service.preview(env.org, "woocommerce", "customers")["cacheHit"] is True
    assert service.invalidate(env.org, EntityType.CUSTOMERS, System.WOOCOMMERCE) == 2  # both directions
    for direction in ("inbound", "outbound"):
        assert service.preview(env.org, "woocommerce", "customers", direction=direction)["cacheHit"] is False
    assert service.preview(env.org, "woocommerce", "products")["cacheHit"] is False


def test_every_preview_is_logged(env: Env) -> None:
    service = env.service()
    service.preview(env.org, "woocommerce", "customers")
    service.preview(env.org, "woocommerce", "customers")
    entries = sorted(env.activity(), key=lambda e: e.message)
    assert [e.message.rsplit(": ", 1)[1] for e in entries] == ["cache hit", "computed"]
    customers = len(env.stack.woo.customers)
    for entry in entries:
        assert (entry.entity, entry.system) == ("customers", "woocommerce")
        assert entry.counts == {"new": customers, "updated": 0, "deleted": 0, "conflicts": 0}
        assert entry.duration_ms is not None and entry.duration_ms >= 0


@pytest.mark.parametrize("page_size", [1, 5, 50])
def test_pages(env: Env, page_size: int, monkeypatch: pytest.MonkeyPatch) -> None:
    customers = len(env.stack.woo.customers)
    full = env.service().preview(env.org, "woocommerce", "customers", page_size=500)
    everyone = full["delta"]["new"]["records"]
    assert len(everyone) == customers
    # Only the first 3 records of each kind are rendered into the cache: later pages are fetched on demand.
    monkeypatch.setattr(preview_module, "RENDER_AHEAD", 3)
    service = env.service()
    pages = math.ceil(customers / page_size)
    seen: list[dict[str, Any]] = []
    for page in range(1, pages + 2):
        answer = service.preview(env.org, "woocommerce", "customers", page=page, page_size=page_size)
        part = answer["delta"]["new"]
        assert (part["page"], part["pageSize"], part["totalPages"], part["count"]) == (
            page, page_size, pages, customers,
        )  # fmt: skip
        seen.extend(part["records"])
    assert seen == everyone
    assert {r["email"] for r in seen} == {c["email"] for c in everyone}


def test_a_system_that_hangs_fails_clearly_and_leaves_the_cache(env: Env) -> None:
    service = env.service()
    before = service.preview(env.org, "woocommerce", "customers")
    env.stack.woo.faults.configure(hang_rate=1.0, hang_seconds=1.0)
    with pytest.raises(TransientError, match=r"preview of customers \(inbound\) from woocommerce failed: .*Timeout"):
        service.preview(env.org, "woocommerce", "customers", refresh=True)
    env.stack.woo.faults.configure(hang_rate=0.0)
    after = service.preview(env.org, "woocommerce", "customers")
    assert (after["cacheHit"], after["computedAt"], after["delta"]) == (True, before["computedAt"], before["delta"])
    [failure] = [e for e in env.activity() if "failed" in e.message]
    assert "Timeout" in failure.message and failure.counts == {} and failure.duration_ms is not None


def test_redis_shares_the_cache_between_processes(env: Env, redis_url: str) -> None:
    client_a, client_b = redis.Redis.from_url(redis_url), redis.Redis.from_url(redis_url)
    try:
        first = env.service(redis=client_a)
        second = env.service(redis=client_b)
        computed = first.preview(env.org, "woocommerce", "customers")
        key = redis_key(env.org, "woocommerce", "customers", "inbound")
        assert 0 < client_b.pttl(key) <= TTL * 1000
        with transaction(env.engine) as conn:  # the database copy is gone: only Redis can answer
            preview_cache.invalidate(conn, env.org, "customers")
        shared = second.preview(env.org, "woocommerce", "customers")
        assert (shared["cacheHit"], shared["delta"]) == (True, computed["delta"])

        first.invalidate(env.org, EntityType.CUSTOMERS)
        assert client_b.exists(key) == 0
        assert second.preview(env.org, "woocommerce", "customers")["cacheHit"] is False
        env.clock.advance(TTL)  # Redis keeps keys by real time; an expired payload is not served
        assert second.preview(env.org, "woocommerce", "customers")["cacheHit"] is False
    finally:
        client_a.close()
        client_b.close()


def test_redis_down_falls_back_to_the_database(env: Env) -> None:
    dead = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2, retry=Retry(NoBackoff(), 0))
    service = env.service(redis=dead)
    assert service.preview(env.org, "woocommerce", "customers")["cacheHit"] is False
    assert service.preview(env.org, "woocommerce", "customers")["cacheHit"] is True
    service.invalidate(env.org, EntityType.CUSTOMERS)
    assert service.preview(env.org, "woocommerce", "customers")["cacheHit"] is False


@pytest.mark.parametrize(
    ("system", "entity", "direction", "page", "page_size"),
    [
        ("hub", "customers", "inbound", 1, 50),
        ("shopify", "customers", "inbound", 1, 50),
        ("woocommerce", "coupons", "inbound", 1, 50),
        ("woocommerce", "customers", "sideways", 1, 50),
        ("woocommerce", "customers", "inbound", 0, 50),
        ("woocommerce", "customers", "inbound", 1, 0),
        ("woocommerce", "customers", "inbound", 1, 501),
    ],
)
def test_bad_requests(
    sqlite_url: str, system: str, entity: str, direction: str, page: int, page_size: int
) -> None:
    def no_connector(org_id: str, system: System) -> Connector:
        raise AssertionError("a bad request reaches no system")

    engine = make_engine(sqlite_url)  # refused before any query: no schema needed
    try:
        with pytest.raises(ValidationError):
            PreviewService(engine, connector_for=no_connector).preview(
                "org", system, entity, direction=direction, page=page, page_size=page_size
            )
    finally:
        engine.dispose()


def test_selective_settings(env: Env) -> None:
    service = env.service()
    with transaction(env.engine) as conn:
        other = orgs.create_org(conn, "other").id
    assert service.get_selective(env.org, EntityType.ORDERS) == Selective(True, True, False)
    service.set_selective(env.org, EntityType.ORDERS, include_new=False, include_updated=True, include_deleted=True)
    service.set_selective(env.org, "orders", include_new=False, include_updated=False, include_deleted=True)
    assert service.get_selective(env.org, EntityType.ORDERS) == Selective(False, False, True)
    assert service.get_selective(other, EntityType.ORDERS) == Selective()
    with transaction(env.engine) as conn:
        listed = selective_repo.list_selective(conn, env.org)
    assert list(listed) == list(ENTITY_ORDER)
    assert listed[EntityType.ORDERS] == Selective(False, False, True)
    assert all(s == Selective() for e, s in listed.items() if e is not EntityType.ORDERS)


def test_purge_expired_is_per_org(env: Env) -> None:
    with transaction(env.engine) as conn:
        other = orgs.create_org(conn, "other").id
        for org in (env.org, other):
            preview_cache.put_cached(
                conn, org, "woocommerce", "customers", "inbound",
                payload={"x": 1}, computed_at=T0, expires_at=T0 + timedelta(seconds=10),
            )  # fmt: skip
        assert preview_cache.purge_expired(conn, env.org, T0 + timedelta(seconds=9)) == 0
        assert preview_cache.purge_expired(conn, env.org, T0 + timedelta(seconds=10)) == 1
        assert preview_cache.get_cached(conn, env.org, "woocommerce", "customers", "inbound") is None
        kept = preview_cache.get_cached(conn, other, "woocommerce", "customers", "inbound")
        assert kept is not None and kept.payload == {"x": 1} and kept.expires_at == T0 + timedelta(seconds=10)
