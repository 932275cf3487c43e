from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from syncbridge.domain.delta import (
    Change,
    ChangeKind,
    LinkItem,
    SideItem,
    count_changes,
    diff_sides,
    field_diff,
    pack_id,
    unpack_id,
)
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
    ProductStatus,
    Record,
    StockLevel,
    Variant,
)

T0 = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)

# For each entity: the record as last synced ("A"), changed one way ("B"), changed another way ("C").
BASE: dict[EntityType, Record] = {
    EntityType.CUSTOMERS: Customer(
        email="ana@example.com",
        name="Ana Müller",
        billing=Address(street="Hauptstraße 1", city="Berlin", postcode="10115", country="DE"),
    ),
    EntityType.PRODUCTS: Product(
        sku="TSHIRT",
        name="T-shirt",
        regular_price=Decimal("19.90"),
        variants=(Variant(sku="TSHIRT-M", name="Size: M", regular_price=Decimal("19.90")),),
    ),
    EntityType.INVENTORY: StockLevel(sku="TSHIRT-M", quantity=Decimal("12")),
    EntityType.ORDERS: Order(
        number="1001",
        status=OrderStatus.PROCESSING,
        currency="EUR",
        customer_email="ana@example.com",
        lines=(OrderLine(sku="TSHIRT-M", quantity=Decimal("2"), unit_price=Decimal("19.90")),),
        total=Decimal("39.80"),
        created_at=T0,
    ),
    EntityType.PAYMENTS: Payment(
        reference="1001",
        order_number="1001",
        amount=Decimal("39.80"),
        currency="EUR",
        method="stripe",
        state=PaymentState.PENDING,
    ),
}
CHANGE_B: dict[EntityType, dict[str, Any]] = {
    EntityType.CUSTOMERS: {"name": "Ana Schmidt"},
    EntityType.PRODUCTS: {"name": "Tee"},
    EntityType.INVENTORY: {"quantity": Decimal("7")},
    EntityType.ORDERS: {"status": OrderStatus.COMPLETED},
    EntityType.PAYMENTS: {"state": PaymentState.PAID},
}
CHANGE_C: dict[EntityType, dict[str, Any]] = {
    EntityType.CUSTOMERS: {"phone": "+49 30 1234"},
    EntityType.PRODUCTS: {"status": ProductStatus.DRAFT},
    EntityType.INVENTORY: {"quantity": Decimal("30")},
    EntityType.ORDERS: {"currency": "USD"},
    EntityType.PAYMENTS: {"transaction_id": "ch_123"},
}
# field_diff of A -> B, in canonical form.
EXPECTED_DIFF: dict[EntityType, dict[str, dict[str, Any]]] = {
    EntityType.CUSTOMERS: {"name": {"old": "Ana Müller", "new": "Ana Schmidt"}},
    EntityType.PRODUCTS: {"name": {"old": "T-shirt", "new": "Tee"}},
    EntityType.INVENTORY: {"quantity": {"old": "d:12", "new": "d:7"}},
    EntityType.ORDERS: {"status": {"old": "processing", "new": "completed"}},
    EntityType.PAYMENTS: {"state": {"old": "pending", "new": "paid"}},
}


def variants(entity: EntityType) -> dict[str, Record]:
    base = BASE[entity]
    return {
        "A": base,
        "B": dataclasses.replace(base, **CHANGE_B[entity]),  # type: ignore[arg-type]
        "C": dataclasses.replace(base, **CHANGE_C[entity]),  # type: ignore[arg-type]
    }


