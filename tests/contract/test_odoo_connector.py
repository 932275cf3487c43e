"""The Odoo connector against the simulator over real HTTP: round trips for every entity type, incremental
reads, idempotent creates after a lost response, and each error kind as its typed error."""

from __future__ import annotations

import dataclasses
import socket
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from syncbridge.connectors.base import Operation, OpKind
from syncbridge.connectors.odoo import OdooConnector
from syncbridge.domain.fingerprint import diff_fields, fingerprint_of
from syncbridge.domain.records import (
    Address,
    Customer,
    EntityType,
    OrderStatus,
    Payment,
    PaymentState,
    ProductStatus,
    Record,
)
from syncbridge.errors import (
    AuthError,
    DuplicateKeyError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    TransientError,
    ValidationError,
)
from syncbridge.sim.odoo import OdooSim
from syncbridge.sim.odoo.exceptions import SERIALIZATION_MESSAGE, SerializationFailure
from syncbridge.sim.seed import SeedData, generate
from syncbridge.sim.server import SimServer


def serve(app: Any) -> SimServer:
    """A SimServer with TCP_NODELAY (else each answer waits ~40 ms for a delayed ACK)."""
    server = SimServer(app)
    sock = getattr(server, "_sock", None)
    if sock is not None:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return server


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 3, 1, 12, 0, 0)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: int) -> None:
        self.now += timedelta(seconds=seconds)


class Env:
    def __init__(self, sim: OdooSim, url: str, clock: Clock) -> None:
        self.sim, self.url, self.clock = sim, url, clock
        self.opened: list[OdooConnector] = []

    def connector(self, protocol: str = "jsonrpc", **kwargs: Any) -> OdooConnector:
        options: dict[str, Any] = {"protocol": protocol, "timeout": 5.0, **kwargs}
        api_key = options.pop("api_key", self.sim.api_key)
        connector = OdooConnector(self.url, self.sim.database, self.sim.login, api_key, **options)
        self.opened.append(connector)
        return connector

    def close(self) -> None:
        for connector in self.opened:
            connector.close()


@pytest.fixture(params=[18, 17, 16], ids=lambda v: f"odoo{v}")
def version(request: pytest.FixtureRequest) -> int:
    value: int = request.param
    return value


def start(version: int) -> Iterator[Env]:
    clock = Clock()
    sim = OdooSim(version=version, clock=clock)
    with serve(sim.app) as server:
        env = Env(sim, server.url, clock)
        try:
            yield env
        finally:
            env.close()


@pytest.fixture
def env18() -> Iterator[Env]:
    yield from start(18)


def seed() -> SeedData:
    data = generate(customers=10, products=10, orders=10, seed=5)
    # Odoo keeps a payment's date, not its time: the lead accepts that round trips compare dates.
    payments = [
        dataclasses.replace(
            p, paid_at=p.paid_at.replace(hour=0, minute=0, second=0, microsecond=0) if p.paid_at else None
        )
        for p in data.payments
    ]
    # the seed's two customers sharing an e-mail: one of them (the twin is tested on its own)
    first_by_email = {}
    for c in data.customers:
        first_by_email.setdefault(c.natural_key, c)
    return dataclasses.replace(data, payments=payments, customers=list(first_by_email.values()))


ENTITIES: list[tuple[EntityType, str]] = [
    (EntityType.CUSTOMERS, "customers"),
    (EntityType.PRODUCTS, "products"),
    (EntityType.INVENTORY, "stock"),
    (EntityType.ORDERS, "orders"),
    (EntityType.PAYMENTS, "payments"),
]


def ops(kind: OpKind, entity: EntityType, records: Sequence[Record]) -> list[Operation]:
    return [
        Operation(
            key=f"{kind}-{i}",
            kind=kind,
            entity=entity,
            record=r,
            external_id=r.external_id if kind is not OpKind.CREATE else None,
        )
        for i, r in enumerate(records)
    ]


def assert_same(expected: Sequence[Record], got: Sequence[Record]) -> None:
    by_key = {r.natural_key: r for r in got}
    for record in expected:
        assert record.natural_key in by_key, record.natural_key
        other = by_key[record.natural_key]
        assert fingerprint_of(other) == fingerprint_of(record), diff_fields(record, other)


