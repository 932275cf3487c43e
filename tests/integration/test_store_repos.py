from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import orjson
import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet

from syncbridge.domain.fingerprint import fingerprint_of
from syncbridge.domain.records import Customer, EntityType, Product, StockLevel, Variant
from syncbridge.errors import ConfigError, DuplicateKeyError, NotFoundError, ValidationError
from syncbridge.store import activity, connections, cursors, hub_records, links, migrate, orgs
from syncbridge.store.crypto import CredentialCipher
from syncbridge.store.db import make_engine
from syncbridge.store.session import transaction
from syncbridge.store.tables import connection as connection_table

CIPHER = CredentialCipher([Fernet.generate_key().decode()])
WC_SECRETS = {
    "consumer_key": "ck_0123456789abcdef0123456789abcdef01234567",
    "consumer_secret": "cs_fedcba9876543210fedcba9876543210fedcba98",
    "webhook_secret": "whsec-very-long-webhook-secret",
}


@pytest.fixture
def engine(db_url: str) -> Iterator[sa.Engine]:
    migrate.upgrade(db_url)
    eng = make_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def org_id(engine: sa.Engine) -> str:
    with transaction(engine) as conn:
        return orgs.create_org(conn, "Acme").id


def _add_wc(conn: sa.Connection, org_id: str, name: str = "shop") -> connections.ConnectionPublic:
    return connections.add_connection(
        conn,
        org_id,
        system="woocommerce",
        name=name,
        base_url="https://shop.example/",
        secrets=WC_SECRETS,
        cipher=CIPHER,
        options={"auth": "basic"},
    )


def test_credentials_are_encrypted_at_rest_and_never_public(engine: sa.Engine, org_id: str) -> None:
    with transaction(engine) as conn:
        created = _add_wc(conn, org_id)
        raw = conn.execute(sa.select(connection_table)).one()
        listed = connections.list_connections(conn, org_id, cipher=CIPHER)
        got = connections.get_connection(conn, org_id, created.id, cipher=CIPHER)
        found = connections.find_connection(conn, org_id, "shop", cipher=CIPHER)
        clear = connections.open_credentials(conn, org_id, created.id, cipher=CIPHER)
    raw_text = repr(tuple(raw))
    public_texts = [repr(created), repr(listed), repr(got), repr(found)]
    public_texts += [orjson.dumps(c.to_dict()).decode() for c in (created, *listed)]
    for secret in WC_SECRETS.values():
        assert secret not in raw_text
        assert secret[4:-4] not in raw_text
        for text in public_texts:
            assert secret not in text
            assert secret[:-4] not in text
    assert clear == WC_SECRETS
    assert got is not None
    assert got.masked_secrets == {
        "consumer_key": "ck_…4567",
        "consumer_secret": "cs_…ba98",
        "webhook_secret": "…cret",
    }
    assert got.base_url == "https://shop.example"
    assert dict(got.options) == {"auth": "basic"}


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("ck_0123456789abcdef", "ck_…cdef"),
        ("cs_abcdef", "cs_…"),
        ("short", "…"),
        ("abcdefghijkl", "…ijkl"),
        ("", "…"),
    ],
)
def test_mask_secret_shows_at_most_four_trailing_characters(value: str, masked: str) -> None:
    assert connections.mask_secret(value) == masked


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"system": "hub"}, "system must be"),
        ({"system": "shopify"}, "system must be"),
        ({"base_url": "ftp://x"}, "url must start"),
        ({"secrets": {"consumer_key": "ck_x"}}, "consumer_secret"),
        ({"system": "odoo", "secrets": {"api_key": "k"}, "login": "admin"}, "database"),
        ({"system": "odoo", "secrets": {}, "database": "db", "login": "admin"}, "api_key"),
        ({"name": "  "}, "needs a name"),
    ],
)
def test_add_connection_validates(
    engine: sa.Engine, org_id: str, kwargs: dict[str, object], message: str
) -> None:
    args: dict[str, object] = {
        "system": "woocommerce",
        "name": "shop",
        "base_url": "https://shop.example",
        "secrets": WC_SECRETS,
        "cipher": CIPHER,
    } | kwargs
    with transaction(engine) as conn, pytest.raises(ValidationError, match=message):
        connections.add_connection(conn, org_id, **args)  # type: ignore[arg-type]