# A case: source items, target items (id, variant, deleted), links (hub id, external id, last variant),
# complete, and the expected changes (kind, source id, target id, source variant, target variant, matched).
# Inbound: the source is the system (ids "101"...), the target the hub (ids "h1"...).
Spec = list[tuple[str, str, bool]]
CASES: list[tuple[str, Spec, Spec, list[tuple[str, str, str | None]], bool, list[tuple[Any, ...]]]] = [
    ("new", [("101", "A", False)], [], [], True, [("new", "101", None, "A", None, False)]),
    ("new-matched-by-key", [("101", "B", False)], [("h1", "A", False)], [], True,
     [("new", "101", "h1", "B", "A", True)]),
    ("new-matched-equal", [("101", "A", False)], [("h1", "A", False)], [], True,
     [("new", "101", "h1", "A", "A", True)]),
    ("new-key-taken-by-deleted-target", [("101", "A", False)], [("h1", "A", True)], [], True,
     [("new", "101", None, "A", None, False)]),
    ("new-key-linked-elsewhere", [("101", "A", False), ("102", "A", False)], [("h1", "A", False)],
     [("h1", "102", "A")], True, [("new", "101", None, "A", None, False)]),
    ("new-deleted-ignored", [("101", "A", True)], [], [], True, []),
    ("unchanged", [("101", "A", False)], [("h1", "A", False)], [("h1", "101", "A")], True, []),
    ("unchanged-never-synced", [("101", "A", False)], [("h1", "A", False)], [("h1", "101", None)], True, []),
    ("updated", [("101", "B", False)], [("h1", "A", False)], [("h1", "101", "A")], True,
     [("updated", "101", "h1", "B", "A", False)]),
    ("updated-no-last", [("101", "B", False)], [("h1", "A", False)], [("h1", "101", None)], True,
     [("updated", "101", "h1", "B", "A", False)]),
    ("only-target-changed", [("101", "A", False)], [("h1", "B", False)], [("h1", "101", "A")], True, []),
    ("conflict", [("101", "B", False)], [("h1", "C", False)], [("h1", "101", "A")], True,
     [("conflict", "101", "h1", "B", "C", False)]),
    ("both-same-change", [("101", "B", False)], [("h1", "B", False)], [("h1", "101", "A")], True, []),
    ("deleted-flag", [("101", "A", True)], [("h1", "A", False)], [("h1", "101", "A")], True,
     [("deleted", "101", "h1", "A", "A", False)]),
    ("deleted-flag-incremental", [("101", "A", True)], [("h1", "A", False)], [("h1", "101", "A")], False,
     [("deleted", "101", "h1", "A", "A", False)]),
    ("deleted-missing", [], [("h1", "A", False)], [("h1", "101", "A")], True,
     [("deleted", "101", "h1", None, "A", False)]),
    ("missing-incremental", [], [("h1", "A", False)], [("h1", "101", "A")], False, []),
    ("deleted-target-already-deleted", [("101", "A", True)], [("h1", "A", True)], [("h1", "101", "A")], True,
     []),
    ("missing-target-already-deleted", [], [("h1", "A", True)], [("h1", "101", "A")], True, []),
    ("missing-target-gone", [], [], [("h1", "101", "A")], True, []),
    ("source-changed-target-gone", [("101", "B", False)], [], [("h1", "101", "A")], True,
     [("conflict", "101", "h1", "B", None, False)]),
    ("source-same-target-gone", [("101", "A", False)], [], [("h1", "101", "A")], True, []),
    ("duplicate-source-id", [("101", "B", False), ("101", "C", False)], [("h1", "A", False)],
     [("h1", "101", "A")], True, [("updated", "101", "h1", "B", "A", False)]),
    ("duplicate-new-id", [("101", "A", False), ("101", "A", False)], [], [], True,
     [("new", "101", None, "A", None, False)]),
    ("duplicate-target-id-last-counts", [("101", "B", False)], [("h1", "B", False), ("h1", "A", False)],
     [("h1", "101", "A")], True, [("updated", "101", "h1", "B", "A", False)]),
    ("duplicate-target-id-last-counts-2", [("101", "B", False)], [("h1", "A", False), ("h1", "B", False)],
     [("h1", "101", "A")], True, []),
    ("deleted-target-same-as-last", [("101", "B", False)], [("h1", "A", True)], [("h1", "101", "A")], True,
     [("updated", "101", "h1", "B", "A", False)]),
]  # fmt: skip


