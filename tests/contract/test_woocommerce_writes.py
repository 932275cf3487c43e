"""WooCommerceConnector.apply against the simulator over real HTTP: requests per chunk, per-item errors, retries
after lost responses, variation sync."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from syncbridge.connectors.base import Operation, OpKind, OpResult
from syncbridge.connectors.woocommerce import lookups
from syncbridge.connectors.woocommerce.connector import WooCommerceConnector
from syncbridge.domain.records import (
    Customer,
    EntityType,
    Order,
    OrderLine,
    OrderStatus,
    Payment,
    PaymentState,
    Product,
    ProductStatus,
    Record,
    StockLevel,
    Variant,
)
from syncbridge.errors import DuplicateKeyError, NotFoundError, SyncError, TransientError, ValidationError
from syncbridge.sim.server import SimServer
from syncbridge.sim.woocommerce import WooCommerceSim
from syncbridge.sim.woocommerce import customers as sim_customers

Shop = tuple[WooCommerceSim, WooCommerceConnector]
T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def shop() -> Iterator[Shop]:
    sim = WooCommerceSim()
    with SimServer(sim.app) as srv:
        conn = WooCommerceConnector(srv.url, sim.consumer_key, sim.consumer_secret)
        conn.client._sleep = lambda s: None
        yield sim, conn
        conn.close()


def customer(i: int, email: str | None = None) -> Customer:
    return Customer(email=email or f"c{i}@example.com", name=f"Cüstomer {i}")


def simple(i: int) -> Product:
    return Product(sku=f"S{i}", name=f"Simple {i}", regular_price=Decimal("10.50"), manage_stock=True)


def order(i: int, *, sku: str = "S1", email: str = "") -> Order:
    return Order(
        number=f"N{i}",
        status=OrderStatus.PROCESSING,
        currency="EUR",
        customer_email=email,
        lines=(OrderLine(sku=sku, quantity=Decimal(1), unit_price=Decimal("10.50"), name=f"Simple {i}"),),
        total=Decimal("10.50"),
        created_at=T0 + timedelta(minutes=i),
    )


def paid(i: int) -> Payment:
    return Payment(
        reference=f"N{i}",
        order_number=f"N{i}",
        amount=Decimal("10.50"),
        currency="EUR",
        method="bacs",
        state=PaymentState.PAID,
        transaction_id=f"tx{i}",
        paid_at=T0 + timedelta(hours=1),
    )


def refund(i: int) -> Payment:
    return Payment(
        reference=f"N{i}/R",
        order_number=f"N{i}",
        amount=Decimal("2"),
        currency="EUR",
        method="bacs",
        state=PaymentState.REFUNDED,
        paid_at=T0 + timedelta(hours=2),
    )


def creates(entity: EntityType, records: list[Any]) -> list[Operation]:
    return [Operation(f"k{n}", OpKind.CREATE, entity, r) for n, r in enumerate(records)]


def apply(conn: WooCommerceConnector, entity: EntityType, ops: list[Operation]) -> tuple[list[OpResult], int]:
    before = conn.client.requests
    results = conn.apply(entity, ops)
    assert [r.key for r in results] == [op.key for op in ops]
    return results, conn.client.requests - before


def ok(results: list[OpResult]) -> list[str]:
    bad = [r for r in results if not r.ok]
    assert not bad, bad[:3]
    return [str(r.external_id) for r in results]


# (entity, the 100 records of one chunk, most requests it may take)
CHUNKS: list[tuple[EntityType, list[Any], int]] = [
    (EntityType.CUSTOMERS, [customer(i) for i in range(100)], 1),
    (EntityType.PRODUCTS, [simple(i) for i in range(100)], 1),
    (EntityType.INVENTORY, [StockLevel(sku=f"S{i}", quantity=Decimal(i)) for i in range(100)], 2),
    (EntityType.ORDERS, [order(i, sku=f"S{i}", email=f"c{i}@example.com") for i in range(100)], 4),
    (EntityType.PAYMENTS, [paid(i) for i in range(100)], 2),
]


def test_a_chunk_of_100_creates_costs_a_constant_number_of_requests(shop: Shop) -> None:
    sim, conn = shop
    for entity, records, most in CHUNKS:
        results, requests = apply(conn, entity, creates(entity, records))
        ok(results)
        assert requests <= most, (entity, requests)
    assert len(sim.orders) == 100
    assert all(o.date_paid is not None for o in sim.orders.values())


def test_updates_and_deletes_of_a_chunk_share_one_batch(shop: Shop) -> None:
    sim, conn = shop
    ids = ok(apply(conn, EntityType.CUSTOMERS, creates(EntityType.CUSTOMERS, [customer(i) for i in range(60)]))[0])
    ops = [
        Operation(f"u{i}", OpKind.UPDATE, EntityType.CUSTOMERS, customer(i, f"new{i}@example.com"), ids[i])
        for i in range(50)
    ] + [Operation(f"d{i}", OpKind.DELETE, EntityType.CUSTOMERS, None, ids[i]) for i in range(50, 60)]
    results, requests = apply(conn, EntityType.CUSTOMERS, ops)
    ok(results)
    assert requests == 1
    assert sorted(c.email for c in sim.customers.values()) == sorted(f"new{i}@example.com" for i in range(50))


def test_one_bad_customer_fails_alone(shop: Shop) -> None:
    _sim, conn = shop
    ok(apply(conn, EntityType.CUSTOMERS, creates(EntityType.CUSTOMERS, [customer(0, "taken@example.com")]))[0])
    records = [
        customer(1),
        customer(2, "not an email"),
        customer(3, "twice@example.com"),
        customer(4, "TWICE@example.com"),
        customer(5),
    ]
    ops = [*creates(EntityType.CUSTOMERS, records)]
    ops.append(Operation("u-missing", OpKind.UPDATE, EntityType.CUSTOMERS, customer(6), "99999"))
    ops.append(Operation("u-no-id", OpKind.UPDATE, EntityType.CUSTOMERS, customer(7), None))
    results, _ = apply(conn, EntityType.CUSTOMERS, ops)
    kinds = [type(r.error) if r.error else None for r in results]
    assert kinds == [
        None,
        ValidationError,
        None,
        DuplicateKeyError,  # the same e-mail (any case) twice in one chunk: the second is refused, not linked
        None,
        NotFoundError,
        ValidationError,
    ]


def test_an_update_to_a_taken_email_is_a_duplicate_key(shop: Shop) -> None:
    _sim, conn = shop
    a, _b = ok(apply(conn, EntityType.CUSTOMERS, creates(EntityType.CUSTOMERS, [customer(1), customer(2)]))[0])
    op = Operation("u", OpKind.UPDATE, EntityType.CUSTOMERS, customer(1, "c2@example.com"), a)
    (result,), _ = apply(conn, EntityType.CUSTOMERS, [op])
    assert isinstance(result.error, DuplicateKeyError)
    assert result.error.code == "woocommerce_rest_customer_invalid_email"


def test_find_by_natural_key_skips_invalid_emails(shop: Shop) -> None:
    _sim, conn = shop
    ok(apply(conn, EntityType.CUSTOMERS, creates(EntityType.CUSTOMERS, [customer(1)]))[0])
    found = conn.find_by_natural_key(EntityType.CUSTOMERS, ["not an email", "C1@example.com"])
    assert list(found) == ["c1@example.com"]


def _lose_writes(sim: WooCommerceSim) -> None:
    """Every write is committed but its answer lost; reads go through (so lookups work on the retry)."""
    sim.faults.exempt = lambda scope: scope.get("method") == "GET"
    sim.faults.configure(lost_response_rate=1.0)


def _setup_sales(conn: WooCommerceConnector) -> None:
    ok(apply(conn, EntityType.PRODUCTS, creates(EntityType.PRODUCTS, [simple(1)]))[0])
    ok(apply(conn, EntityType.ORDERS, creates(EntityType.ORDERS, [order(i) for i in range(3)]))[0])
    ok(apply(conn, EntityType.PAYMENTS, creates(EntityType.PAYMENTS, [paid(i) for i in range(3)]))[0])


def _count(sim: WooCommerceSim, entity: EntityType) -> int:
    if entity is EntityType.CUSTOMERS:
        return len(sim.customers)
    if entity is EntityType.PRODUCTS:
        return sum(1 for p in sim.products.values() if p.type != "variation")
    if entity is EntityType.ORDERS:
        return len(sim.orders)
    return len(sim.store.refunds)


RETRIED: list[tuple[EntityType, list[Record]]] = [
    (EntityType.CUSTOMERS, [customer(i) for i in range(3)]),
    (
        EntityType.PRODUCTS,
        [
            simple(7),
            Product(
                sku="TEE",
                name="Tee",
                regular_price=Decimal(0),
                variants=(
                    Variant(sku="TEE-M", name="Size: M", regular_price=Decimal(15)),
                    Variant(sku="TEE-S", name="Size: S", regular_price=Decimal(14)),
                ),
            ),
        ],
    ),
    (EntityType.ORDERS, [order(i) for i in range(10, 13)]),
    (EntityType.PAYMENTS, [refund(0), refund(1)]),
]


@pytest.mark.parametrize(("entity", "records"), RETRIED, ids=[e.value for e, _ in RETRIED])
def test_retry_after_lost_responses_links_and_never_duplicates(
    shop: Shop, entity: EntityType, records: list[Record]
) -> None:
    sim, conn = shop
    _setup_sales(conn)
    ops = creates(entity, records)
    _lose_writes(sim)
    first, _ = apply(conn, entity, ops)
    assert all(isinstance(r.error, TransientError) for r in first)
    committed = _count(sim, entity)
    sim.faults.configure(lost_response_rate=0.0)
    again, _ = apply(conn, entity, ops)
    ok(again)
    assert all(r.linked_existing for r in again)
    assert _count(sim, entity) == committed
    third, _ = apply(conn, entity, ops)  # and once more: still linked, still no duplicate
    assert [r.external_id for r in third] == [r.external_id for r in again]
    assert _count(sim, entity) == committed


def test_a_failed_call_fails_every_item_it_carried_without_raising(shop: Shop) -> None:
    sim, conn = shop
    sim.faults.exempt = lambda scope: scope.get("method") == "GET"
    sim.faults.configure(error_rate=1.0)
    for entity, records, _most in CHUNKS[:2]:
        results, _ = apply(conn, entity, creates(entity, records[:5]))
        assert all(isinstance(r.error, TransientError) for r in results)


def test_orders_with_an_unknown_sku_fail_alone(shop: Shop) -> None:
    sim, conn = shop
    ok(apply(conn, EntityType.PRODUCTS, creates(EntityType.PRODUCTS, [simple(1)]))[0])
    results, _ = apply(conn, EntityType.ORDERS, creates(EntityType.ORDERS, [order(1), order(2, sku="NOPE"), order(3)]))
    assert [type(r.error) if r.error else None for r in results] == [None, NotFoundError, None]
    assert sorted(r.error.code for r in results if r.error) == ["unknown_sku"]
    assert len(sim.orders) == 2


def test_a_create_whose_sku_a_variation_holds_is_refused_not_linked(shop: Shop) -> None:
    _sim, conn = shop
    tee = RETRIED[1][1][1]
    ok(apply(conn, EntityType.PRODUCTS, creates(EntityType.PRODUCTS, [tee]))[0])
    clash = Product(sku="TEE-M", name="Clash", regular_price=Decimal(1))
    (result,), _ = apply(conn, EntityType.PRODUCTS, creates(EntityType.PRODUCTS, [clash]))
    assert isinstance(result.error, DuplicateKeyError)
    assert result.error.code == "product_invalid_sku"


def test_variations_follow_the_record_and_archived_products_are_trashed(shop: Shop) -> None:
    sim, conn = shop
    tee = RETRIED[1][1][1]
    assert isinstance(tee, Product)
    (pid,) = ok(apply(conn, EntityType.PRODUCTS, creates(EntityType.PRODUCTS, [tee]))[0])
    kept = sim.product_id_by_sku("TEE-M")
    changed = Product(
        sku="TEE",
        name="Tee 2",
        regular_price=Decimal(0),
        status=ProductStatus.ARCHIVED,
        variants=(
            Variant(sku="TEE-M", name="Size: M", regular_price=Decimal(16)),
            Variant(sku="TEE-L", name="Size: L", regular_price=Decimal(17)),
        ),
    )
    (result,), _ = apply(conn, EntityType.PRODUCTS, [Operation("u", OpKind.UPDATE, EntityType.PRODUCTS, changed, pid)])
    assert result.ok, result.error
    (back,) = conn.fetch(EntityType.PRODUCTS, [pid])
    assert isinstance(back, Product)
    assert back.status is ProductStatus.ARCHIVED
    assert [(v.sku, v.regular_price) for v in back.variants] == [("TEE-L", Decimal(17)), ("TEE-M", Decimal(16))]
    assert sim.product_id_by_sku("TEE-M") == kept
    assert sim.product_id_by_sku("TEE-S") is None


# (customers in the shop, e-mails asked for, of which exist, requests expected)
LOOKUPS = [
    (30, 5, 5, 1),  # one page holds the shop
    (250, 2, 0, 3),  # 3 pages: reading them all is no dearer than searching the 2 missing
    (450, 2, 0, 3),  # 5 pages: 1 page, then one search per missing e-mail
    (450, 1, 1, 1),  # one key: one search
    (450, 3, 3, 1),  # the newest customers are on the first page
]


@pytest.mark.parametrize(("size", "asked", "exist", "expected"), LOOKUPS)
def test_customer_lookup_reads_or_searches_whichever_is_cheaper(
    shop: Shop, size: int, asked: int, exist: int, expected: int
) -> None:
    sim, conn = shop
    with sim.store.lock:
        for i in range(size):
            sim_customers.create_customer(sim.store, {"email": f"x{i}@example.com"})
    emails = [f"x{size - 1 - i}@example.com" for i in range(exist)] + [
        f"y{i}@example.com" for i in range(asked - exist)
    ]
    before = conn.client.requests
    found = lookups.customers_by_email(conn.client, emails)
    assert conn.client.requests - before == expected
    assert sorted(found) == sorted(emails[:exist])


def test_errors_never_escape_apply(shop: Shop) -> None:
    _sim, conn = shop
    conn.client.root = "http://127.0.0.1:9"  # nothing listens there
    for entity, records, _most in CHUNKS:
        results = conn.apply(entity, creates(entity, records[:3]))
        assert all(isinstance(r.error, SyncError) and r.error.retryable for r in results), entity
