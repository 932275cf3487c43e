"""``diff_sides`` against a plain, item-by-item statement of its rules, on inputs that exercise its fast paths:
chunks (made small here), packed ids (32-hex, decimal, and look-alikes that must not pack), links sharing an id
(which leave the fused maps), ids read twice, deleted items, missing and malformed fingerprints, both directions.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from string import hexdigits

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from syncbridge.domain import delta
from syncbridge.domain.delta import Change, ChangeKind, LinkItem, SideItem, diff_sides


@dataclass
class _Target:
    last: bytes | None
    fingerprint: bytes | None = None  # None: not seen
    gone: bool = True  # deleted or not seen


def _raw(value: str) -> bytes:
    if len(value) != 32 or not set(value) <= set(hexdigits):
        raise ValueError(f"a fingerprint is 32 hex digits, got {value!r}")
    return bytes.fromhex(value)


def reference(
    source: Iterable[SideItem],
    target: Iterable[SideItem],
    links: Iterable[LinkItem],
    *,
    source_is_hub: bool,
    complete: bool,
) -> Iterator[Change]:
    """The rules, item by item, ids as they are."""
    target_of: dict[str, str] = {}
    state: dict[str, _Target] = {}
    for link in links:
        src, tgt = (link.hub_id, link.external_id) if source_is_hub else (link.external_id, link.hub_id)
        target_of[src] = tgt
        state[tgt] = _Target(_raw(link.last_fingerprint) if link.last_fingerprint else None)
    by_key: dict[str, tuple[str, str]] = {}
    for item in target:
        linked = state.get(item.id)
        if linked is None:
            if not item.deleted:
                by_key.setdefault(item.natural_key, (item.id, item.fingerprint))
            continue
        linked.fingerprint, linked.gone = _raw(item.fingerprint), item.deleted  # read twice: the last counts
    seen: set[str] = set()
    for item in source:
        if item.id in seen:
            continue
        seen.add(item.id)
        tgt = target_of.get(item.id)
        if tgt is None:
            if not item.deleted:
                match = by_key.pop(item.natural_key, None)
                if match is None:
                    yield Change(ChangeKind.NEW, item.id, None, item.natural_key, item.fingerprint, None)
                else:
                    yield Change(ChangeKind.NEW, item.id, match[0], item.natural_key, item.fingerprint, match[1], True)
            continue
        linked = state[tgt]
        tfp = None if linked.fingerprint is None else linked.fingerprint.hex()
        if item.deleted:
            if not linked.gone:
                yield Change(ChangeKind.DELETED, item.id, tgt, item.natural_key, item.fingerprint, tfp)
            continue
        sfp = _raw(item.fingerprint)
        if sfp == linked.fingerprint:
            continue
        if linked.last is None or linked.fingerprint == linked.last:
            kind = ChangeKind.UPDATED
        elif sfp == linked.last:
            continue
        else:
            kind = ChangeKind.CONFLICT
        yield Change(kind, item.id, tgt, item.natural_key, item.fingerprint, tfp)
    if complete:
        for src, tgt in target_of.items():
            linked = state[tgt]
            if src not in seen and not linked.gone:
                tfp = None if linked.fingerprint is None else linked.fingerprint.hex()
                yield Change(ChangeKind.DELETED, src, tgt, "", None, tfp)


def _run(gen: Iterator[Change]) -> tuple[list[Change], bool]:
    """The changes, and whether a ValueError (a malformed fingerprint) ended them."""
    out: list[Change] = []
    try:
        for change in gen:
            out.append(change)
    except ValueError:
        return out, True
    return out, False


HUB = ["0f" * 16, "a1" * 16, "1234abcd" * 4, "0" * 32, "ffffffff" * 4]
EXTERNAL = ["1", "42", "100123", "999999999999999999"]
LOOK_ALIKES = ["0", "042", "+42", " 42", "4_2", "\u0664\u0662", "1" * 19, "0F" * 16, "g" * 32, "cus_Ab12", "h1", ""]
IDS = HUB + EXTERNAL + LOOK_ALIKES
FPS = [f"{i:032x}" for i in range(4)] + ["ABCDEF01" * 4]
BAD_FPS = ["", "zz", "ab", "0" * 30, "0" * 34, "0f0f 0f0f" * 4]

ids = st.sampled_from(IDS)
fingerprints = st.sampled_from(FPS) | st.sampled_from(BAD_FPS)
good_fps = st.sampled_from(FPS)


def side_items(fps: st.SearchStrategy[str]) -> st.SearchStrategy[list[SideItem]]:
    item = st.builds(SideItem, id=ids, natural_key=st.sampled_from("abc"), fingerprint=fps, deleted=st.booleans())
    return st.lists(item, max_size=12)


link_items = st.lists(
    st.builds(LinkItem, hub_id=ids, external_id=ids, last_fingerprint=st.none() | st.just("") | good_fps),
    max_size=12,
)


@settings(max_examples=400, deadline=None)
@given(
    source=side_items(good_fps),
    target=side_items(good_fps),
    links=link_items,
    source_is_hub=st.booleans(),
    complete=st.booleans(),
    chunk=st.sampled_from([1, 2, 3, 1024]),
)
def test_matches_the_rules(
    source: list[SideItem],
    target: list[SideItem],
    links: list[LinkItem],
    source_is_hub: bool,
    complete: bool,
    chunk: int,
) -> None:
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(delta, "_CHUNK", chunk)
        got = list(diff_sides(source, target, links, source_is_hub=source_is_hub, complete=complete))
    assert got == list(reference(source, target, links, source_is_hub=source_is_hub, complete=complete))


@settings(max_examples=300, deadline=None)
@given(
    source=side_items(fingerprints),
    target=side_items(fingerprints),
    links=st.lists(
        st.builds(
            LinkItem,
            hub_id=ids,
            external_id=ids,
            last_fingerprint=st.none() | fingerprints,
        ),
        max_size=8,
    ),
    source_is_hub=st.booleans(),
    chunk=st.sampled_from([1, 3, 1024]),
)
def test_malformed_fingerprints_fail_alike(
    source: list[SideItem], target: list[SideItem], links: list[LinkItem], source_is_hub: bool, chunk: int
) -> None:
    """A malformed fingerprint of a link, a linked target item or a live linked source item is refused (after
    the changes before it); one of an unlinked item is not looked at."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(delta, "_CHUNK", chunk)
        got = _run(diff_sides(source, target, links, source_is_hub=source_is_hub))
    assert got == _run(reference(source, target, links, source_is_hub=source_is_hub, complete=True))