def _items(spec: Spec, records: dict[str, Record]) -> list[SideItem]:
    return [SideItem(id, records[v].natural_key, fingerprint_of(records[v]), deleted) for id, v, deleted in spec]


def _expected(rows: list[tuple[Any, ...]], records: dict[str, Record]) -> list[Change]:
    out = []
    for kind, src, tgt, sv, tv, matched in rows:
        natural_key = "" if sv is None else records[sv].natural_key
        out.append(
            Change(
                ChangeKind(kind),
                src,
                tgt,
                natural_key,
                None if sv is None else fingerprint_of(records[sv]),
                None if tv is None else fingerprint_of(records[tv]),
                matched,
            )
        )
    return out


@pytest.mark.parametrize("entity", list(EntityType))
@pytest.mark.parametrize(("source", "target", "links", "complete", "expected"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])  # fmt: skip
@pytest.mark.parametrize("source_is_hub", [False, True], ids=["inbound", "outbound"])
def test_diff_sides(
    entity: EntityType,
    source: Spec,
    target: Spec,
    links: list[tuple[str, str, str | None]],
    complete: bool,
    expected: list[tuple[Any, ...]],
    source_is_hub: bool,
) -> None:
    records = variants(entity)
    link_items = [LinkItem(h, e, None if last is None else fingerprint_of(records[last])) for h, e, last in links]
    if source_is_hub:  # the same case read the other way: the hub is the source, the system the target
        link_items = [LinkItem(link.external_id, link.hub_id, link.last_fingerprint) for link in link_items]
    changes = list(
        diff_sides(
            _items(source, records),
            _items(target, records),
            link_items,
            source_is_hub=source_is_hub,
            complete=complete,
        )
    )
    assert changes == _expected(expected, records)


HUB_ID = "0f" * 16


@pytest.mark.parametrize("entity", list(EntityType))
def test_packed_ids_round_trip_into_changes(entity: EntityType) -> None:
    records = variants(entity)
    a, b = records["A"], records["B"]
    changes = list(
        diff_sides(
            [SideItem("4711", b.natural_key, fingerprint_of(b))],
            [SideItem(HUB_ID, a.natural_key, fingerprint_of(a))],
            [LinkItem(HUB_ID, "4711", fingerprint_of(a))],
            source_is_hub=False,
        )
    )
    assert [(c.kind, c.source_id, c.target_id) for c in changes] == [(ChangeKind.UPDATED, "4711", HUB_ID)]


@pytest.mark.parametrize(
    ("value", "packed_type"),
    [
        ("4711", int),  # decimal ids (WooCommerce, Odoo) pack to ints
        ("1" * 18, int),
        ("1" * 19, str),
        ("0", str),
        ("0815", str),  # a leading zero would not round-trip
        ("+7", str),
        ("7_0", str),
        ("\u0667", str),  # a non-ASCII digit
        ("0f" * 16, bytes),
        ("0F" * 16, str),  # upper case would not round-trip
        ("g" * 32, str),
        ("0f0f 0f0f" * 4, str),
        ("0f" * 15, str),
        ("", str),
        ("cus_Ab12", str),
    ],
)
def test_pack_id_round_trips(value: str, packed_type: type) -> None:
    packed = pack_id(value)
    assert isinstance(packed, packed_type)
    assert unpack_id(packed) == value


@pytest.mark.parametrize("bad", ["", "abc", "z" * 32, "0" * 30, "0" * 34])
def test_a_malformed_fingerprint_is_refused(bad: str) -> None:
    record = BASE[EntityType.CUSTOMERS]
    with pytest.raises(ValueError, match="32 hex"):
        list(
            diff_sides(
                [SideItem("1", record.natural_key, bad)],
                [SideItem("h1", record.natural_key, fingerprint_of(record))],
                [LinkItem("h1", "1", None)],
                source_is_hub=False,
            )
        )


