"""The conflict repositories on SQLite and PostgreSQL: record, list, close, stats, overrides, isolation."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from syncbridge.connectors.base import OpKind
from syncbridge.domain.codec import to_dict
from syncbridge.domain.conflicts import ConflictStatus, ConflictType, PolicySource, Strategy
from syncbridge.domain.plan import PlannedOp
from syncbridge.domain.records import EntityType, Product, System
from syncbridge.errors import ValidationError
from syncbridge.store import conflicts as repo
from syncbridge.store import migrate, orgs
from syncbridge.store.db import make_engine
from syncbridge.store.tables import sync_conflict

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
SOURCE = Product(sku="MUG-1", name="Mug", regular_price=Decimal("12.50"), external_id="7")
TARGET = Product(sku="MUG-1", name="Mug (old)", regular_price=Decimal("10"), external_id="31")


def _op(org: str) -> PlannedOp:
    return PlannedOp(
        key=f"k-{org}",
        kind=OpKind.UPDATE,
        entity=EntityType.PRODUCTS,
        source_system=System.WOOCOMMERCE,
        target_system=System.ODOO,
        natural_key="MUG-1",
        record=SOURCE,
        hub_id="h" * 32,
        source_id="7",
        target_id="31",
    )


@dataclass
class Db:
    engine: Engine
    a: str
    b: str


@pytest.fixture
def db(db_url: str) -> Iterator[Db]:
    migrate.upgrade(db_url)
    engine = make_engine(db_url)
    with engine.begin() as conn:
        a = orgs.create_org(conn, "org A").id
        b = orgs.create_org(conn, "org B").id
    yield Db(engine, a, b)
    engine.dispose()


def _draft(
    conflict_type: ConflictType = ConflictType.VALIDATION_ERROR,
    *,
    entity: str = "products",
    run_id: str | None = "run-1",
    status: ConflictStatus = ConflictStatus.OPEN,
) -> repo.ConflictDraft:
    return repo.ConflictDraft(
        entity=entity,
        conflict_type=conflict_type,
        strategy=Strategy.MANUAL,
        status=status,
        run_id=run_id,
        natural_key="X",
    )


def _set_created(engine: Engine, conflict_id: str, when: datetime) -> None:
    with engine.begin() as conn:
        conn.execute(sa.update(sync_conflict).where(sync_conflict.c.id == conflict_id).values(created_at=when))


def test_a_draft_for_an_operation_round_trips_with_both_versions_and_the_diff(db: Db) -> None:
    op = _op(db.a)
    error = ValidationError("price must be positive", code="invalid_price")
    draft = repo.ConflictDraft.for_operation(
        op,
        ConflictType.VALIDATION_ERROR,
        Strategy.MANUAL,
        error=error,
        target_version=TARGET,
        run_id="r1",
        batch_id="b1",
        attempts=2,
    )
    with db.engine.begin() as conn:
        conflict_id = repo.record_conflict(conn, db.a, draft)
        row = repo.get_conflict(conn, db.a, conflict_id)
    assert row is not None
    assert (row.entity, row.conflict_type, row.status, row.strategy) == (
        "products",
        ConflictType.VALIDATION_ERROR,
        ConflictStatus.OPEN,
        Strategy.MANUAL,
    )
    assert (row.run_id, row.batch_id, row.hub_id, row.natural_key) == ("r1", "b1", "h" * 32, "MUG-1")
    assert (row.source_system, row.target_system) == ("woocommerce", "odoo")
    assert row.external_ids == {"woocommerce": "7", "odoo": "31"}
    assert row.source_version == to_dict(SOURCE)
    assert row.target_version == to_dict(TARGET)
    assert row.diff == {
        "name": {"old": "Mug (old)", "new": "Mug"},
        "regular_price": {"old": "10", "new": "12.50"},
    }
    assert (row.error_code, row.error_message, row.attempts) == ("invalid_price", "price must be positive", 2)
    assert row.planned_op() == op
    assert row.created_at.tzinfo is not None and row.resolved_at is None


def test_list_filters_and_pages_newest_first(db: Db) -> None:
    with db.engine.begin() as conn:
        ids = [
            repo.record_conflict(conn, db.a, _draft(ConflictType.DATA_MISMATCH, run_id="r1")),
            repo.record_conflict(conn, db.a, _draft(ConflictType.DUPLICATE_KEY, entity="customers", run_id="r1")),
            repo.record_conflict(conn, db.a, _draft(ConflictType.DUPLICATE_KEY, run_id="r2")),
            repo.record_conflict(conn, db.a, _draft(status=ConflictStatus.SKIPPED, run_id=None)),
        ]
    for index, conflict_id in enumerate(ids):
        _set_created(db.engine, conflict_id, T0 + timedelta(minutes=index))
    cases: list[tuple[repo.ConflictFilter, list[str]]] = [
        (repo.ConflictFilter(), ids[::-1]),
        (repo.ConflictFilter(run_id="r1"), [ids[1], ids[0]]),
        (repo.ConflictFilter(conflict_type=ConflictType.DUPLICATE_KEY), [ids[2], ids[1]]),
        (repo.ConflictFilter(entity="customers"), [ids[1]]),
        (repo.ConflictFilter(status=ConflictStatus.SKIPPED), [ids[3]]),
        (repo.ConflictFilter(run_id="r1", entity="products"), [ids[0]]),
        (repo.ConflictFilter(run_id="nope"), []),
    ]
    with db.engine.connect() as conn:
        for filters, expected in cases:
            rows, total = repo.list_conflicts(conn, db.a, filters)
            assert ([r.id for r in rows], total) == (expected, len(expected)), filters
        page2, total = repo.list_conflicts(conn, db.a, page=2, page_size=3)
        assert ([r.id for r in page2], total) == ([ids[0]], 4)
        with pytest.raises(ValueError, match="page"):
            repo.list_conflicts(conn, db.a, page=0)


def test_close_once_and_retry_bookkeeping(db: Db) -> None:
    with db.engine.begin() as conn:
        conflict_id = repo.record_conflict(conn, db.a, _draft())
        due = T0 + timedelta(seconds=4)
        assert repo.schedule_retry(conn, db.a, conflict_id, attempts=1, next_retry_at=due)
        assert [r.id for r in repo.due_retries(conn, db.a, now=T0)] == []
        assert [r.id for r in repo.due_retries(conn, db.a, now=due)] == [conflict_id]
        assert repo.reopen_conflict(conn, db.a, conflict_id, attempts=2, error=ValidationError("still bad"))
        row = repo.get_conflict(conn, db.a, conflict_id)
        assert row is not None
        assert (row.status, row.attempts, row.next_retry_at, row.error_message) == (
            ConflictStatus.OPEN,
            2,
            None,
            "still bad",
        )
        assert repo.close_conflict(
            conn,
            db.a,
            conflict_id,
            status=ConflictStatus.RESOLVED,
            resolution="take_source",
            resolved_by="ann",
            resolved_at=T0 + timedelta(hours=1),
        )
        # closed: a second resolver loses, and nothing reopens it
        assert not repo.close_conflict(
            conn, db.a, conflict_id, status=ConflictStatus.SKIPPED, resolution="skip", resolved_by="bob"
        )
        assert not repo.reopen_conflict(conn, db.a, conflict_id, attempts=3)
        assert not repo.schedule_retry(conn, db.a, conflict_id, attempts=3, next_retry_at=None)
        row = repo.get_conflict(conn, db.a, conflict_id)
        assert row is not None
        assert (row.status, row.resolution, row.resolved_by, row.resolved_at) == (
            ConflictStatus.RESOLVED,
            "take_source",
            "ann",
            T0 + timedelta(hours=1),
        )
        with pytest.raises(ValueError, match="resolved or skipped"):
            repo.close_conflict(conn, db.a, conflict_id, status=ConflictStatus.OPEN, resolution="x", resolved_by="x")


def test_stats(db: Db) -> None:
    with db.engine.begin() as conn:
        empty = repo.conflict_stats(conn, db.a)
        assert (empty.total, empty.mean_time_to_resolution_s, empty.oldest_open_id) == (0, None, None)
        first = repo.record_conflict(conn, db.a, _draft(ConflictType.DATA_MISMATCH, run_id="r1"))
        second = repo.record_conflict(conn, db.a, _draft(ConflictType.DATA_MISMATCH, entity="customers"))
        third = repo.record_conflict(conn, db.a, _draft(ConflictType.AUTH_ERROR, run_id=None))
        fourth = repo.record_conflict(conn, db.a, _draft(ConflictType.AUTH_ERROR, run_id="r2"))
    for index, conflict_id in enumerate((first, second, third, fourth)):
        _set_created(db.engine, conflict_id, T0 + timedelta(minutes=index))
    with db.engine.begin() as conn:
        for conflict_id, resolved_at in (
            (first, T0 + timedelta(seconds=60)),
            (third, T0 + timedelta(minutes=5)),
        ):
            assert repo.close_conflict(
                conn,
                db.a,
                conflict_id,
                status=ConflictStatus.RESOLVED,
                resolution="keep_hub",
                resolved_by="ann",
                resolved_at=resolved_at,
            )
        stats = repo.conflict_stats(conn, db.a)
    assert stats.total == 4
    assert stats.by_type == {"auth_error": 2, "data_mismatch": 2}
    assert stats.by_status == {"open": 2, "resolved": 2}
    assert stats.by_entity == {"customers": 1, "products": 3}
    assert stats.by_run == {"": 1, "r1": 1, "r2": 1, "run-1": 1}
    assert stats.mean_time_to_resolution_s == pytest.approx(120.0, abs=0.01)  # (60 s + 180 s) / 2
    assert (stats.oldest_open_id, stats.oldest_open_at) == (second, T0 + timedelta(minutes=1))


def test_strategy_and_field_policy_overrides(db: Db) -> None:
    with db.engine.begin() as conn:
        repo.set_strategy(conn, db.a, entity="*", conflict_type=ConflictType.DATA_MISMATCH, strategy=Strategy.SKIP)
        repo.set_strategy(
            conn,
            db.a,
            entity="products",
            conflict_type=ConflictType.DATA_MISMATCH,
            strategy=Strategy.AUTO_RETRY,
        )
        repo.set_strategy(
            conn, db.a, entity="products", conflict_type=ConflictType.DATA_MISMATCH, strategy=Strategy.MANUAL
        )  # replaces
        repo.set_strategy(conn, db.b, entity="*", conflict_type=ConflictType.AUTH_ERROR, strategy=Strategy.SKIP)
        repo.set_field_policy(conn, db.a, entity=EntityType.PRODUCTS, field_name="name", source=PolicySource.ODOO)
        repo.set_field_policy(conn, db.a, entity=EntityType.PRODUCTS, field_name="name", source=PolicySource.HUB)
        repo.set_field_policy(
            conn, db.a, entity=EntityType.INVENTORY, field_name="quantity", source=PolicySource.NEWEST
        )
        repo.set_field_policy(conn, db.b, entity=EntityType.ORDERS, field_name="status", source=PolicySource.ODOO)
    with db.engine.begin() as conn:
        assert repo.strategy_overrides(conn, db.a) == {
            ("*", ConflictType.DATA_MISMATCH): Strategy.SKIP,
            ("products", ConflictType.DATA_MISMATCH): Strategy.MANUAL,
        }
        assert repo.field_policies(conn, db.a) == {
            (EntityType.PRODUCTS, "name"): PolicySource.HUB,
            (EntityType.INVENTORY, "quantity"): PolicySource.NEWEST,
        }
        repo.set_strategy(conn, db.a, entity="*", conflict_type=ConflictType.DATA_MISMATCH, strategy=None)
        repo.set_field_policy(conn, db.a, entity=EntityType.PRODUCTS, field_name="name", source=None)
        assert repo.strategy_overrides(conn, db.a) == {("products", ConflictType.DATA_MISMATCH): Strategy.MANUAL}
        assert repo.field_policies(conn, db.a) == {(EntityType.INVENTORY, "quantity"): PolicySource.NEWEST}
        assert repo.strategy_overrides(conn, db.b) == {("*", ConflictType.AUTH_ERROR): Strategy.SKIP}


def test_org_isolation(db: Db) -> None:
    with db.engine.begin() as conn:
        mine = repo.record_conflict(conn, db.a, _draft(run_id="r1"))
        repo.schedule_retry(conn, db.a, mine, attempts=1, next_retry_at=T0)
        theirs = repo.record_conflict(conn, db.b, _draft(run_id="r1"))
        repo.schedule_retry(conn, db.b, theirs, attempts=1, next_retry_at=T0)
    with db.engine.begin() as conn:
        assert repo.get_conflict(conn, db.a, theirs) is None
        rows, total = repo.list_conflicts(conn, db.a, repo.ConflictFilter(run_id="r1"))
        assert ([r.id for r in rows], total) == ([mine], 1)
        assert [r.id for r in repo.due_retries(conn, db.a, now=T0)] == [mine]
        assert repo.conflict_stats(conn, db.a).total == 1
        # writes with the wrong org touch nothing
        assert not repo.close_conflict(
            conn, db.a, theirs, status=ConflictStatus.SKIPPED, resolution="skip", resolved_by="a"
        )
        assert not repo.reopen_conflict(conn, db.a, theirs, attempts=9)
        assert not repo.schedule_retry(conn, db.a, theirs, attempts=9, next_retry_at=None)
        assert repo.delete_for_batch(conn, db.a, "r1", "nope") == 0
        row = repo.get_conflict(conn, db.b, theirs)
        assert row is not None and (row.status, row.attempts) == (ConflictStatus.RETRYING, 1)


def test_delete_for_batch(db: Db) -> None:
    with db.engine.begin() as conn:
        draft = repo.ConflictDraft(
            entity="orders",
            conflict_type=ConflictType.DATA_MISMATCH,
            strategy=Strategy.MANUAL,
            run_id="r1",
            batch_id="plan:1",
        )
        repo.record_conflict(conn, db.a, draft)
        repo.record_conflict(conn, db.b, draft)
        kept = repo.record_conflict(conn, db.a, _draft(run_id="r1"))
        assert repo.delete_for_batch(conn, db.a, "r1", "plan:1") == 1
        rows, _ = repo.list_conflicts(conn, db.a)
        assert [r.id for r in rows] == [kept]
        assert repo.list_conflicts(conn, db.b)[1] == 1
