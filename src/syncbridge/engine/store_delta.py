"""The planner's delta, computed against the store: what a system lists, compared with the hub a page at a time.

``domain.delta.diff_sides`` reads every link and hub fingerprint into memory first; that is the fastest way to
compare two sides (the preview uses it), but it grows with the catalog (some 200 bytes per synced record). A
planning worker must not: here the links and the hub stay in the database. For each page the system lists,
one indexed query fetches the links of its ids with their hub records' state, and the same per-item rules as
``diff_sides`` (``linked_change``, ``new_change``) decide the change. At the end one walk in keyset pages finds
what the system did not list: the hub records to push ("out") or the links whose record is gone ("in").

What is kept in memory per record is the system ids read so far (``SeenIds``: about 2 bits per id when dense);
records matched by natural key are claimed in the database (``sync_plan_claim``), so that a second record with
the same key is not matched to the same hub record.

The same changes as ``diff_sides`` on the same sides, with two differences in order only: "out" changes come in
the system's order, then in hub id order; and when the system lists an id twice (a page shifted), the first
listing counts in both directions. ``tests/integration/test_store_delta.py`` checks this against ``diff_sides``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from operator import attrgetter
from typing import Literal

from sqlalchemy.engine import Engine

from syncbridge.domain.delta import Change, SideItem, absent_source_change, linked_change, new_change, pack_id
from syncbridge.domain.records import EntityType, System
from syncbridge.domain.seen import SeenIds
from syncbridge.store import delta_lookup as lookup
from syncbridge.store._util import keyset_chunks, keyset_pages
from syncbridge.store.session import transaction

Way = Literal["in", "out"]
_CHUNK = 1000  # system items per lookup ("out"; "in" looks up each page it is given: the caller sizes them)
_PAGE = 5000  # hub records or links per page of the final walk


class _SeenIds:
    """System ids read so far: decimal ids (every WooCommerce and Odoo id) in a ``SeenIds``, others in a set."""

    __slots__ = ("_ints", "_other")

    def __init__(self) -> None:
        self._ints = SeenIds()
        self._other: set[str] = set()

    @staticmethod
    def _number(value: str) -> int | None:
        packed = pack_id(value)  # the delta's packing: an int for a decimal id without a leading zero
        return packed if type(packed) is int else None

    def add(self, value: str) -> bool:
        """Remember ``value``; False when it was read before."""
        number = self._number(value)
        if number is None:
            if value in self._other:
                return False
            self._other.add(value)
            return True
        if number in self._ints:
            return False
        self._ints.add(number)
        return True

    def __contains__(self, value: str) -> bool:
        number = self._number(value)
        return value in self._other if number is None else number in self._ints


def claim_prefix(run_id: str, stage_index: int) -> str:
    """What every planning attempt of this stage's claim token starts with (to drop them all)."""
    return f"{run_id}/{stage_index}/"


def store_changes(
    engine: Engine,
    org_id: str,
    entity: EntityType,
    system: System,
    pages: Iterable[Sequence[SideItem]],
    *,
    way: Way,
    token: str,
    complete: bool = True,
) -> Iterator[Change]:
    """The changes between ``system`` (``pages``: what it lists, a page at a time) and the hub.

    ``way="in"``: the system is the source; a page's changes are yielded before the next page is read, so the
    caller may keep just the current page's records. ``complete=False`` (some ids only) finds no deletions.
    ``way="out"``: the hub is the source and the system the target. ``token`` names this planning attempt's
    claims (``claim_prefix`` + something unique); the caller drops them when done."""
    store = _Store(engine, org_id, entity, system, token)
    return _inbound(store, pages, complete=complete) if way == "in" else _outbound(store, pages)