@pytest.mark.parametrize("entity", list(EntityType))
def test_field_diff(entity: EntityType) -> None:
    records = variants(entity)
    assert field_diff(records["A"], records["B"]) == EXPECTED_DIFF[entity]
    assert field_diff(records["A"], records["A"]) == {}
    changed = field_diff(records["B"], records["C"])
    assert set(changed) == set(CHANGE_B[entity]) | set(CHANGE_C[entity])


def test_count_changes() -> None:
    change = Change(ChangeKind.NEW, "1", None, "k", "0" * 32, None)
    deleted = dataclasses.replace(change, kind=ChangeKind.DELETED)
    assert count_changes([change, change, deleted]).as_dict() == {
        "new": 2,
        "updated": 0,
        "deleted": 1,
        "conflict": 0,
    }


# -- against a plain reference implementation -------------------------------------------------------------

FPS = [f"{i:032x}" for i in range(4)]


def reference(
    source: list[SideItem], target: list[SideItem], links: list[LinkItem], complete: bool
) -> list[tuple[str, str, str | None]]:
    """The rules, written as plainly as possible (inbound only)."""
    by_target = {t.id: t for t in target}
    link_of = {link.external_id: link for link in links}
    linked_hub = {link.hub_id for link in links}
    free: dict[str, SideItem] = {}
    for t in target:
        if t.id not in linked_hub and not t.deleted:
            free.setdefault(t.natural_key, t)
    out: list[tuple[str, str, str | None]] = []
    seen: set[str] = set()
    for s in source:
        if s.id in seen:
            continue
        seen.add(s.id)
        link = link_of.get(s.id)
        if link is None:
            if not s.deleted:
                match = free.pop(s.natural_key, None)
                out.append(("new", s.id, None if match is None else match.id))
            continue
        t = by_target.get(link.hub_id)
        gone = t is None or t.deleted
        tfp = None if t is None else t.fingerprint
        if s.deleted:
            if not gone:
                out.append(("deleted", s.id, link.hub_id))
        elif s.fingerprint != tfp:
            last = link.last_fingerprint
            if last is None or tfp == last:
                out.append(("updated", s.id, link.hub_id))
            elif s.fingerprint != last:
                out.append(("conflict", s.id, link.hub_id))
    if complete:
        for link in links:
            t = by_target.get(link.hub_id)
            if link.external_id not in seen and t is not None and not t.deleted:
                out.append(("deleted", link.external_id, link.hub_id))
    return out


side_item = st.builds(
    SideItem,
    id=st.sampled_from(["1", "2", "3", "4"]),
    natural_key=st.sampled_from(["a", "b", "c"]),
    fingerprint=st.sampled_from(FPS),
    deleted=st.booleans(),
)
hub_item = st.builds(
    SideItem,
    id=st.sampled_from(["h1", "h2", "h3", "h4"]),
    natural_key=st.sampled_from(["a", "b", "c"]),
    fingerprint=st.sampled_from(FPS),
    deleted=st.booleans(),
)


@st.composite
def link_sets(draw: st.DrawFn) -> list[LinkItem]:
    pairs = draw(st.lists(st.tuples(st.sampled_from("1234"), st.sampled_from(["h1", "h2", "h3", "h4"]))))
    out: dict[str, LinkItem] = {}
    used: set[str] = set()
    for ext, hub in pairs:  # one link per id on each side, like sync_link's unique constraints
        if ext not in out and hub not in used:
            out[ext] = LinkItem(hub, ext, draw(st.none() | st.sampled_from(FPS)))
            used.add(hub)
    return list(out.values())


@settings(max_examples=300, deadline=None)
@given(
    source=st.lists(side_item, max_size=6),
    target=st.lists(hub_item, max_size=6, unique_by=lambda i: i.id),
    links=link_sets(),
    complete=st.booleans(),
)
def test_matches_the_reference(
    source: list[SideItem], target: list[SideItem], links: list[LinkItem], complete: bool
) -> None:
    got = [
        (c.kind.value, c.source_id, c.target_id)
        for c in diff_sides(source, target, links, source_is_hub=False, complete=complete)
    ]
    assert got == reference(source, target, links, complete)