def test_duplicate_connection_name_is_duplicate_key(engine: sa.Engine, org_id: str) -> None:
    with transaction(engine) as conn:
        _add_wc(conn, org_id)
    with pytest.raises(DuplicateKeyError), transaction(engine) as conn:
        _add_wc(conn, org_id)


def test_wrong_key_cannot_open_credentials(engine: sa.Engine, org_id: str) -> None:
    with transaction(engine) as conn:
        created = _add_wc(conn, org_id)
        other = CredentialCipher([Fernet.generate_key().decode()])
        with pytest.raises(ConfigError, match="secret key"):
            connections.open_credentials(conn, org_id, created.id, cipher=other)
        assert connections.delete_connection(conn, org_id, created.id)
        with pytest.raises(NotFoundError):
            connections.open_credentials(conn, org_id, created.id, cipher=CIPHER)


def test_api_keys_create_verify_revoke(engine: sa.Engine, org_id: str) -> None:
    with transaction(engine) as conn:
        row, clear = orgs.create_api_key(conn, org_id, name="ci")
        second, clear2 = orgs.create_api_key(conn, org_id)
        stored = conn.execute(
            sa.text("SELECT key_hash, prefix FROM api_key WHERE id = :i"), {"i": row.id}
        ).one()
        assert clear.startswith(f"sbk_{row.prefix}_")
        assert stored.key_hash == orgs.hash_api_key(clear) and clear not in stored.key_hash
        assert orgs.verify_api_key(conn, clear) == org_id
        for bad in ("", clear + "x", clear[:-1], "sbk_" + "0" * 300, "Bearer " + clear):
            assert orgs.verify_api_key(conn, bad) is None
        assert orgs.revoke_api_key(conn, org_id, row.prefix)
        assert not orgs.revoke_api_key(conn, org_id, row.prefix)
        assert orgs.verify_api_key(conn, clear) is None
        assert orgs.verify_api_key(conn, clear2) == org_id
        assert orgs.revoke_api_key(conn, org_id, second.id)
        keys = orgs.list_api_keys(conn, org_id)
        assert [(k.id, k.active) for k in keys] == [(row.id, False), (second.id, False)]
        assert orgs.list_api_keys(conn, org_id, include_revoked=False) == []


def test_orgs_by_id_or_name(engine: sa.Engine, org_id: str) -> None:
    with transaction(engine) as conn:
        assert orgs.find_org(conn, "Acme") == orgs.get_org(conn, org_id)
        assert orgs.find_org(conn, "nope") is None
        with pytest.raises(ValidationError):
            orgs.create_org(conn, "  ")
    with pytest.raises(DuplicateKeyError), transaction(engine) as conn:
        orgs.create_org(conn, "Acme")


def test_links_upsert_replace_and_stream(engine: sa.Engine, org_id: str) -> None:
    p = EntityType.PRODUCTS
    when = datetime(2026, 3, 1, 12, tzinfo=UTC)
    with transaction(engine) as conn:
        links.upsert_link(
            conn, org_id, entity=p, hub_id="h1", system="odoo", external_id="7", fingerprint="f1"
        )
        links.upsert_link(
            conn,
            org_id,
            entity=p,
            hub_id="h1",
            system="odoo",
            external_id="7",
            fingerprint="f2",
            synced_at=when,
        )
        link = links.get_link_by_external(conn, org_id, p, "odoo", "7")
        assert link is not None and (link.hub_id, link.last_fingerprint, link.last_synced_at) == (
            "h1",
            "f2",
            when,
        )
        # The hub record got re-created in Odoo under a new id: the old link goes.
        links.upsert_link(
            conn, org_id, entity=p, hub_id="h1", system="odoo", external_id="8", fingerprint="f3"
        )
        assert links.get_link_by_external(conn, org_id, p, "odoo", "7") is None
        assert links.get_link_by_hub(conn, org_id, p, "odoo", "h1").external_id == "8"  # type: ignore[union-attr]
        for i in range(7):
            links.upsert_link(
                conn,
                org_id,
                entity=p,
                hub_id=f"x{i}",
                system="woocommerce",
                external_id=str(i),
                fingerprint=None,
            )
        streamed = list(links.iter_links(conn, org_id, p, "woocommerce", chunk=3))
        assert sorted(r.external_id for r in streamed) == [str(i) for i in range(7)]
        assert len({r.id for r in streamed}) == 7
        assert set(links.links_by_hub(conn, org_id, p, "woocommerce", ["x1", "x2", "nope"])) == {"x1", "x2"}
        assert set(links.links_by_external(conn, org_id, p, "woocommerce", ["1", "9"])) == {"1"}
        assert links.count_links(conn, org_id) == 8
        assert links.count_links(conn, org_id, p, "odoo") == 1
        assert links.delete_link(conn, org_id, p, "woocommerce", external_id="1") == 1
        assert links.delete_link(conn, org_id, p, "woocommerce", hub_id="x2") == 1
        assert links.count_links(conn, org_id, p, "woocommerce") == 5
        with pytest.raises(ValueError):
            links.delete_link(conn, org_id, p, "woocommerce")