@dataclass(frozen=True, slots=True)
class _Store:
    """The hub's side of one stage's delta: each read in a short transaction of its own."""

    engine: Engine
    org_id: str
    entity: EntityType
    system: System
    token: str

    def compare(self, items: Sequence[SideItem]) -> tuple[dict[str, lookup.LinkedState], dict[str, tuple[str, str]]]:
        """For these system items, in one transaction: the links of their ids with their hub records' state, and
        ``system id -> (hub id, hub fingerprint)`` for the unlinked live ones that match, by natural key, an
        unlinked live hub record no earlier item of this attempt matched (the first item with a key wins)."""
        with transaction(self.engine) as conn:
            states = lookup.linked_states(conn, self.org_id, self.entity, self.system.value, [i.id for i in items])
            unlinked = [i for i in items if i.id not in states and not i.deleted]
            if not unlinked:
                return states, {}
            keys = [i.natural_key for i in unlinked]
            found = lookup.unlinked_live_by_keys(conn, self.org_id, self.entity, self.system.value, keys)
            if not found:
                return states, {}
            first: dict[str, str] = {}  # natural key -> the first item's id
            for item in unlinked:
                if item.natural_key in found:
                    first.setdefault(item.natural_key, item.id)
            fresh = lookup.claim(conn, self.token, [found[key][0] for key in first])
        return states, {first[key]: found[key] for key in first if found[key][0] in fresh}

    def claimed(self, hub_ids: Sequence[str]) -> set[str]:
        with transaction(self.engine) as conn:
            return lookup.claimed(conn, self.token, hub_ids)

    def links(self) -> Iterator[lookup.LinkedState]:
        def page(after: str) -> list[lookup.LinkedState]:
            with transaction(self.engine) as conn:
                return lookup.link_hub_page(conn, self.org_id, self.entity, self.system.value, after=after, limit=_PAGE)

        return keyset_pages(page, attrgetter("external_id"), _PAGE)

    def hub_pages(self) -> Iterator[Sequence[lookup.HubLinkRow]]:
        def page(after: str) -> list[lookup.HubLinkRow]:
            with transaction(self.engine) as conn:
                return lookup.hub_link_page(conn, self.org_id, self.entity, self.system.value, after=after, limit=_PAGE)

        return keyset_chunks(page, attrgetter("hub_id"), _PAGE)


def _first_reads(page: Sequence[SideItem], seen: _SeenIds) -> list[SideItem]:
    return [item for item in page if seen.add(item.id)]


def _chunks(pages: Iterable[Sequence[SideItem]], size: int) -> Iterator[list[SideItem]]:
    chunk: list[SideItem] = []
    for page in pages:
        chunk.extend(page)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _inbound(store: _Store, pages: Iterable[Sequence[SideItem]], *, complete: bool) -> Iterator[Change]:
    seen = _SeenIds()
    for page in pages:
        items = _first_reads(page, seen)
        if not items:
            continue
        states, matches = store.compare(items)
        for item in items:
            state = states.get(item.id)
            if state is None:
                change = new_change(item, matches.get(item.id))
            else:
                change = linked_change(
                    item, state.hub_id, state.last_fingerprint, state.hub_fingerprint, state.hub_deleted
                )
            if change is not None:
                yield change
    if not complete:
        return
    for state in store.links():
        if not state.hub_deleted and state.external_id not in seen:
            yield absent_source_change(state.external_id, state.hub_id, state.hub_fingerprint)


def _outbound(store: _Store, pages: Iterable[Sequence[SideItem]]) -> Iterator[Change]:
    seen = _SeenIds()
    claims = 0
    for chunk in _chunks(pages, _CHUNK):
        items = _first_reads(chunk, seen)
        if not items:
            continue
        states, matches = store.compare(items)
        for item in items:
            state = states.get(item.id)
            if state is None:
                continue
            if state.hub_fingerprint is None:  # the link's hub record is missing: gone from the hub
                if not item.deleted:
                    yield absent_source_change(state.hub_id, item.id, item.fingerprint)
                continue
            hub_item = SideItem(state.hub_id, state.hub_natural_key, state.hub_fingerprint, state.hub_deleted)
            change = linked_change(hub_item, item.id, state.last_fingerprint, item.fingerprint, item.deleted)
            if change is not None:
                yield change
        claims += len(matches)
        for item in items:
            match = matches.get(item.id)
            if match is not None:
                hub_item = SideItem(match[0], item.natural_key, match[1])
                change = new_change(hub_item, (item.id, item.fingerprint))
                if change is not None:
                    yield change
    for page in store.hub_pages():
        fresh = [r.hub_id for r in page if r.external_id is None and not r.deleted]
        taken = store.claimed(fresh) if claims and fresh else set()
        for row in page:
            item = SideItem(row.hub_id, row.natural_key, row.fingerprint, row.deleted)
            if row.external_id is None:
                change = None if row.hub_id in taken else new_change(item, None)
            elif row.external_id in seen:
                continue  # compared when the system listed it
            else:  # linked, but the system did not list it
                change = linked_change(item, row.external_id, row.last_fingerprint, None, True)
            if change is not None:
                yield change
