"""The org-scoped lookups by many ids seek each id: they never walk all of an organization's rows.

Captures the SQL the repositories really run and asks SQLite for its query plan. Without the ``(org_id, id)`` and
``(org_id, key)`` indexes SQLite (no statistics) answered ``org_id = ? AND id IN (...)`` through the
``(org_id, updated_at)`` index, a walk of the organization per query: planning 100k products was quadratic.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from syncbridge.config import load_settings
from syncbridge.domain.records import EntityType, Product
from syncbridge.store import delta_lookup, hub_records, idempotency, links, orgs
from syncbridge.store.bootstrap import open_store
from syncbridge.store.session import transaction


@contextmanager
def captured(engine: sa.Engine) -> Iterator[list[tuple[str, Any]]]:
    seen: list[tuple[str, Any]] = []

    def keep(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
        seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", keep)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", keep)


def plans_of(engine: sa.Engine, table: str, call: Callable[[sa.Connection], object]) -> list[str]:
    with transaction(engine) as conn, captured(engine) as seen:
        call(conn)
    selects = [(s, p) for s, p in seen if s.lstrip().upper().startswith("SELECT") and table in s]
    assert selects, f"no SELECT on {table} was run"
    out = []
    with engine.connect() as conn:
        for statement, parameters in selects:
            rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
            out.extend(str(r[-1]) for r in rows)
    return out


@pytest.fixture
def store(tmp_path: Path) -> Iterator[tuple[sa.Engine, str]]:
    settings = load_settings(database_url=f"sqlite:///{tmp_path / 'hub.db'}", secret_key_file=tmp_path / "k")
    engine = open_store(settings)
    with transaction(engine) as conn:
        org = orgs.create_org(conn, "plans").id
        hub_records.upsert_many(
            conn, org, [Product(sku=f"P-{i}", name=f"P {i}", regular_price=Decimal("1.00")) for i in range(50)]
        )
    try:
        yield engine, org
    finally:
        engine.dispose()


def test_hub_rows_by_id_seek_each_id(store: tuple[sa.Engine, str]) -> None:
    engine, org = store
    with transaction(engine) as conn:
        ids = [h for h, *_ in hub_records.iter_fingerprints(conn, org, EntityType.PRODUCTS)]
    plans = plans_of(engine, "hub_product", lambda c: hub_records.get_rows(c, org, EntityType.PRODUCTS, ids))
    assert plans == ["SEARCH hub_product USING INDEX ix_hub_product_org_id (org_id=? AND id=?)"]


def test_effect_states_seek_each_key(store: tuple[sa.Engine, str]) -> None:
    engine, org = store
    keys = [f"k{i:047d}" for i in range(30)]
    plans = plans_of(engine, "sync_idempotency_log", lambda c: idempotency.effect_states(c, org, keys))
    assert len(plans) == 1
    assert "ix_sync_idempotency_org_key (org_id=? AND key=?)" in plans[0]


def test_the_planners_delta_lookups_seek(store: tuple[sa.Engine, str]) -> None:
    """The store-backed delta's per-page lookups: links by external id, then each one's hub row by id; hub rows by
    natural key with their link by hub id; the final walks page through an index. None scans a table."""
    engine, org = store
    with transaction(engine) as conn:
        ids = [h for h, *_ in hub_records.iter_fingerprints(conn, org, EntityType.PRODUCTS)]
        links.upsert_links(
            conn,
            org,
            [
                links.LinkWrite("products", h, "woocommerce", str(n + 1), None)
                for n, h in enumerate(ids[:25])
            ],
        )
    products = EntityType.PRODUCTS
    calls: list[Callable[[sa.Connection], object]] = [
        lambda c: delta_lookup.linked_states(c, org, products, "woocommerce", [str(n) for n in range(1, 40)]),
        lambda c: delta_lookup.unlinked_live_by_keys(c, org, products, "woocommerce", [f"P-{i}" for i in range(40)]),
        lambda c: delta_lookup.hub_link_page(c, org, products, "woocommerce", after="", limit=10),
        lambda c: delta_lookup.link_hub_page(c, org, products, "woocommerce", after="", limit=10),
    ]
    for call in calls:
        plans = plans_of(engine, "sync_link", call)
        assert plans, call
        assert not [p for p in plans if p.startswith("SCAN") or "TEMP B-TREE" in p], plans