def test_cursors_roundtrip(engine: sa.Engine, org_id: str) -> None:
    with transaction(engine) as conn:
        assert cursors.get_cursor(conn, org_id, "odoo", "products") is None
        cursors.set_cursor(conn, org_id, "odoo", "products", "2026-01-01")
        cursors.set_cursor(conn, org_id, "odoo", "products", "2026-02-01")
        cursors.set_cursor(conn, org_id, "woocommerce", "orders", None)
        assert cursors.get_cursor(conn, org_id, "odoo", "products") == "2026-02-01"
        assert cursors.list_cursors(conn, org_id) == {
            ("odoo", "products"): "2026-02-01",
            ("woocommerce", "orders"): None,
        }


def test_activity_list_filters_and_histogram(engine: sa.Engine, org_id: str) -> None:
    with transaction(engine) as conn:
        first = activity.record_activity(conn, org_id, kind="state", message="started", run_id="r1")
        activity.record_activity(
            conn, org_id, kind="batch", run_id="r1", entity="products", counts={"created": 2}, duration_ms=5
        )
        activity.record_activity(conn, org_id, kind="batch", run_id="r2")
        newest = activity.list_activity(conn, org_id)
        assert [r.kind for r in newest] == ["batch", "batch", "state"]
        assert [r.run_id for r in activity.list_activity(conn, org_id, run_id="r1")] == ["r1", "r1"]
        by_kind = activity.list_activity(conn, org_id, kind="batch", run_id="r1")
        assert by_kind[0].counts == {"created": 2} and by_kind[0].duration_ms == 5
        assert len(activity.list_activity(conn, org_id, limit=1)) == 1
        oldest = newest[-1]
        assert oldest.id == first
        assert activity.list_activity(conn, org_id, before=oldest.created_at) == []
        since = oldest.created_at - timedelta(seconds=1)
        hist = activity.activity_histogram(conn, org_id, bucket_s=86400, since=since)
        assert {(b.kind, b.count) for b in hist} == {("batch", 2), ("state", 1)}
        day_start = oldest.created_at.replace(hour=0, minute=0, second=0, microsecond=0)
        assert {b.start for b in hist} <= {day_start, day_start + timedelta(days=1)}
        assert (
            activity.activity_histogram(conn, org_id, bucket_s=60, since=datetime.now(UTC) + timedelta(1))
            == []
        )


def _stamp(conn: sa.Connection, org_id: str, entity: EntityType, hub_id: str) -> datetime:
    row = hub_records.get_rows(conn, org_id, entity, [hub_id])[hub_id]
    return row.updated_at