def changed(entity: EntityType, record: Any) -> Any:
    """A real change to a comparable field, per entity type."""
    if entity is EntityType.CUSTOMERS:
        return dataclasses.replace(
            record,
            phone="+33 1 00",
            shipping=Address(street="Rue Neuve 3", city="Lyon", postcode="69001", country="FR"),
        )
    if entity is EntityType.PRODUCTS:
        variants = tuple(dataclasses.replace(v, regular_price=v.regular_price + 2) for v in record.variants)
        return dataclasses.replace(
            record, regular_price=record.regular_price + 2, variants=variants, status=ProductStatus.DRAFT
        )
    if entity is EntityType.INVENTORY:
        return dataclasses.replace(record, quantity=record.quantity + 7)
    if entity is EntityType.ORDERS:
        status = OrderStatus.CANCELLED if record.status is not OrderStatus.CANCELLED else OrderStatus.PENDING
        return dataclasses.replace(record, status=status)
    return dataclasses.replace(record, state=PaymentState.CANCELLED, paid_at=None)


@pytest.mark.parametrize("protocol", ["jsonrpc", "xmlrpc"])
def test_round_trip_every_entity(version: int, protocol: str) -> None:
    data = seed()
    for env in start(version):
        connector = env.connector(protocol)
        for entity, attr in ENTITIES:
            records: list[Record] = list(getattr(data, attr))
            results = connector.apply(entity, ops(OpKind.CREATE, entity, records))
            assert all(r.ok for r in results), [r.error for r in results if not r.ok]
            assert not any(r.linked_existing for r in results)
            fetched = connector.fetch(entity, [str(r.external_id) for r in results])
            assert_same(records, fetched)
            streamed = [rec for page in connector.iter_changes(entity, page_size=4) for rec in page.records]
            assert_same(records, streamed)
            # an update of some of them, read back
            linked = [
                dataclasses.replace(rec, external_id=res.external_id) for rec, res in zip(records, results, strict=True)
            ][:3]
            updated = [changed(entity, rec) for rec in linked]
            results = connector.apply(entity, ops(OpKind.UPDATE, entity, updated))
            assert all(r.ok for r in results), [r.error for r in results if not r.ok]
            assert_same(updated, connector.fetch(entity, [str(r.external_id) for r in updated]))


def test_round_trip_over_json2(env18: Env) -> None:
    data = seed()
    connector = env18.connector("json2", version=18)
    for entity, attr in ENTITIES:
        records = list(getattr(data, attr))
        results = connector.apply(entity, ops(OpKind.CREATE, entity, records))
        assert all(r.ok for r in results), [r.error for r in results if not r.ok]
        assert_same(records, connector.fetch(entity, [str(r.external_id) for r in results]))


def test_version_is_detected(version: int) -> None:
    for env in start(version):
        assert env.connector().version == version


def test_incremental_reads_see_exactly_the_changed_records(env18: Env) -> None:
    customers = seed().customers
    first_wave, second_wave = customers[:4], customers[4:8]
    connector = env18.connector(overlap_s=60)
    one = connector.apply(EntityType.CUSTOMERS, ops(OpKind.CREATE, EntityType.CUSTOMERS, first_wave))
    env18.clock.advance(3600)
    two = connector.apply(EntityType.CUSTOMERS, ops(OpKind.CREATE, EntityType.CUSTOMERS, second_wave))
    before = {
        r.external_id: fingerprint_of(r)
        for p in connector.iter_changes(EntityType.CUSTOMERS, page_size=3)
        for r in p.records
    }
    assert len(before) == len(first_wave) + len(second_wave)
    cursor = max(p.cursor or "" for p in connector.iter_changes(EntityType.CUSTOMERS, page_size=3))
    env18.clock.advance(3600)
    touched = [
        dataclasses.replace(first_wave[1], external_id=one[1].external_id, phone="+1 1"),
        dataclasses.replace(second_wave[2], external_id=two[2].external_id, phone="+1 2"),
    ]
    connector.apply(EntityType.CUSTOMERS, ops(OpKind.UPDATE, EntityType.CUSTOMERS, touched))
    pages = list(connector.iter_changes(EntityType.CUSTOMERS, cursor, page_size=2))
    seen = [r for page in pages for r in page.records]
    # the changed first-wave record, plus the second wave inside the overlap window (unchanged ones are
    # overlap duplicates: same fingerprint as before); nothing else, and no record twice
    assert sorted(str(r.external_id) for r in seen) == sorted(
        [str(one[1].external_id)] + [str(r.external_id) for r in two]
    )
    changed_now = {r.external_id for r in seen if fingerprint_of(r) != before[r.external_id]}
    assert changed_now == {t.external_id for t in touched}
    assert pages[-1].cursor is not None and pages[-1].cursor > cursor


