"""WooCommerceConnector against the simulator over real HTTP (OAuth 1.0a over plain http)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from syncbridge.connectors.base import Operation, OpKind
from syncbridge.connectors.woocommerce.connector import WooCommerceConnector
from syncbridge.domain.fingerprint import fingerprint_of
from syncbridge.domain.records import (
    Address,
    Customer,
    EntityType,
    Order,
    OrderLine,
    OrderStatus,
    Payment,
    PaymentState,
    Product,
    Record,
    StockLevel,
    Variant,
)
from syncbridge.errors import (
    AuthError,
    DuplicateKeyError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    SyncError,
    TransientError,
    ValidationError,
)
from syncbridge.sim.server import SimServer
from syncbridge.sim.woocommerce import WooCommerceSim

CUSTOMER = Customer(
    email="zoe.muller@example.com",
    name="Zoë Anne Müller",
    phone="555-0100",
    billing=Address(street="1 Main St", city="Springfield", state="IL", postcode="12345", country="US"),
)
TEE = Product(
    sku="TEE",
    name="Tee",
    regular_price=Decimal(0),
    manage_stock=False,
    variants=(
        Variant(sku="TEE-M", name="Size: M", regular_price=Decimal("15")),
        Variant(sku="TEE-S", name="Size: S", regular_price=Decimal("14.50")),
    ),
)
WIDGET = Product(sku="W1", name="Widget ✓", regular_price=Decimal("10.50"), sale_price=Decimal("9.99"))
STOCK = StockLevel(sku="TEE-M", quantity=Decimal(7))
ORDER = Order(
    number="1001",
    status=OrderStatus.PENDING,
    currency="USD",
    customer_email=CUSTOMER.email,
    lines=(OrderLine(sku="W1", quantity=Decimal(2), unit_price=Decimal("10.50"), name="Widget ✓"),),
    total=Decimal("21"),
    created_at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
    payment_method="bacs",
)
PAYMENT = Payment(
    reference="1001",
    order_number="1001",
    amount=Decimal(21),
    currency="USD",
    method="bacs",
    state=PaymentState.PAID,
    transaction_id="tx-1",
    paid_at=datetime(2026, 1, 3, tzinfo=UTC),
)


@pytest.fixture
def shop() -> Iterator[tuple[WooCommerceSim, WooCommerceConnector]]:
    sim = WooCommerceSim()
    with SimServer(sim.app) as srv:
        conn = WooCommerceConnector(srv.url, sim.consumer_key, sim.consumer_secret)
        yield sim, conn
        conn.close()


def create(conn: WooCommerceConnector, entity: EntityType, record: Record) -> str:
    (result,) = conn.apply(entity, [Operation(f"k-{record.natural_key}", OpKind.CREATE, entity, record)])
    assert result.ok, result.error
    assert result.external_id is not None
    return result.external_id


def test_round_trips_for_every_entity(shop: tuple[WooCommerceSim, WooCommerceConnector]) -> None:
    _sim, conn = shop
    for entity, record in [
        (EntityType.CUSTOMERS, CUSTOMER),
        (EntityType.PRODUCTS, TEE),
        (EntityType.PRODUCTS, WIDGET),
        (EntityType.INVENTORY, STOCK),
    ]:
        external_id = create(conn, entity, record)
        (back,) = conn.fetch(entity, [external_id])
        assert fingerprint_of(back) == fingerprint_of(record), (entity, back)
    order_id = create(conn, EntityType.ORDERS, ORDER)
    (order,) = conn.fetch(EntityType.ORDERS, [order_id])
    assert fingerprint_of(order) == fingerprint_of(ORDER)
    payment_id = create(conn, EntityType.PAYMENTS, PAYMENT)
    payments = conn.fetch(EntityType.PAYMENTS, [payment_id])
    assert [fingerprint_of(p) for p in payments] == [fingerprint_of(PAYMENT)]


def test_lost_response_on_create_does_not_duplicate(shop: tuple[WooCommerceSim, WooCommerceConnector]) -> None:
    sim, conn = shop
    sim.faults.configure(lost_response_rate=1.0)
    op = Operation("k1", OpKind.CREATE, EntityType.PRODUCTS, WIDGET)
    with pytest.raises(TransientError):
        conn.client.json("POST", "/products/batch", body={"create": [{"name": "W", "sku": "W1"}]})
    sim.faults.configure(lost_response_rate=0.0)
    (result,) = conn.apply(EntityType.PRODUCTS, [op])
    assert result.ok and result.linked_existing
    assert sum(1 for p in sim.products.values() if p.sku == "W1") == 1


def update(conn: WooCommerceConnector, sku: str, name: str) -> None:
    (current,) = conn.find_by_natural_key(EntityType.PRODUCTS, [sku]).values()
    record = Product(sku=sku, name=name, regular_price=current.regular_price)
    (result,) = conn.apply(
        EntityType.PRODUCTS,
        [Operation(f"u-{sku}", OpKind.UPDATE, EntityType.PRODUCTS, record, current.external_id)],
    )
    assert result.ok, result.error


def test_incremental_reads_see_exactly_the_changes(shop: tuple[WooCommerceSim, WooCommerceConnector]) -> None:
    sim, conn = shop
    for i in range(5):
        create(conn, EntityType.PRODUCTS, Product(sku=f"P{i}", name=f"P{i}", regular_price=Decimal(i)))
    sim.advance(300)
    update(conn, "P4", "P4 new")  # the newest change: the cursor lands on it
    cursor = [p.cursor for p in conn.iter_changes(EntityType.PRODUCTS)][-1]
    sim.advance(300)  # past the 120 s overlap, and inside the 15 min OAuth timestamp window
    update(conn, "P3", "P3 new")
    seen = [r.natural_key for page in conn.iter_changes(EntityType.PRODUCTS, cursor) for r in page.records]
    assert seen == ["P4", "P3"]  # P3 changed; P4 is the overlap duplicate (within 120 s of the cursor)


@pytest.mark.parametrize(
    ("setup", "expected"),
    [
        ("bad_secret", AuthError),
        ("incapable_key", PermissionDeniedError),
        ("error_500", TransientError),
        ("rate_429", RateLimitedError),
        ("drop", TransientError),
    ],
)
def test_error_kinds_arrive_typed(
    shop: tuple[WooCommerceSim, WooCommerceConnector], setup: str, expected: type[SyncError]
) -> None:
    sim, conn = shop
    key, secret = sim.consumer_key, sim.consumer_secret
    if setup == "bad_secret":
        secret = "cs_wrong"
    elif setup == "incapable_key":
        key, secret = "ck_shopper", "cs_shopper"
        sim.add_key(key, secret, capable=False)
    else:
        sim.faults.configure(
            **{"error_500": {"error_rate": 1.0}, "rate_429": {"rate_429": 1.0}, "drop": {"drop_rate": 1.0}}[setup]
        )
    other = WooCommerceConnector(conn.client.root, key, secret)
    other.client._sleep = lambda s: None
    with pytest.raises(expected):
        other.fetch(EntityType.PRODUCTS, ["1"])
    other.close()


def test_validation_duplicate_and_not_found_errors(shop: tuple[WooCommerceSim, WooCommerceConnector]) -> None:
    _sim, conn = shop
    create(conn, EntityType.CUSTOMERS, CUSTOMER)
    with pytest.raises(DuplicateKeyError):
        conn.client.json("POST", "/customers", body={"email": CUSTOMER.email})
    with pytest.raises(ValidationError):
        conn.client.json("POST", "/products", body={"name": "x", "type": "bogus"})
    with pytest.raises(NotFoundError):
        conn.client.json("GET", "/products/99999999")