def test_hub_records_upsert_by_natural_key_and_hub_id(engine: sa.Engine, org_id: str) -> None:
    c = EntityType.CUSTOMERS
    with transaction(engine) as conn:
        alice = Customer(email=" Alice@Example.com", name="Alice", external_id="wc-1")
        hub_id = hub_records.upsert_record(conn, org_id, alice)
        assert (
            hub_records.upsert_record(conn, org_id, dataclasses.replace(alice, email="alice@example.com"))
            == hub_id
        )
        stamp = _stamp(conn, org_id, c, hub_id)
        stored = hub_records.get_records(conn, org_id, c, [hub_id])[hub_id]
        assert stored.hub_id == hub_id and stored.external_id is None
        assert fingerprint_of(stored) == fingerprint_of(alice)
        # Re-saving an unchanged record is not a change.
        hub_records.upsert_record(conn, org_id, alice)
        assert _stamp(conn, org_id, c, hub_id) == stamp
        renamed = dataclasses.replace(alice, name="Alice B", hub_id=hub_id, email="alice.b@example.com")
        assert hub_records.upsert_record(conn, org_id, renamed) == hub_id
        assert _stamp(conn, org_id, c, hub_id) > stamp
        assert set(hub_records.find_by_natural_keys(conn, org_id, c, ["alice.b@example.com", "x@y"])) == {
            "alice.b@example.com"
        }
        assert hub_records.mark_deleted(conn, org_id, c, hub_id)
        assert not hub_records.mark_deleted(conn, org_id, c, hub_id)
        assert hub_records.count_records(conn, org_id, c) == 0
        assert hub_records.count_records(conn, org_id, c, include_deleted=True) == 1
        assert hub_records.find_by_natural_keys(conn, org_id, c, ["alice.b@example.com"]) == {}
        assert list(hub_records.iter_records(conn, org_id, c)) == []
        # Saving it again by natural key brings it back.
        assert hub_records.upsert_record(conn, org_id, dataclasses.replace(renamed, hub_id=None)) == hub_id
        assert hub_records.count_records(conn, org_id, c) == 1
        with pytest.raises(NotFoundError):
            hub_records.upsert_record(conn, org_id, dataclasses.replace(alice, hub_id="0" * 32))
        with pytest.raises(ValidationError):
            hub_records.upsert_record(conn, org_id, Customer(email="  ", name="nobody"))


def test_hub_records_strip_system_ids_and_iterate(engine: sa.Engine, org_id: str) -> None:
    p, inv = EntityType.PRODUCTS, EntityType.INVENTORY
    variant = Variant(sku="T-M", name="Size: M", regular_price=Decimal("9.50"), external_id="wc-var-9")
    with transaction(engine) as conn:
        ids = [
            hub_records.upsert_record(
                conn,
                org_id,
                Product(sku=f"T{i}", name="Tee", regular_price=Decimal("9.5"), variants=(variant,)),
            )
            for i in range(5)
        ]
        hub_records.upsert_record(conn, org_id, StockLevel(sku="T1", quantity=Decimal(3), location="main"))
        hub_records.upsert_record(conn, org_id, StockLevel(sku="T1", quantity=Decimal(4)))
        hub_records.mark_deleted(conn, org_id, p, ids[0])
        products = list(hub_records.iter_records(conn, org_id, p, chunk=2))
        assert sorted(r.hub_id or "" for r in products) == sorted(ids[1:])
        assert all(isinstance(r, Product) and r.variants[0].external_id is None for r in products)
        assert len(list(hub_records.iter_records(conn, org_id, p, include_deleted=True, chunk=2))) == 5
        future = datetime.now(UTC) + timedelta(days=1)
        assert list(hub_records.iter_records(conn, org_id, p, updated_since=future)) == []
        prints = list(hub_records.iter_fingerprints(conn, org_id, p, chunk=2))
        assert sorted((k, d) for _, k, _, d in prints) == [("T0", True)] + [
            (f"T{i}", False) for i in range(1, 5)
        ]
        stock = hub_records.find_by_natural_keys(conn, org_id, inv, ["T1@main", "T1@default", "T1@other"])
        assert {k: r.quantity for k, r in stock.items()} == {"T1@main": 3, "T1@default": 4}  # type: ignore[union-attr]
        assert {k for _, k, _, _ in hub_records.iter_fingerprints(conn, org_id, inv)} == {
            "T1@main",
            "T1@default",
        }
        # An "@" in the location (or in the sku): the key still finds its row.
        hub_records.upsert_record(conn, org_id, StockLevel(sku="T2", quantity=Decimal(5), location="wh@1"))
        hub_records.upsert_record(conn, org_id, StockLevel(sku="T@3", quantity=Decimal(6), location="wh@2"))
        stock = hub_records.find_by_natural_keys(conn, org_id, inv, ["T2@wh@1", "T@3@wh@2", "T2@wh"])
        assert {k: r.quantity for k, r in stock.items()} == {"T2@wh@1": 5, "T@3@wh@2": 6}  # type: ignore[union-attr]