def test_changes_kept_on_dependent_rows_surface_their_parent(env18: Env) -> None:
    data = seed()
    connector = env18.connector(overlap_s=0)
    customer = next(c for c in data.customers if c.shipping != Address())
    product = next(p for p in data.products if p.variants)
    plain = next(p for p in data.products if not p.variants)
    c_id = connector.apply(EntityType.CUSTOMERS, ops(OpKind.CREATE, EntityType.CUSTOMERS, [customer]))[0].external_id
    p_ids = connector.apply(EntityType.PRODUCTS, ops(OpKind.CREATE, EntityType.PRODUCTS, [product]))
    env18.clock.advance(60)  # the cursor ends up after the first records: only a dependent change lists them
    p_ids += connector.apply(EntityType.PRODUCTS, ops(OpKind.CREATE, EntityType.PRODUCTS, [plain]))
    cursors = [p.cursor or "" for e in (EntityType.CUSTOMERS, EntityType.PRODUCTS) for p in connector.iter_changes(e)]
    cursor = max(cursors)
    env18.clock.advance(600)
    sim = env18.sim
    child = sim.call("res.partner", "search", [("parent_id", "=", int(str(c_id))), ("type", "=", "delivery")])
    sim.call("res.partner", "write", child, {"city": "Elsewhere"})  # an Odoo user edits the delivery address
    variant = sim.call("product.product", "search", [("product_tmpl_id", "=", int(str(p_ids[0].external_id)))])[0]
    sim.call("product.product", "write", [variant], {"default_code": "RENAMED-SKU"})
    customers = [r for p in connector.iter_changes(EntityType.CUSTOMERS, cursor) for r in p.records]
    products = [r for p in connector.iter_changes(EntityType.PRODUCTS, cursor) for r in p.records]
    assert [(r.external_id, r.shipping.city) for r in customers] == [(c_id, "Elsewhere")]  # type: ignore[union-attr]
    # the renamed variant's product (through the dependents walk) and, inside the window, the plain one again
    assert sorted(str(r.external_id) for r in products) == sorted(str(r.external_id) for r in p_ids)
    products = [r for r in products if r.external_id == p_ids[0].external_id]
    assert "RENAMED-SKU" in {v.sku for v in products[0].variants}  # type: ignore[union-attr]


def test_archived_records_are_seen_as_inactive(env18: Env) -> None:
    data = seed()
    connector = env18.connector()
    created = connector.apply(EntityType.PRODUCTS, ops(OpKind.CREATE, EntityType.PRODUCTS, data.products[:2]))
    target = created[0].external_id
    deleted = connector.apply(EntityType.PRODUCTS, [Operation("d", OpKind.DELETE, EntityType.PRODUCTS, None, target)])
    assert deleted[0].ok
    listed = {r.external_id: r for page in connector.iter_changes(EntityType.PRODUCTS) for r in page.records}
    assert listed[target].status is ProductStatus.ARCHIVED  # type: ignore[union-attr]


class LoseNthResponse:
    """A gate that switches the simulator's lost-response fault on for the n-th request only."""

    def __init__(self, sim: OdooSim, n: int) -> None:
        self.sim, self.n, self.count = sim, n, 0

    def before_request(self) -> None:
        self.count += 1
        self.sim.faults.configure(lost_response_rate=1.0 if self.count == self.n else 0.0)

    def after_response(self, retry_after: float | None) -> None:
        self.sim.faults.configure(lost_response_rate=0.0)


