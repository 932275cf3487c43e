"""``engine.store_delta.store_changes`` (the planner's delta, links and hub kept in the database) against
``domain.delta.diff_sides`` (the same delta with both sides in memory): the same changes on the same sides.

The sides are generated with every awkward shape the planner meets: natural keys shared by several records,
deleted records on either side, links to hub records that are gone (orphan links), links of another system,
fingerprints from a small pool (so equal, changed and last-synced cases are common), ids read twice ("in"),
decimal and non-decimal ids, and page boundaries anywhere. Each example gets a fresh organization in one migrated
store, so the rows of earlier examples are other organizations' rows (scoping is checked on the way).

The documented differences are in order only, so changes are compared as multisets. When the system lists an id
twice, ``store_changes`` counts the first listing in both directions while ``diff_sides`` "out" counts the last:
the "out" sides are generated without duplicate ids.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal
from uuid import uuid4

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from syncbridge.domain.delta import Change, ChangeKind, LinkItem, SideItem, diff_sides
from syncbridge.domain.records import EntityType, System
from syncbridge.engine.store_delta import claim_prefix, store_changes
from syncbridge.store import migrate, orgs
from syncbridge.store.db import make_engine
from syncbridge.store.delta_lookup import drop_claims
from syncbridge.store.hub_records import key_columns, table_of
from syncbridge.store.session import transaction
from syncbridge.store.tables import sync_link, sync_plan_claim

Way = Literal["in", "out"]
PRODUCTS, INVENTORY = EntityType.PRODUCTS, EntityType.INVENTORY
WOO, ODOO = System.WOOCOMMERCE, System.ODOO
FPS = ["a" * 32, "b" * 32, "c" * 32, "d" * 32]  # a small pool: equal fingerprints are common
FA, FB, FC, FD = FPS
KEYS = [f"k{i}" for i in range(6)]
# Mostly decimal ids (WooCommerce, Odoo); "0" and "07" are decimal strings that do not pack to an int, the
# others are not decimal at all.
SYSTEM_IDS = [str(i) for i in range(1, 9)] + ["0", "07", "a-3", "x_y"]
RUN = "run-7f3"


# --- the store ----------------------------------------------------------------------------------------------


def _migrated(url: str) -> Iterator[sa.Engine]:
    migrate.upgrade(url)
    engine = make_engine(url)
    try:
        yield engine
    finally:
        engine.dispose()


@pytest.fixture
def store(sqlite_url: str) -> Iterator[sa.Engine]:
    """One migrated SQLite store per test function (examples get a fresh organization each)."""
    yield from _migrated(sqlite_url)


@pytest.fixture
def pg_store(pg_url: str) -> Iterator[sa.Engine]:
    yield from _migrated(pg_url)


@pytest.fixture
def any_store(db_url: str) -> Iterator[sa.Engine]:
    yield from _migrated(db_url)


@dataclass(frozen=True)
class Hub:
    key: str
    fingerprint: str
    deleted: bool = False
    location: str | None = None  # stock levels: where the key splits (else at its last "@")


@dataclass(frozen=True)
class Link:
    hub: int | None  # index into the hub rows; None: an orphan link (its hub record is missing)
    external_id: str
    last: str | None = None
    system: System = WOO


@dataclass(frozen=True)
class Sides:
    """What the database holds for one organization, and what diff_sides gets for the same state."""

    org_id: str
    hub_ids: list[str]  # in the order of the Hub rows given
    hub_items: list[SideItem]  # in hub id order
    link_items: list[LinkItem]  # the links of (entity, WOO)


def _now() -> datetime:
    return datetime.now(UTC)


def seed(engine: sa.Engine, hub: Sequence[Hub], links: Sequence[Link], *, entity: EntityType = PRODUCTS) -> Sides:
    """A fresh organization with these hub rows and links, inserted directly."""
    table = table_of(entity)
    columns = key_columns(entity)
    hub_ids = [uuid4().hex for _ in hub]
    link_hub_ids = [uuid4().hex if link.hub is None else hub_ids[link.hub] for link in links]
    now = _now()
    with transaction(engine) as conn:
        org_id = orgs.create_org(conn, f"org-{uuid4().hex}").id
        if hub:
            rows = []
            for hub_id, row in zip(hub_ids, hub, strict=True):
                parts = row.key.rsplit("@", 1) if len(columns) == 2 else [row.key]
                if row.location is not None:
                    parts = [row.key.removesuffix("@" + row.location), row.location]
                rows.append(
                    {
                        "id": hub_id,
                        "org_id": org_id,
                        **dict(zip(columns, parts, strict=True)),
                        "data": {},
                        "fingerprint": row.fingerprint,
                        "deleted": row.deleted,
                        "created_at": now,
                        "updated_at": now,
                    }
                )
            conn.execute(sa.insert(table), rows)
        link_rows = [
            {
                "id": uuid4().hex,
                "org_id": org_id,
                "entity": entity.value,
                "hub_id": target,
                "system": link.system.value,
                "external_id": link.external_id,
                "last_fingerprint": link.last,
            }
            for link, target in zip(links, link_hub_ids, strict=True)
        ]
        if link_rows:
            conn.execute(sa.insert(sync_link), link_rows)
    hub_items = sorted(
        (SideItem(i, row.key, row.fingerprint, row.deleted) for i, row in zip(hub_ids, hub, strict=True)),
        key=lambda item: item.id,
    )
    link_items = [
        LinkItem(target, link.external_id, link.last)
        for link, target in zip(links, link_hub_ids, strict=True)
        if link.system is WOO
    ]
    return Sides(org_id, hub_ids, hub_items, link_items)


def token_for(run_id: str = RUN) -> str:
    return claim_prefix(run_id, 0) + uuid4().hex


def from_store(
    engine: sa.Engine,
    sides: Sides,
    pages: Sequence[Sequence[SideItem]],
    way: Way,
    *,
    complete: bool = True,
    entity: EntityType = PRODUCTS,
    token: str | None = None,
) -> list[Change]:
    return list(
        store_changes(
            engine,
            sides.org_id,
            entity,
            WOO,
            (list(page) for page in pages),
            way=way,
            token=token or token_for(),
            complete=complete,
        )
    )


def in_memory(sides: Sides, system: Sequence[SideItem], way: Way, *, complete: bool = True) -> list[Change]:
    if way == "in":
        return list(diff_sides(system, sides.hub_items, sides.link_items, source_is_hub=False, complete=complete))
    return list(diff_sides(sides.hub_items, system, sides.link_items, source_is_hub=True, complete=True))


def bag(changes: Sequence[Change]) -> list[Change]:
    """The changes as a multiset (sorted on their repr, so that a failure shows a readable diff)."""
    return sorted(changes, key=repr)


def paged(items: Sequence[SideItem], sizes: Sequence[int]) -> list[list[SideItem]]:
    pages: list[list[SideItem]] = []
    start = 0
    for size in sizes:
        if start >= len(items):
            break
        pages.append(list(items[start : start + size]))
        start += size
    if start < len(items):
        pages.append(list(items[start:]))
    return pages


def claims_of(engine: sa.Engine, token: str) -> set[str]:
    with transaction(engine) as conn:
        query = sa.select(sync_plan_claim.c.hub_id).where(sync_plan_claim.c.token == token)
        return set(conn.execute(query).scalars())


# --- generated sides ----------------------------------------------------------------------------------------

fingerprints = st.sampled_from(FPS)
lasts = st.none() | fingerprints
mostly_live = st.sampled_from([False, False, True])


@dataclass(frozen=True)
class Scenario:
    hub: list[Hub]
    links: list[Link]
    system: list[SideItem]
    page_sizes: list[int]


@st.composite
def scenarios(draw: st.DrawFn, *, unique_ids: bool) -> Scenario:
    keys = draw(st.lists(st.sampled_from(KEYS), unique=True, max_size=len(KEYS)))  # one hub row per key
    hub = [Hub(key, draw(fingerprints), draw(mostly_live)) for key in keys]
    linked = [i for i in range(len(hub)) if draw(st.sampled_from([True, True, False]))]
    targets: list[int | None] = [*linked, *[None] * draw(st.integers(0, 2))]  # and some orphan links
    external = draw(st.lists(st.sampled_from(SYSTEM_IDS), unique=True, min_size=len(targets), max_size=len(targets)))
    links = [Link(t, e, draw(lasts)) for t, e in zip(targets, external, strict=True)]
    # Links of another system (not part of this delta): the hub records they point at are still unlinked here.
    odoo = [i for i in range(len(hub)) if draw(st.booleans())]
    odoo_ids = draw(st.lists(st.sampled_from(SYSTEM_IDS), unique=True, min_size=len(odoo), max_size=len(odoo)))
    links += [Link(i, e, draw(lasts), ODOO) for i, e in zip(odoo, odoo_ids, strict=True)]
    ids = st.sampled_from(SYSTEM_IDS)
    if external:  # half the listed ids are linked ones, so that linked records are compared often
        ids = st.sampled_from(external) | ids
    item = st.builds(
        SideItem,
        id=ids,
        natural_key=st.sampled_from(KEYS),
        fingerprint=fingerprints,
        deleted=mostly_live,
    )
    system = draw(st.lists(item, max_size=10, unique_by=(lambda i: i.id) if unique_ids else None))
    page_sizes = draw(st.lists(st.integers(1, 4), min_size=len(system), max_size=len(system)))
    return Scenario(hub, links, system, page_sizes)


def check(engine: sa.Engine, scenario: Scenario, way: Way, complete: bool) -> None:
    sides = seed(engine, scenario.hub, scenario.links)
    token = token_for()
    got = from_store(engine, sides, paged(scenario.system, scenario.page_sizes), way, complete=complete, token=token)
    assert bag(got) == bag(in_memory(sides, scenario.system, way, complete=complete))
    with transaction(engine) as conn:  # every attempt drops its claims when done
        drop_claims(conn, token)


WAYS = [("in", True), ("in", False), ("out", True)]  # complete only matters for "in"


@pytest.mark.parametrize(("way", "complete"), WAYS)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_store_changes_agree_with_diff_sides_on_sqlite(
    store: sa.Engine, way: Way, complete: bool, data: st.DataObject
) -> None:
    check(store, data.draw(scenarios(unique_ids=way == "out"), label="scenario"), way, complete)


@pytest.mark.pg
@pytest.mark.parametrize(("way", "complete"), WAYS)
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_store_changes_agree_with_diff_sides_on_postgresql(
    pg_store: sa.Engine, way: Way, complete: bool, data: st.DataObject
) -> None:
    check(pg_store, data.draw(scenarios(unique_ids=way == "out"), label="scenario"), way, complete)


# --- fixed cases, on both databases -------------------------------------------------------------------------


def test_stock_levels_match_on_the_composite_sku_at_location_key(any_store: sa.Engine) -> None:
    """Inventory: the natural key is "sku@location" over two columns (a sku may hold an "@" itself)."""
    hub = [
        Hub("A@default", FA),  # unlinked, live: matched by key
        Hub("A@back", FB),  # the same sku at another location: not matched by "A@default"
        Hub("B@x@default", FC),  # an "@" in the sku
        Hub("C@default", FD),  # linked to "9" and synced
        Hub("D@default", FA, deleted=True),  # deleted: never matched
    ]
    sides = seed(any_store, hub, [Link(3, "9", FD)], entity=INVENTORY)
    a_default, _, b_x, c_default, _ = sides.hub_ids
    system = [
        SideItem("1", "A@default", FB),
        SideItem("2", "B@x@default", FC),
        SideItem("3", "A@other", FA),
        SideItem("4", "D@default", FA),
        SideItem("9", "C@default", FD),
    ]
    expected_in = [
        Change(ChangeKind.NEW, "1", a_default, "A@default", FB, FA, True),
        Change(ChangeKind.NEW, "2", b_x, "B@x@default", FC, FC, True),
        Change(ChangeKind.NEW, "3", None, "A@other", FA, None),
        Change(ChangeKind.NEW, "4", None, "D@default", FA, None),
    ]
    got_in = from_store(any_store, sides, [system[:2], system[2:]], "in", entity=INVENTORY)
    assert bag(got_in) == bag(expected_in) == bag(in_memory(sides, system, "in"))
    # Out: the matched hub records go to the system records they matched; the rest of the live hub is new there.
    expected_out = [
        Change(ChangeKind.NEW, a_default, "1", "A@default", FA, FB, True),
        Change(ChangeKind.NEW, b_x, "2", "B@x@default", FC, FC, True),
        Change(ChangeKind.NEW, sides.hub_ids[1], None, "A@back", FB, None),
    ]
    got_out = from_store(any_store, sides, [system[:3], system[3:]], "out", entity=INVENTORY)
    assert bag(got_out) == bag(expected_out) == bag(in_memory(sides, system, "out"))
    assert c_default not in {c.source_id for c in got_out}


def test_a_stock_level_whose_location_holds_an_at_sign_is_matched_by_key(any_store: sa.Engine) -> None:
    """The key "A@wh@1" is sku "A" at location "wh@1": the lookup tries the sku before each "@"."""
    sides = seed(
        any_store, [Hub("A@wh@1", FA, location="wh@1"), Hub("A@wh@2", FB, location="wh@2")], [], entity=INVENTORY
    )
    system = [SideItem("1", "A@wh@1", FB)]
    got = from_store(any_store, sides, [system], "in", entity=INVENTORY)
    assert got == [Change(ChangeKind.NEW, "1", sides.hub_ids[0], "A@wh@1", FB, FA, True)]
    assert got == in_memory(sides, system, "in")


def test_a_handmade_catalog_gives_the_same_changes_both_ways(any_store: sa.Engine) -> None:
    hub = [
        Hub("k0", FA),  # linked to 1, synced
        Hub("k1", FB),  # linked to 2, the system changed it
        Hub("k2", FC),  # linked to 3, both changed it: conflict
        Hub("k3", FA),  # linked to 4, the system deleted it
        Hub("k4", FA),  # unlinked: matched by key by 5
        Hub("k5", FD, deleted=True),  # linked to 6, deleted in the hub, live in the system
    ]
    links = [Link(0, "1", FA), Link(1, "2", FB), Link(2, "3", FA), Link(3, "4", FA), Link(5, "6", FD)]
    links += [Link(None, "7", FB), Link(4, "5", FA, ODOO)]  # an orphan, and a link of another system
    sides = seed(any_store, hub, links)
    h = sides.hub_ids
    system = [
        SideItem("1", "k0", FA),
        SideItem("2", "k1", FC),
        SideItem("3", "k2", FB),
        SideItem("4", "k3", FA, deleted=True),
        SideItem("5", "k4", FB),
        SideItem("6", "k5", FD),
        SideItem("7", "k9", FC),
        SideItem("8", "k4", FA),
    ]
    pages = [system[:3], system[3:4], system[4:]]
    for complete in (True, False):
        got = from_store(any_store, sides, pages, "in", complete=complete)
        assert bag(got) == bag(in_memory(sides, system, "in", complete=complete))
    assert bag(from_store(any_store, sides, pages, "in")) == bag(
        [
            Change(ChangeKind.UPDATED, "2", h[1], "k1", FC, FB),
            Change(ChangeKind.CONFLICT, "3", h[2], "k2", FB, FC),
            Change(ChangeKind.DELETED, "4", h[3], "k3", FA, FA),
            Change(ChangeKind.NEW, "5", h[4], "k4", FB, FA, True),
            # 6: the hub record is deleted, the system's is as last synced: only the hub changed (not this way)
            Change(ChangeKind.CONFLICT, "7", sides.link_items[5].hub_id, "k9", FC, None),  # orphan, changed since
            Change(ChangeKind.NEW, "8", None, "k4", FA, None),  # the key is taken by 5
        ]
    )
    got_out = from_store(any_store, sides, pages, "out")
    assert bag(got_out) == bag(in_memory(sides, system, "out"))
    assert bag(got_out) == bag(
        [
            # 2: only the system changed (the other direction carries it)
            Change(ChangeKind.CONFLICT, h[2], "3", "k2", FC, FB),
            # 4: deleted in the system as last synced, alive in the hub: the fingerprints agree, no change out
            Change(ChangeKind.NEW, h[4], "5", "k4", FA, FB, True),
            Change(ChangeKind.DELETED, h[5], "6", "k5", FD, FD),
            Change(ChangeKind.DELETED, sides.link_items[5].hub_id, "7", "", None, FC),  # gone from the hub
        ]
    )


# --- the key behaviours, by hand (SQLite) -------------------------------------------------------------------


def test_a_first_read_into_an_empty_hub_is_all_new(store: sa.Engine) -> None:
    sides = seed(store, [], [])
    system = [SideItem("1", "k0", FA), SideItem("2", "k1", FB), SideItem("a-3", "k2", FC, deleted=True)]
    expected = [Change(ChangeKind.NEW, "1", None, "k0", FA, None), Change(ChangeKind.NEW, "2", None, "k1", FB, None)]
    assert from_store(store, sides, [system[:1], system[1:]], "in") == expected
    assert from_store(store, sides, [system], "out") == []  # nothing in the hub to push


def test_an_empty_system_gets_the_whole_live_hub(store: sa.Engine) -> None:
    sides = seed(store, [Hub("k0", FA), Hub("k1", FB, deleted=True), Hub("k2", FC)], [])
    expected = [
        Change(ChangeKind.NEW, sides.hub_ids[0], None, "k0", FA, None),
        Change(ChangeKind.NEW, sides.hub_ids[2], None, "k2", FC, None),
    ]
    assert bag(from_store(store, sides, [], "out")) == bag(expected)


def test_a_synced_catalog_gives_no_change(store: sa.Engine) -> None:
    sides = seed(
        store, [Hub("k0", FA), Hub("k1", FB), Hub("k2", FC)], [Link(0, "1", FA), Link(1, "2", FB), Link(2, "3", FC)]
    )
    system = [SideItem("1", "k0", FA), SideItem("2", "k1", FB), SideItem("3", "k2", FC)]
    ways: tuple[Way, ...] = ("in", "out")
    for way in ways:
        assert from_store(store, sides, [system[:2], system[2:]], way) == []


def test_a_key_match_claims_the_hub_record_for_the_first_system_record_only_in(store: sa.Engine) -> None:
    sides = seed(store, [Hub("k1", FA)], [])
    (hub_id,) = sides.hub_ids
    system = [SideItem("5", "k1", FB), SideItem("6", "k1", FC)]
    expected = [
        Change(ChangeKind.NEW, "5", hub_id, "k1", FB, FA, matched_by_natural_key=True),
        Change(ChangeKind.NEW, "6", None, "k1", FC, None),
    ]
    assert from_store(store, sides, [system], "in") == expected
    assert from_store(store, sides, [system[:1], system[1:]], "in") == expected  # a page boundary between them
    assert in_memory(sides, system, "in") == expected


def test_a_key_match_claims_the_hub_record_for_the_first_system_record_only_out(store: sa.Engine) -> None:
    sides = seed(store, [Hub("k1", FA)], [])
    (hub_id,) = sides.hub_ids
    system = [SideItem("5", "k1", FB), SideItem("6", "k1", FC)]
    expected = [Change(ChangeKind.NEW, hub_id, "5", "k1", FA, FB, matched_by_natural_key=True)]
    assert from_store(store, sides, [system[:1], system[1:]], "out") == expected
    assert in_memory(sides, system, "out") == expected


def test_a_deleted_or_linked_hub_record_is_not_matched_by_key(store: sa.Engine) -> None:
    sides = seed(store, [Hub("k1", FA, deleted=True), Hub("k2", FB)], [Link(1, "9", FB)])
    system = [SideItem("5", "k1", FA), SideItem("6", "k2", FB), SideItem("9", "k2", FB)]
    expected = [Change(ChangeKind.NEW, "5", None, "k1", FA, None), Change(ChangeKind.NEW, "6", None, "k2", FB, None)]
    assert from_store(store, sides, [system], "in") == expected
    assert from_store(store, sides, [system], "out") == []


def test_a_deleted_system_record_is_never_new_nor_matched(store: sa.Engine) -> None:
    sides = seed(store, [Hub("k1", FA)], [])
    system = [SideItem("5", "k1", FB, deleted=True), SideItem("6", "k1", FC)]
    hub_id = sides.hub_ids[0]
    assert from_store(store, sides, [system], "in") == [Change(ChangeKind.NEW, "6", hub_id, "k1", FC, FA, True)]
    assert from_store(store, sides, [system], "out") == [Change(ChangeKind.NEW, hub_id, "6", "k1", FA, FC, True)]


def test_a_link_not_listed_is_deleted_on_a_complete_read_only(store: sa.Engine) -> None:
    sides = seed(
        store,
        [Hub("k0", FA), Hub("k1", FB), Hub("k2", FC, deleted=True)],
        [Link(0, "1", FA), Link(1, "9", FB), Link(2, "4", FC)],
    )
    system = [SideItem("1", "k0", FA)]
    expected = [Change(ChangeKind.DELETED, "9", sides.hub_ids[1], "", None, FB)]  # 4: already deleted in the hub
    assert from_store(store, sides, [system], "in", complete=True) == expected
    assert in_memory(sides, system, "in", complete=True) == expected
    assert from_store(store, sides, [system], "in", complete=False) == []
    assert in_memory(sides, system, "in", complete=False) == []


def test_an_orphan_link_not_listed_is_no_deletion(store: sa.Engine) -> None:
    sides = seed(store, [], [Link(None, "9", FA)])
    assert from_store(store, sides, [], "in") == []  # the hub record is gone already
    assert from_store(store, sides, [], "out") == []  # the system record is gone too


@pytest.mark.parametrize(
    ("last", "expected_kind"),
    [(FA, None), (None, ChangeKind.UPDATED), (FB, ChangeKind.CONFLICT)],
    ids=["last-is-hub", "no-last", "last-differs"],
)
def test_out_a_linked_hub_record_the_system_does_not_list(
    store: sa.Engine, last: str | None, expected_kind: ChangeKind | None
) -> None:
    """The system's record is gone: with the hub as last synced only the target changed (no change this way);
    never synced is an update; a hub changed since the last sync is a conflict."""
    sides = seed(store, [Hub("k0", FA)], [Link(0, "9", last)])
    expected = [] if expected_kind is None else [Change(expected_kind, sides.hub_ids[0], "9", "k0", FA, None)]
    assert from_store(store, sides, [[SideItem("1", "k5", FC, deleted=True)]], "out") == expected
    assert in_memory(sides, [SideItem("1", "k5", FC, deleted=True)], "out") == expected


def test_an_orphan_link_the_system_lists(store: sa.Engine) -> None:
    sides = seed(store, [], [Link(None, "9", None), Link(None, "8", FA), Link(None, "6", FA)])
    orphan_9 = sides.link_items[0].hub_id
    system = [
        SideItem("9", "k0", FB),
        SideItem("8", "k1", FA),
        SideItem("6", "k3", FC),
        SideItem("7", "k2", FA, deleted=True),
    ]
    # In: the hub record is missing. Never synced: an update (no target fingerprint); as last synced: only the
    # hub changed (nothing this way); changed since the last sync: a conflict.
    expected_in = [
        Change(ChangeKind.UPDATED, "9", orphan_9, "k0", FB, None),
        Change(ChangeKind.CONFLICT, "6", sides.link_items[2].hub_id, "k3", FC, None),
    ]
    assert from_store(store, sides, [system], "in") == expected_in
    assert in_memory(sides, system, "in") == expected_in
    # Out: gone from the hub, so the system's live records are deleted there.
    expected_out = [
        Change(ChangeKind.DELETED, orphan_9, "9", "", None, FB),
        Change(ChangeKind.DELETED, sides.link_items[1].hub_id, "8", "", None, FA),
        Change(ChangeKind.DELETED, sides.link_items[2].hub_id, "6", "", None, FC),
    ]
    assert bag(from_store(store, sides, [system], "out")) == bag(expected_out)
    assert bag(in_memory(sides, system, "out")) == bag(expected_out)


def test_in_an_id_listed_twice_counts_the_first_time(store: sa.Engine) -> None:
    sides = seed(store, [Hub("k0", FA)], [Link(0, "1", FA)])
    system = [SideItem("1", "k0", FB), SideItem("2", "k4", FC), SideItem("1", "k0", FA), SideItem("2", "k4", FD)]
    expected = [
        Change(ChangeKind.UPDATED, "1", sides.hub_ids[0], "k0", FB, FA),
        Change(ChangeKind.NEW, "2", None, "k4", FC, None),
    ]
    assert from_store(store, sides, [system[:1], system[1:3], system[3:]], "in") == expected
    assert in_memory(sides, system, "in") == expected


def test_in_yields_a_pages_changes_before_reading_the_next_page(store: sa.Engine) -> None:
    sides = seed(store, [], [])
    read: list[int] = []

    def pages() -> Iterator[list[SideItem]]:
        for n in range(3):
            read.append(n)
            yield [SideItem(str(n + 1), f"k{n}", FA)]

    changes = store_changes(store, sides.org_id, PRODUCTS, WOO, pages(), way="in", token=token_for())
    for n, change in enumerate(changes):
        assert change.source_id == str(n + 1)
        assert read == list(range(n + 1))


def test_other_organizations_rows_are_not_seen(store: sa.Engine) -> None:
    other = seed(store, [Hub("k1", FA), Hub("k2", FB)], [Link(1, "2", FB)])
    sides = seed(store, [], [])
    system = [SideItem("1", "k1", FA), SideItem("2", "k2", FB)]
    expected = [Change(ChangeKind.NEW, "1", None, "k1", FA, None), Change(ChangeKind.NEW, "2", None, "k2", FB, None)]
    assert from_store(store, sides, [system], "in") == expected
    assert from_store(store, sides, [system], "out") == []
    assert len(from_store(store, other, [], "out")) == 1  # while the other org's hub record 0 is new there


# --- claims -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("way", ["in", "out"])
def test_matches_are_claimed_under_the_token_and_dropped_by_prefix(store: sa.Engine, way: Way) -> None:
    sides = seed(store, [Hub("k1", FA), Hub("k2", FB), Hub("k3", FC)], [])
    system = [SideItem("5", "k1", FB), SideItem("6", "k2", FB), SideItem("7", "k1", FC)]
    token = token_for("r_1")  # "_" and "%" in a prefix are literal, not LIKE wildcards
    other = token_for("rx1")
    changes = from_store(store, sides, [system[:1], system[1:]], way, token=token)
    matched = {c.target_id if way == "in" else c.source_id for c in changes if c.matched_by_natural_key}
    assert matched == set(sides.hub_ids[:2])
    assert claims_of(store, token) == matched
    from_store(store, sides, [system], way, token=other)  # another run's attempt
    assert claims_of(store, other) == matched
    with transaction(store) as conn:
        assert drop_claims(conn, claim_prefix("r_1", 0)) == 2
    assert claims_of(store, token) == set()
    assert claims_of(store, other) == matched  # untouched
    with transaction(store) as conn:
        assert drop_claims(conn, claim_prefix("rx1", 0)) == 2
    assert claims_of(store, other) == set()


def test_a_second_attempt_with_a_fresh_token_matches_again(store: sa.Engine) -> None:
    """An attempt cut short leaves its claims; the next attempt (another token) is not blocked by them."""
    sides = seed(store, [Hub("k1", FA)], [])
    system = [SideItem("5", "k1", FB)]
    expected = [Change(ChangeKind.NEW, "5", sides.hub_ids[0], "k1", FB, FA, True)]
    assert from_store(store, sides, [system], "in", token=token_for()) == expected
    assert from_store(store, sides, [system], "in", token=token_for()) == expected


def test_the_same_token_does_not_match_a_claimed_record_twice(store: sa.Engine) -> None:
    sides = seed(store, [Hub("k1", FA)], [])
    system = [SideItem("5", "k1", FB)]
    token = token_for()
    assert from_store(store, sides, [system], "in", token=token)[0].matched_by_natural_key
    assert from_store(store, sides, [system], "in", token=token) == [Change(ChangeKind.NEW, "5", None, "k1", FB, None)]