def _hub_id(i: int) -> str:
    return f"{(i * 0x9E3779B97F4A7C15 + 12345) % (1 << 128):032x}"


def _fp(i: int) -> str:
    return f"{i * 7919:032x}"


@st.composite
def synced_sets(draw: st.DrawFn) -> tuple[list[SideItem], list[SideItem], list[LinkItem]]:
    """The usual shape (hub ids, decimal external ids, one link per id) with now and then an id twice or a
    target id that is no hub id, somewhere in the middle."""
    n = draw(st.integers(0, 30))
    fp = st.integers(0, 4).map(_fp)
    links = [LinkItem(_hub_id(i), str(1000 + i), draw(st.none() | fp)) for i in range(n)]
    if n and draw(st.booleans()):
        at, other = draw(st.integers(0, n)), links[draw(st.integers(0, n - 1))]
        extra = draw(
            st.sampled_from(
                [
                    LinkItem(other.hub_id, "5000", _fp(1)),  # a hub id linked twice
                    LinkItem(_hub_id(900), other.external_id, _fp(2)),  # an external id linked twice
                    LinkItem("h1", "5001", _fp(3)),  # no hub id
                    LinkItem(other.hub_id.upper(), "5002", None),  # no hub id either (upper case)
                ]
            )
        )
        links.insert(at, extra)
    hub = [SideItem(_hub_id(i), f"k{i % 5}", draw(fp), draw(st.booleans())) for i in range(n + 2)]
    system = [SideItem(str(1000 + i), f"k{i % 5}", draw(fp), draw(st.booleans())) for i in range(n + 2)]
    for items in (hub, system):
        kept = [item for item in items if draw(st.integers(0, 9))]  # now and then one missing
        if kept and draw(st.booleans()):
            kept.insert(draw(st.integers(0, len(kept))), kept[draw(st.integers(0, len(kept) - 1))])  # one twice
        items[:] = draw(st.permutations(kept)) if draw(st.integers(0, 3)) == 0 else kept
    return hub, system, links