def test_lost_create_response_does_not_duplicate(env18: Env) -> None:
    customers = seed().customers[:3]
    # requests: version, authenticate, countries, states, the natural-key lookup; the 6th is the create
    connector = env18.connector(gate=LoseNthResponse(env18.sim, n=6))
    first = connector.apply(EntityType.CUSTOMERS, ops(OpKind.CREATE, EntityType.CUSTOMERS, customers))
    assert all(isinstance(r.error, TransientError) for r in first)
    for customer in customers:  # the batch was committed although its answer never came
        assert env18.sim.call("res.partner", "search_count", [("email", "=", customer.email)]) == 1
    again = connector.apply(EntityType.CUSTOMERS, ops(OpKind.CREATE, EntityType.CUSTOMERS, customers))
    assert all(r.ok and r.linked_existing for r in again)
    for customer in customers:
        assert env18.sim.call("res.partner", "search_count", [("email", "=", customer.email)]) == 1


def test_none_fault_after_commit_is_success_over_xmlrpc(env18: Env) -> None:
    data = seed()
    connector = env18.connector("xmlrpc")
    connector.apply(EntityType.PRODUCTS, ops(OpKind.CREATE, EntityType.PRODUCTS, data.products))
    level = data.stock[0]
    results = connector.apply(EntityType.INVENTORY, ops(OpKind.CREATE, EntityType.INVENTORY, [level]))
    assert results[0].ok
    assert (
        connector.find_by_natural_key(EntityType.INVENTORY, [level.natural_key])[level.natural_key].quantity
        == level.quantity
    )  # type: ignore[union-attr]


def test_creating_again_links_every_entity_by_natural_key(env18: Env) -> None:
    data = seed()
    connector = env18.connector()
    for entity, attr in ENTITIES:
        records: list[Record] = list(getattr(data, attr))
        first = connector.apply(entity, ops(OpKind.CREATE, entity, records))
        again = connector.apply(entity, ops(OpKind.CREATE, entity, records))
        assert all(r.ok and r.linked_existing for r in again), (entity, [r.error for r in again if not r.ok])
        assert [r.external_id for r in again] == [r.external_id for r in first]
        found = connector.find_by_natural_key(entity, [r.natural_key for r in records])
        assert sorted(found) == sorted(r.natural_key for r in records)


def test_two_creates_of_one_key_in_a_batch(env18: Env) -> None:
    one, other = Customer(email="same@example.com", name="One"), Customer(email="SAME@example.com", name="Two")
    results = env18.connector().apply(EntityType.CUSTOMERS, ops(OpKind.CREATE, EntityType.CUSTOMERS, [one, other]))
    assert results[0].ok and isinstance(results[1].error, DuplicateKeyError)
    assert env18.sim.call("res.partner", "search_count", [("email", "=ilike", "same@example.com")]) == 1


def test_find_by_natural_key_and_duplicate_emails(env18: Env) -> None:
    connector = env18.connector()
    twin = Customer(email="twin@example.com", name="Twin")
    env18.sim.call(
        "res.partner",
        "create",
        [
            {"name": "A", "email": "twin@example.com", "customer_rank": 1},
            {"name": "B", "email": "TWIN@example.com", "customer_rank": 1},
        ],
    )
    result = connector.apply(EntityType.CUSTOMERS, ops(OpKind.CREATE, EntityType.CUSTOMERS, [twin]))
    assert isinstance(result[0].error, DuplicateKeyError)
    with pytest.raises(DuplicateKeyError):
        connector.find_by_natural_key(EntityType.CUSTOMERS, [twin.email])
    env18.sim.call("res.partner", "create", {"name": "Solo", "email": "Solo@Example.com", "customer_rank": 1})
    found = connector.find_by_natural_key(EntityType.CUSTOMERS, ["solo@example.com", "nobody@example.com"])
    assert list(found) == ["solo@example.com"]


