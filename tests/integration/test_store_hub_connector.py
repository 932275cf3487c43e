from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from decimal import Decimal

import pytest
import sqlalchemy as sa

from syncbridge.connectors.base import Connector, Operation, OpKind
from syncbridge.connectors.hub import HubConnector, decode_cursor
from syncbridge.domain.records import Customer, EntityType, Product, ProductStatus
from syncbridge.errors import DuplicateKeyError, NotFoundError, ValidationError
from syncbridge.store import hub_records, migrate, orgs
from syncbridge.store.db import make_engine
from syncbridge.store.session import transaction

P = EntityType.PRODUCTS


@pytest.fixture
def engine(db_url: str) -> Iterator[sa.Engine]:
    migrate.upgrade(db_url)
    eng = make_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def hub(engine: sa.Engine) -> HubConnector:
    with transaction(engine) as conn:
        org_id = orgs.create_org(conn, "Acme").id
    return HubConnector(engine, org_id)


def _product(sku: str, name: str = "Tee", **kw: object) -> Product:
    return Product(sku=sku, name=name, regular_price=Decimal("10"), **kw)  # type: ignore[arg-type]


def test_implements_the_protocol(hub: HubConnector) -> None:
    assert isinstance(hub, Connector)


def test_apply_create_update_delete_and_read_back(hub: HubConnector) -> None:
    created = hub.apply(
        P,
        [
            Operation(key="k1", kind=OpKind.CREATE, entity=P, record=_product("A", external_id="wc-5")),
            Operation(key="k2", kind=OpKind.CREATE, entity=P, record=_product("B")),
        ],
    )
    assert [r.ok for r in created] == [True, True] and not created[0].linked_existing
    a_id, b_id = created[0].external_id, created[1].external_id
    assert a_id and b_id
    (a,) = hub.fetch(P, [a_id])
    assert (a.external_id, a.hub_id, a.name) == (a_id, a_id, "Tee")

    results = hub.apply(
        P,
        [
            Operation(
                key="u1", kind=OpKind.UPDATE, entity=P, record=_product("A", "Tee 2"), external_id=a_id
            ),
            Operation(key="d1", kind=OpKind.DELETE, entity=P, record=None, external_id=b_id),
            Operation(key="c3", kind=OpKind.CREATE, entity=P, record=_product("A", "Tee 3")),
            Operation(key="u404", kind=OpKind.UPDATE, entity=P, record=_product("Z"), external_id="0" * 32),
            Operation(key="d404", kind=OpKind.DELETE, entity=P, record=None, external_id="0" * 32),
            Operation(key="dup", kind=OpKind.UPDATE, entity=P, record=_product("A"), external_id=b_id),
            Operation(key="bad", kind=OpKind.UPDATE, entity=P, record=_product("C")),
            Operation(key="wrong", kind=OpKind.CREATE, entity=P, record=Customer(email="x@y", name="x")),
        ],
    )
    by_key = {r.key: r for r in results}
    assert by_key["u1"].ok and by_key["u1"].external_id == a_id
    assert by_key["d1"].ok and by_key["d1"].external_id == b_id
    assert by_key["c3"].ok and by_key["c3"].external_id == a_id and by_key["c3"].linked_existing
    assert isinstance(by_key["u404"].error, NotFoundError)
    assert isinstance(by_key["d404"].error, NotFoundError)
    assert isinstance(
        by_key["dup"].error, DuplicateKeyError
    )  # B renamed to A's SKU: the savepoint keeps the rest
    assert isinstance(by_key["bad"].error, ValidationError)
    assert isinstance(by_key["wrong"].error, ValidationError)

    fetched = {r.hub_id: r for r in hub.fetch(P, [b_id, "nope", a_id])}
    assert fetched[a_id].name == "Tee 3"
    assert isinstance(fetched[b_id], Product) and fetched[b_id].status is ProductStatus.ARCHIVED
    assert set(hub.find_by_natural_key(P, ["A", "B"])) == {"A"}
    # Deleting twice is fine; re-creating a deleted record brings it back under the same hub id.
    again = hub.apply(P, [Operation(key="d2", kind=OpKind.DELETE, entity=P, record=None, external_id=b_id)])
    assert again[0].ok
    back = hub.apply(P, [Operation(key="c4", kind=OpKind.CREATE, entity=P, record=_product("B"))])
    assert back[0].external_id == b_id and not back[0].linked_existing


def test_iter_changes_cursor_semantics(hub: HubConnector) -> None:
    assert list(hub.iter_changes(P)) == []
    ops = [Operation(key=str(i), kind=OpKind.CREATE, entity=P, record=_product(f"S{i}")) for i in range(5)]
    ids = [r.external_id for r in hub.apply(P, ops)]

    pages = list(hub.iter_changes(P, page_size=2))
    assert [len(p.records) for p in pages] == [2, 2, 1]
    assert [r.external_id for p in pages for r in p.records] == ids
    cursor = pages[-1].cursor
    assert cursor is not None
    assert list(hub.iter_changes(P, cursor)) == []
    # Resuming from the middle gives exactly the rest.
    mid = pages[0].cursor
    assert [r.external_id for p in hub.iter_changes(P, mid, page_size=10) for r in p.records] == ids[2:]

    # An unchanged re-save is not a change; a real update and a delete are, in the order they happened.
    hub.apply(
        P, [Operation(key="same", kind=OpKind.UPDATE, entity=P, record=_product("S1"), external_id=ids[1])]
    )
    assert list(hub.iter_changes(P, cursor)) == []
    hub.apply(
        P,
        [
            Operation(
                key="up", kind=OpKind.UPDATE, entity=P, record=_product("S3", "new"), external_id=ids[3]
            ),
            Operation(key="del", kind=OpKind.DELETE, entity=P, record=None, external_id=ids[0]),
        ],
    )
    changed = [r for p in hub.iter_changes(P, cursor) for r in p.records]
    assert [r.external_id for r in changed] == [ids[3], ids[0]]
    assert isinstance(changed[1], Product) and changed[1].status is ProductStatus.ARCHIVED
    with pytest.raises(ValidationError):
        decode_cursor("garbage")


def test_writes_in_callers_transaction(engine: sa.Engine, hub: HubConnector) -> None:
    with pytest.raises(RuntimeError), transaction(engine) as conn:
        inner = HubConnector(conn, hub.org_id)
        result = inner.apply(P, [Operation(key="k", kind=OpKind.CREATE, entity=P, record=_product("R"))])
        assert result[0].ok and inner.fetch(P, [result[0].external_id or ""])
        raise RuntimeError("roll back")
    with transaction(engine) as conn:
        assert hub_records.count_records(conn, hub.org_id, P, include_deleted=True) == 0


def test_factory_source(engine: sa.Engine, hub: HubConnector) -> None:
    via_factory = HubConnector(lambda: transaction(engine), hub.org_id)
    result = via_factory.apply(P, [Operation(key="k", kind=OpKind.CREATE, entity=P, record=_product("F"))])
    assert [dataclasses.replace(r, hub_id=None).sku for r in hub.fetch(P, [result[0].external_id or ""])] == [
        "F"
    ]
