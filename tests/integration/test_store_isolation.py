"""For every repository reader: org A's call never returns org B's rows (both orgs hold look-alike data)."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from types import ModuleType
from typing import Any

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet

from syncbridge.connectors.hub import HubConnector
from syncbridge.domain.records import (
    Customer,
    EntityType,
    Order,
    OrderStatus,
    Payment,
    PaymentState,
    Product,
    Record,
    StockLevel,
)
from syncbridge.errors import NotFoundError
from syncbridge.store import activity, connections, cursors, hub_records, links, migrate, orgs
from syncbridge.store.crypto import CredentialCipher
from syncbridge.store.db import make_engine

CIPHER = CredentialCipher([Fernet.generate_key().decode()])
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _records(label: str, qty: int) -> list[Record]:
    return [
        Customer(email="same@example.com", name=label),
        Product(sku="SKU-1", name=label, regular_price=Decimal("1.00")),
        StockLevel(sku="SKU-1", quantity=Decimal(qty)),
        Order(
            number="1001",
            status=OrderStatus.PENDING,
            currency="EUR",
            customer_email="same@example.com",
            lines=(),
            total=Decimal("0"),
            created_at=T0,
            payment_method=label,
        ),
        Payment(
            reference="1001",
            order_number="1001",
            amount=Decimal("1"),
            currency="EUR",
            method=label,
            state=PaymentState.PAID,
        ),
    ]


def _label(record: Record) -> str:
    if isinstance(record, Customer | Product):
        return record.name
    if isinstance(record, Order):
        return record.payment_method
    if isinstance(record, Payment):
        return record.method
    return {Decimal(1): "A", Decimal(2): "B"}[record.quantity]


@dataclass
class World:
    conn: sa.Connection
    a: str
    b: str
    hub_ids: dict[str, dict[str, str]]  # org -> entity -> hub id
    conn_ids: dict[str, str]
    key_prefix: dict[str, str]
    clear_key: dict[str, str]


@pytest.fixture
def world(db_url: str) -> Iterator[World]:
    migrate.upgrade(db_url)
    engine = make_engine(db_url)
    with engine.begin() as conn:
        ids: dict[str, str] = {}
        hub_ids: dict[str, dict[str, str]] = {}
        conn_ids: dict[str, str] = {}
        prefixes: dict[str, str] = {}
        keys: dict[str, str] = {}
        for label, qty in (("A", 1), ("B", 2)):
            org_id = orgs.create_org(conn, f"org {label}").id
            ids[label] = org_id
            key_row, keys[label] = orgs.create_api_key(conn, org_id, name=label)
            prefixes[label] = key_row.prefix
            conn_ids[label] = connections.add_connection(
                conn,
                org_id,
                system="woocommerce",
                name="shop",
                base_url="https://shop.example",
                secrets={"consumer_key": f"ck_{label}", "consumer_secret": f"cs_{label}"},
                cipher=CIPHER,
                options={"label": label},
            ).id
            hub_ids[label] = {}
            for record in _records(label, qty):
                hub_id = hub_records.upsert_record(conn, org_id, record)
                hub_ids[label][record.ENTITY.value] = hub_id
                links.upsert_link(
                    conn,
                    org_id,
                    entity=record.ENTITY.value,
                    hub_id=hub_id,
                    system="woocommerce",
                    external_id="42",
                    fingerprint=label,
                )
            cursors.set_cursor(conn, org_id, "woocommerce", "products", label)
            activity.record_activity(conn, org_id, kind="state", message=label, run_id="run-1")
        yield World(conn, ids["A"], ids["B"], hub_ids, conn_ids, prefixes, keys)
    engine.dispose()


Reader = Callable[[World], list[str]]  # the labels ("A" / "B") of what org A's call returned


def _labels(records: Any) -> list[str]:
    return [_label(r) for r in records]


def _every_entity(fn: Callable[[World, EntityType], list[str]]) -> Reader:
    return lambda w: [label for e in EntityType for label in fn(w, e)]


def _hub(w: World) -> HubConnector:
    return HubConnector(w.conn, w.a)


def _link_labels(rows: Any) -> list[str]:
    return [r.last_fingerprint for r in rows]


READERS: dict[str, Reader] = {
    "orgs.get_org": lambda w: [r.name[-1] for r in [orgs.get_org(w.conn, w.a)] if r],
    "orgs.find_org": lambda w: [r.name[-1] for r in [orgs.find_org(w.conn, w.a)] if r],
    "orgs.list_api_keys": lambda w: [k.name for k in orgs.list_api_keys(w.conn, w.a)],
    "orgs.verify_api_key": lambda w: [
        {w.a: "A", w.b: "B"}[org] for org in [orgs.verify_api_key(w.conn, w.clear_key["A"])] if org
    ],
    "connections.list_connections": lambda w: [
        c.options["label"] for c in connections.list_connections(w.conn, w.a, cipher=CIPHER)
    ],
    "connections.get_connection": lambda w: [
        c.options["label"]
        for cid in w.conn_ids.values()
        for c in [connections.get_connection(w.conn, w.a, cid)]
        if c
    ],
    "connections.find_connection": lambda w: [
        c.options["label"] for c in [connections.find_connection(w.conn, w.a, "shop")] if c
    ],
    "connections.open_credentials": lambda w: [
        connections.open_credentials(w.conn, w.a, w.conn_ids["A"], cipher=CIPHER)["consumer_key"][-1]
    ],
    "links.get_link_by_external": _every_entity(
        lambda w, e: _link_labels([links.get_link_by_external(w.conn, w.a, e, "woocommerce", "42")])
    ),
    "links.get_link_by_hub": _every_entity(
        lambda w, e: _link_labels(
            r
            for h in w.hub_ids.values()
            for r in [links.get_link_by_hub(w.conn, w.a, e, "woocommerce", h[e])]
            if r
        )
    ),
    "links.links_by_external": _every_entity(
        lambda w, e: _link_labels(links.links_by_external(w.conn, w.a, e, "woocommerce", ["42"]).values())
    ),
    "links.links_by_hub": _every_entity(
        lambda w, e: _link_labels(
            links.links_by_hub(w.conn, w.a, e, "woocommerce", [h[e] for h in w.hub_ids.values()]).values()
        )
    ),
    "links.iter_links": _every_entity(
        lambda w, e: _link_labels(links.iter_links(w.conn, w.a, e, "woocommerce", chunk=1))
    ),
    "links.link_page": _every_entity(
        lambda w, e: _link_labels(links.link_page(w.conn, w.a, e, "woocommerce", after="", limit=100))
    ),
    "links.count_links": lambda w: ["A"] * links.count_links(w.conn, w.a),
    "cursors.get_cursor": lambda w: [cursors.get_cursor(w.conn, w.a, "woocommerce", "products") or ""],
    "cursors.list_cursors": lambda w: [v or "" for v in cursors.list_cursors(w.conn, w.a).values()],
    "activity.list_activity": lambda w: [
        r.message for r in activity.list_activity(w.conn, w.a, run_id="run-1")
    ],
    "activity.activity_histogram": lambda w: [
        "A"
        for b in activity.activity_histogram(
            w.conn, w.a, bucket_s=3600, since=datetime.now(UTC) - timedelta(1)
        )
        for _ in range(b.count)
    ],
    "hub_records.get_records": _every_entity(
        lambda w, e: _labels(
            hub_records.get_records(w.conn, w.a, e, [h[e] for h in w.hub_ids.values()]).values()
        )
    ),
    "hub_records.get_rows": _every_entity(
        lambda w, e: _labels(
            r.record
            for r in hub_records.get_rows(w.conn, w.a, e, [h[e] for h in w.hub_ids.values()]).values()
        )
    ),
    "hub_records.find_by_natural_keys": _every_entity(
        lambda w, e: _labels(
            hub_records.find_by_natural_keys(
                w.conn, w.a, e, ["same@example.com", "SKU-1", "SKU-1@default", "1001"], include_deleted=True
            ).values()
        )
    ),
    "hub_records.iter_records": _every_entity(
        lambda w, e: _labels(hub_records.iter_records(w.conn, w.a, e, include_deleted=True, chunk=1))
    ),
    "hub_records.iter_rows_after": _every_entity(
        lambda w, e: _labels(
            r.record for r in hub_records.iter_rows_after(w.conn, w.a, e, after=None, limit=10)
        )
    ),
    "hub_records.iter_fingerprints": _every_entity(
        lambda w, e: [
            "A" if hub_id in w.hub_ids["A"].values() else "B"
            for hub_id, *_ in hub_records.iter_fingerprints(w.conn, w.a, e, chunk=1)
        ]
    ),
    "hub_records.fingerprint_page": _every_entity(
        lambda w, e: [
            "A" if hub_id in w.hub_ids["A"].values() else "B"
            for hub_id, *_ in hub_records.fingerprint_page(w.conn, w.a, e, after="", limit=100)
        ]
    ),
    "hub_records.exists": _every_entity(
        lambda w, e: [o for o, h in w.hub_ids.items() if hub_records.exists(w.conn, w.a, e, h[e])]
    ),
    "hub_records.count_records": _every_entity(
        lambda w, e: ["A"] * hub_records.count_records(w.conn, w.a, e)
    ),
    "HubConnector.iter_changes": _every_entity(
        lambda w, e: _labels(r for p in _hub(w).iter_changes(e, page_size=1) for r in p.records)
    ),
    "HubConnector.fetch": _every_entity(
        lambda w, e: _labels(_hub(w).fetch(e, [h[e] for h in w.hub_ids.values()]))
    ),
    "HubConnector.find_by_natural_key": _every_entity(
        lambda w, e: _labels(
            _hub(w).find_by_natural_key(e, ["same@example.com", "SKU-1", "SKU-1@default", "1001"]).values()
        )
    ),
}

# Functions that take an org but only write; they are checked in test_writers_cannot_touch_other_orgs.
WRITERS = {
    "orgs.create_api_key",
    "orgs.revoke_api_key",
    "connections.add_connection",
    "connections.delete_connection",
    "links.upsert_link",
    "links.delete_link",
    "cursors.set_cursor",
    "activity.record_activity",
    "hub_records.upsert_record",
    "hub_records.upsert_many",
    "hub_records.mark_deleted",
    "links.upsert_links",
}


def test_every_reader_returns_only_own_org_rows(world: World) -> None:
    # One database for all readers (a fresh one per reader would cost a migration each).
    problems = {}
    for name, reader in sorted(READERS.items()):
        labels = reader(world)
        if not labels:
            problems[name] = "found nothing for org A: the case proves nothing"
        elif set(labels) != {"A"}:
            problems[name] = f"leaked another org's rows: {labels}"
    assert problems == {}


def _public_org_functions(module: ModuleType) -> set[str]:
    out = set()
    for fname, fn in vars(module).items():
        if fname.startswith("_") or not inspect.isfunction(fn) or fn.__module__ != module.__name__:
            continue
        if list(inspect.signature(fn).parameters)[:2] == ["conn", "org_id"]:
            out.add(f"{module.__name__.rsplit('.', 1)[1]}.{fname}")
    return out


def test_every_org_scoped_function_is_covered() -> None:
    scoped = set().union(
        *(_public_org_functions(m) for m in (orgs, connections, links, cursors, activity, hub_records))
    )
    assert scoped - set(READERS) - WRITERS == set()


def test_writers_cannot_touch_other_orgs(world: World) -> None:
    w = world
    conn, a = w.conn, w.a
    assert not orgs.revoke_api_key(conn, a, w.key_prefix["B"])
    assert orgs.verify_api_key(conn, w.clear_key["B"]) == w.b
    assert not connections.delete_connection(conn, a, w.conn_ids["B"])
    with pytest.raises(NotFoundError):
        connections.open_credentials(conn, a, w.conn_ids["B"], cipher=CIPHER)
    for entity in EntityType:
        b_hub = w.hub_ids["B"][entity.value]
        assert not hub_records.mark_deleted(conn, a, entity, b_hub)
        assert links.delete_link(conn, a, entity, "woocommerce", hub_id=b_hub) == 0
        record = hub_records.get_records(conn, w.b, entity, [b_hub])[b_hub]
        with pytest.raises(NotFoundError):
            hub_records.upsert_record(conn, a, record)  # carries B's hub id
        with pytest.raises(NotFoundError), conn.begin_nested():
            hub_records.upsert_many(conn, a, [record, record])  # B's hub ids: not A's rows
    assert hub_records.count_records(conn, w.b, EntityType.PRODUCTS) == 1
    assert links.count_links(conn, w.b) == len(EntityType)
    assert connections.get_connection(conn, w.b, w.conn_ids["B"]) is not None
