"""A worker that fails while executing a batch gives it back at once; hub writers take turns on PostgreSQL."""

from __future__ import annotations

import threading
import time
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa

from syncbridge.domain.records import Product, System
from syncbridge.engine.planning import plan_next
from syncbridge.engine.worker import EngineContext, run_one_batch
from syncbridge.errors import TransientError
from syncbridge.services.orchestration import RunSettings
from syncbridge.store import hub_records
from syncbridge.store.session import exclusive, transaction
from syncbridge.store.tables import sync_batch
from syncbridge.store.tables import sync_orchestration as runs_table
from tests.integration.harness import engine_for


class _Empty:
    def iter_changes(self, *_: object, **__: object) -> list[object]:
        return []

    def close(self) -> None:
        pass


def _stage_state(engine: sa.Engine, run_id: str) -> str:
    with transaction(engine) as conn:
        return str(conn.execute(sa.select(runs_table.c.stage_state).where(runs_table.c.id == run_id)).scalar())


def test_a_failing_batch_is_given_back_not_left_to_its_lease(db_url: str, tmp_path: Path) -> None:
    with engine_for(db_url, tmp_path, lease_seconds=600.0) as env:
        org = env.org("release")
        env.connect_woocommerce(org, "http://127.0.0.1:9", "ck_x", "cs_x")
        products = [Product(sku=f"R-{i}", name=f"R {i}", regular_price=Decimal("2.00")) for i in range(5)]
        with transaction(env.engine) as conn:
            hub_records.upsert_many(conn, org, products)
        run_id = env.orchestration.start(
            org,
            systems=["woocommerce"],
            entities=["products"],
            direction="from-hub",
            settings=RunSettings(batch_size=10),
        )["runId"]
        # Plan the stage against a shop that reads as empty; then every connector the batch asks for fails.
        empty_shop = EngineContext(engine=env.engine, settings=env.settings, connector_for=lambda *_: _Empty())  # type: ignore[arg-type,return-value]
        while _stage_state(env.engine, run_id) != "planned":
            assert plan_next(empty_shop)

        def broken(_org: str, _system: System) -> object:
            raise TransientError("the shop is down", code="connect_error")

        failing = EngineContext(engine=env.engine, settings=env.settings, connector_for=broken)  # type: ignore[arg-type]
        with pytest.raises(TransientError):
            run_one_batch(failing)
        with transaction(env.engine) as conn:
            rows = conn.execute(
                sa.select(sync_batch.c.status, sync_batch.c.lease_owner, sync_batch.c.attempts).where(
                    sync_batch.c.run_id == run_id
                )
            ).all()
        assert [(r.status, r.lease_owner, r.attempts) for r in rows] == [("pending", None, 1)]


@pytest.mark.pg
def test_exclusive_lets_one_holder_in_at_a_time(pg_url: str, tmp_path: Path) -> None:
    with engine_for(pg_url, tmp_path) as env:
        inside: list[str] = []
        overlaps: list[tuple[str, ...]] = []
        lock = threading.Lock()

        def hold(name: str) -> None:
            with exclusive(env.engine, "syncbridge-test:one"):
                with lock:
                    inside.append(name)
                    if len(inside) > 1:
                        overlaps.append(tuple(inside))
                time.sleep(0.05)
                with lock:
                    inside.remove(name)

        threads = [threading.Thread(target=hold, args=(f"t{i}",)) for i in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
        assert overlaps == []

        with exclusive(env.engine, "syncbridge-test:two"):
            with pytest.raises(TransientError) as caught:
                with exclusive(env.engine, "syncbridge-test:two", wait_s=0.2):
                    pass
            assert caught.value.code == "lock_timeout"
        with exclusive(env.engine, "syncbridge-test:two", wait_s=0.2):
            pass  # free again once its holder left


@pytest.mark.pg
def test_refresh_statistics_analyzes_the_tables(pg_url: str, tmp_path: Path) -> None:
    from syncbridge.store.session import refresh_statistics

    with engine_for(pg_url, tmp_path) as env:
        org = env.org("stats")
        with transaction(env.engine) as conn:
            hub_records.upsert_many(
                conn, org, [Product(sku=f"S-{i}", name=f"S {i}", regular_price=Decimal("1.00")) for i in range(300)]
            )

        def tuples() -> float:
            with transaction(env.engine) as conn:
                return float(
                    conn.execute(
                        sa.text("SELECT reltuples FROM pg_class WHERE oid = to_regclass('hub_product')")
                    ).scalar_one()
                )

        assert tuples() <= 0  # never analyzed: PostgreSQL does not know the table's size
        refresh_statistics(env.engine, ["hub_product", "sync_link"])
        assert tuples() == 300