# -- error kinds -------------------------------------------------------------------------------------------------
def test_wrong_api_key_is_an_auth_error(env18: Env) -> None:
    with pytest.raises(AuthError):
        list(env18.connector(api_key="wrong").iter_changes(EntityType.CUSTOMERS))


def test_missing_rights_are_a_permission_error_that_says_so(env18: Env) -> None:
    data = seed()
    connector = env18.connector()
    connector.apply(EntityType.CUSTOMERS, ops(OpKind.CREATE, EntityType.CUSTOMERS, data.customers))
    env18.sim.deny("account.payment")
    results = connector.apply(EntityType.PAYMENTS, ops(OpKind.CREATE, EntityType.PAYMENTS, data.payments[:1]))
    error = results[0].error
    assert isinstance(error, PermissionDeniedError)
    assert "lacks the access rights" in error.message and "account.payment" in error.message


@pytest.mark.parametrize(
    ("record", "code"),
    [
        (Customer(email="x@example.com", name="X", billing=Address(country="ZZ")), "unknown_country"),
        (Customer(email="y@example.com", name="Y", billing=Address(country="US", state="QQ")), "unknown_state"),
        (Customer(email="z@example.com", name=""), "odoo_validation"),  # Odoo: "Contacts require a name"
    ],
)
def test_validation_errors_per_record(env18: Env, record: Customer, code: str) -> None:
    good = Customer(email="good@example.com", name="Good")
    results = env18.connector().apply(EntityType.CUSTOMERS, ops(OpKind.CREATE, EntityType.CUSTOMERS, [good, record]))
    assert results[0].ok
    assert isinstance(results[1].error, ValidationError) and results[1].error.code == code


def test_update_of_a_missing_record_is_not_found(env18: Env) -> None:
    ghost = Customer(email="ghost@example.com", name="Ghost", external_id="99999")
    results = env18.connector().apply(EntityType.CUSTOMERS, ops(OpKind.UPDATE, EntityType.CUSTOMERS, [ghost]))
    assert isinstance(results[0].error, NotFoundError)


def test_serialization_failure_on_write_is_transient(env18: Env) -> None:
    connector = env18.connector()
    connector.fetch(EntityType.CUSTOMERS, ["1"])
    env18.sim.fail_next(SerializationFailure(SERIALIZATION_MESSAGE), times=2)
    results = connector.apply(
        EntityType.CUSTOMERS,
        ops(OpKind.UPDATE, EntityType.CUSTOMERS, [Customer(email="a@example.com", name="A", external_id="3")]),
    )
    assert isinstance(results[0].error, TransientError) and results[0].error.retryable


def test_reads_retry_transient_errors_and_honour_retry_after(env18: Env) -> None:
    connector = env18.connector()
    connector.fetch(EntityType.CUSTOMERS, ["1"])
    sleeps: list[float] = []
    connector.client.sleep = sleeps.append
    env18.sim.fail_next(SerializationFailure(SERIALIZATION_MESSAGE), times=2)
    assert connector.fetch(EntityType.CUSTOMERS, ["3"]) == []  # partner 3 is the admin, not a customer row
    assert len(sleeps) == 2
    env18.sim.faults.configure(rate_429=1.0, retry_after_s=3)
    try:
        with pytest.raises(RateLimitedError) as caught:
            connector.fetch(EntityType.CUSTOMERS, ["3"])
    finally:
        env18.sim.faults.configure(rate_429=0.0)
    assert caught.value.retry_after == 3.0
    assert sleeps[2:] == [3.0, 3.0, 3.0]


@pytest.mark.parametrize(
    ("fault", "code"),
    [
        ({"error_rate": 1.0}, "http_"),
        ({"rate_429": 1.0}, "rate_limited"),
        ({"drop_rate": 1.0}, "connection"),
        ({"hang_rate": 1.0, "hang_seconds": 3.0}, "timeout"),
    ],
)
def test_transport_faults_on_writes_are_transient_and_not_retried(
    env18: Env, fault: dict[str, float], code: str
) -> None:
    connector = env18.connector(timeout=0.5)
    connector.fetch(EntityType.CUSTOMERS, ["1"])
    before = env18.sim.faults.requests
    env18.sim.faults.configure(**fault)
    try:
        results = connector.apply(
            EntityType.CUSTOMERS,
            ops(OpKind.UPDATE, EntityType.CUSTOMERS, [Customer(email="a@example.com", name="A", external_id="3")]),
        )
    finally:
        env18.sim.faults.configure(error_rate=0.0, rate_429=0.0, drop_rate=0.0, hang_rate=0.0)
    error = results[0].error
    assert isinstance(error, TransientError) and error.code.startswith(code)
    assert env18.sim.faults.requests - before <= 1  # configure() resets the count: one write, no retry