@settings(max_examples=400, deadline=None)
@given(
    sets=synced_sets(),
    source_is_hub=st.booleans(),
    complete=st.booleans(),
    chunk=st.sampled_from([1, 2, 3, 5, 1024]),
)
def test_matches_the_rules_on_synced_sets(
    sets: tuple[list[SideItem], list[SideItem], list[LinkItem]], source_is_hub: bool, complete: bool, chunk: int
) -> None:
    hub, system, links = sets
    source, target = (hub, system) if source_is_hub else (system, hub)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(delta, "_CHUNK", chunk)
        got = list(diff_sides(source, target, links, source_is_hub=source_is_hub, complete=complete))
    assert got == list(reference(source, target, links, source_is_hub=source_is_hub, complete=complete))


def test_a_target_read_twice_in_one_chunk_and_one_never(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(delta, "_CHUNK", 4)
    links = [LinkItem(_hub_id(i), str(1000 + i), _fp(i)) for i in range(4)]
    hub = [SideItem(_hub_id(i), f"k{i}", _fp(i)) for i in (0, 1, 1, 2)]  # 3 never read, 1 twice
    system = [SideItem(str(1000 + i), f"k{i}", _fp(i + 1)) for i in range(4)]
    got = list(diff_sides(system, hub, links, source_is_hub=False))
    assert [(c.kind, c.source_id, c.target_id) for c in got] == [
        *((ChangeKind.UPDATED, str(1000 + i), _hub_id(i)) for i in range(3)),
        (
            ChangeKind.CONFLICT,
            "1003",
            _hub_id(3),
        ),  # the target was not read: it changed (it is gone), so did the source
    ]
    assert got == list(reference(system, hub, links, source_is_hub=False, complete=True))


@pytest.mark.parametrize("chunk", [1, 7, 1024])
def test_a_large_synced_set(chunk: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """The usual shape (decimal external ids, hub ids, everything synced before) over several chunks, with a few
    of each kind of change, a target record never read, and deleted ones on both sides."""
    monkeypatch.setattr(delta, "_CHUNK", chunk)
    n = 300
    links = [LinkItem(_hub_id(i), str(1000 + i), _fp(i)) for i in range(n)]
    hub = [SideItem(_hub_id(i), f"k{i}", _fp(i + (i % 11 == 4)), i % 13 == 5) for i in range(n) if i % 37 != 9]
    hub.append(SideItem(_hub_id(10_000), "k-new-1", _fp(1)))  # unlinked: matched by natural key
    system = [SideItem(str(1000 + i), f"k{i}", _fp(i + (i % 7 == 2) * 3), i % 17 == 6) for i in range(n) if i % 19 != 8]
    system += [SideItem("1000", "k0", _fp(99)), SideItem("5000", "k-new-1", _fp(5)), SideItem("5001", "k-x", _fp(6))]
    for source_is_hub in (False, True):
        src, tgt = (hub, system) if source_is_hub else (system, hub)
        for complete in (True, False):
            got = list(diff_sides(src, tgt, links, source_is_hub=source_is_hub, complete=complete))
            want = list(reference(src, tgt, links, source_is_hub=source_is_hub, complete=complete))
            assert got == want
            assert {c.kind for c in got} == set(ChangeKind) if complete else len(got) > 20


def test_the_source_is_read_one_item_at_a_time() -> None:
    """A change is yielded before the next source item is read (callers keep only the current page)."""
    links = [LinkItem(_hub_id(i), str(1000 + i), _fp(i)) for i in range(50)]
    hub = [SideItem(_hub_id(i), f"k{i}", _fp(i)) for i in range(50)]
    system = [SideItem(str(1000 + i), f"k{i}", _fp(i + (i % 3 == 0)), i == 49) for i in range(50)]
    system.append(SideItem("9999", "new", _fp(1)))
    read: list[str] = []

    def pages() -> Iterator[SideItem]:
        for item in system:
            read.append(item.id)
            yield item

    for change in diff_sides(pages(), hub, links, source_is_hub=False, complete=False):
        assert change.source_id == read[-1]
    assert len(read) == len(system)