class RecordingGate:
    def __init__(self) -> None:
        self.before = 0
        self.after: list[float | None] = []

    def before_request(self) -> None:
        self.before += 1

    def after_response(self, retry_after: float | None) -> None:
        self.after.append(retry_after)


def test_every_request_passes_the_gate(env18: Env) -> None:
    gate = RecordingGate()
    connector = env18.connector(gate=gate)
    connector.apply(EntityType.CUSTOMERS, ops(OpKind.CREATE, EntityType.CUSTOMERS, seed().customers[:3]))
    list(connector.iter_changes(EntityType.CUSTOMERS))
    assert gate.before == len(gate.after) == len(env18.sim.calls) + 2  # + version and authenticate


def test_payment_reference_must_carry_the_order_number(env18: Env) -> None:
    payment = Payment(
        reference="X-1",
        order_number="1001",
        amount=Decimal("1"),
        currency="EUR",
        method="bacs",
        state=PaymentState.PENDING,
    )
    results = env18.connector().apply(EntityType.PAYMENTS, ops(OpKind.CREATE, EntityType.PAYMENTS, [payment]))
    assert isinstance(results[0].error, ValidationError)


class FailNthRequest:
    """A gate that injects ``fault`` (a FaultInjector setting) on the n-th request only."""

    def __init__(self, sim: OdooSim, n: int, fault: str) -> None:
        self.sim, self.n, self.fault, self.count = sim, n, fault, 0

    def before_request(self) -> None:
        self.count += 1
        self.sim.faults.configure(**{self.fault: 1.0 if self.count == self.n else 0.0})

    def after_response(self, retry_after: float | None) -> None:
        self.sim.faults.configure(**{self.fault: 0.0})


@pytest.mark.parametrize("fault", ["error_rate", "lost_response_rate", "drop_rate"])
def test_a_variable_product_create_cut_at_any_request_is_completed_not_duplicated(fault: str) -> None:
    """A template is created, then its generated variants get their SKUs: a fault between those calls must not
    leave a codeless template behind that a second create duplicates (and a reader then sees without a SKU)."""
    product = next(p for p in seed().products if len(p.variants) >= 2)
    counter = FailNthRequest(OdooSim(version=18), 0, fault)
    for env in start(18):
        counter.sim = env.sim
        assert (
            env.connector(gate=counter)
            .apply(EntityType.PRODUCTS, ops(OpKind.CREATE, EntityType.PRODUCTS, [product]))[0]
            .ok
        )
    assert counter.count > 3  # lookup, create, read variants, write SKUs ...
    for step in range(1, counter.count + 1):
        for env in start(18):
            first = env.connector(gate=FailNthRequest(env.sim, step, fault)).apply(
                EntityType.PRODUCTS, ops(OpKind.CREATE, EntityType.PRODUCTS, [product])
            )
            env.sim.faults.configure(**{fault: 0.0})
            again = env.connector().apply(EntityType.PRODUCTS, ops(OpKind.CREATE, EntityType.PRODUCTS, [product]))
            assert again[0].ok, (step, first[0].error, again[0].error)
            templates = env.sim.call(
                "product.template", "search", [("name", "=", product.name)], context={"active_test": False}
            )
            assert len(templates) == 1, (step, first[0].error, templates)
            got = env.connector().find_by_natural_key(EntityType.PRODUCTS, [product.natural_key])[product.natural_key]
            assert fingerprint_of(got) == fingerprint_of(product), (step, diff_fields(product, got))  # type: ignore[arg-type]
