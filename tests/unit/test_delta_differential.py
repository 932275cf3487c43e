"""``diff_sides`` against the implementation it replaced (kept here, as it was before the fast rewrite, under
``_old_``): the same changes in the same order, and the same refusal of a malformed fingerprint, on small inputs
with every awkward shape the engine can produce (ids read twice, links sharing an id, mixed id kinds, deleted
items, natural keys shared by several records, a link's source id also among the unlinked, chunk boundaries).
"""

from __future__ import annotations

import binascii
from collections.abc import Iterable, Iterator
from typing import Any, Final

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from syncbridge.domain import delta
from syncbridge.domain.delta import Change, ChangeKind, LinkItem, SideItem, diff_sides

# --- the previous implementation (2e73199), verbatim but for names -------------------------------------------

_OldPackedId = bytes | str
_unhex: Final = binascii.unhexlify


def _old_pack_id(value: str) -> _OldPackedId:
    if len(value) == 32:
        try:
            raw = _unhex(value)
        except ValueError:
            return value
        return raw if raw.hex() == value else value
    return value


def _old_unpack_id(value: _OldPackedId) -> str:
    return value.hex() if isinstance(value, bytes) else value


def _old_fp(value: str) -> bytes:
    try:
        raw = _unhex(value)
    except ValueError:
        raw = b""
    if len(raw) != 16:
        raise ValueError(f"a fingerprint is 32 hex digits, got {value!r}")
    return raw


_ALIVE, _GONE, _ALIVE_AS_LAST, _GONE_AS_LAST = b"\x00", b"\x01", b"\x02", b"\x03"
_OLD_SEEN: Final = object()


def _old_read_state(state: bytes) -> tuple[bytes | None, bytes | None, bool]:
    size = len(state)
    if size == 33:
        return state[:16], state[16:32], state[32] == 1
    if size == 17:
        flag, fingerprint = state[16], state[:16]
        return (fingerprint if flag >= 2 else None), fingerprint, flag in (1, 3)
    return (state or None), None, True


def _old_link_state(
    links: Iterable[LinkItem], source_is_hub: bool
) -> tuple[dict[_OldPackedId, Any], dict[_OldPackedId, bytes]]:
    tgt_of: dict[_OldPackedId, Any] = {}
    state: dict[_OldPackedId, bytes] = {}
    for link in links:
        src, tgt = link.external_id, link.hub_id
        if source_is_hub:
            src, tgt = tgt, src
        ptgt = _old_pack_id(tgt) if len(tgt) == 32 else tgt
        tgt_of[_old_pack_id(src) if len(src) == 32 else src] = ptgt
        last = link.last_fingerprint
        if last:
            try:
                raw = _unhex(last)
            except ValueError:
                raw = b""
            state[ptgt] = raw if len(raw) == 16 else _old_fp(last)
        else:
            state[ptgt] = b""
    return tgt_of, state


def _old_read_target(target: Iterable[SideItem], state: dict[_OldPackedId, bytes]) -> dict[str, tuple[str, str]]:
    by_key: dict[str, tuple[str, str]] = {}
    get = state.get
    for item in target:
        ptgt = _old_pack_id(item.id) if len(item.id) == 32 else item.id
        current = get(ptgt)
        if current is None:
            if not item.deleted:
                by_key.setdefault(item.natural_key, (item.id, item.fingerprint))
            continue
        if len(current) != 16 and current:
            current = _old_read_state(current)[0] or b""
        try:
            fingerprint = _unhex(item.fingerprint)
        except ValueError:
            fingerprint = b""
        if len(fingerprint) != 16:
            _old_fp(item.fingerprint)
        if current == fingerprint:
            state[ptgt] = fingerprint + (_GONE_AS_LAST if item.deleted else _ALIVE_AS_LAST)
        else:
            state[ptgt] = current + fingerprint + (_GONE if item.deleted else _ALIVE)
    return by_key


def _old_hex(value: bytes | None) -> str | None:
    return None if value is None else value.hex()


def _old_linked_change(item: SideItem, ptgt: _OldPackedId, current: bytes) -> Change | None:
    last, tfp, target_gone = _old_read_state(current)
    if item.deleted:
        if target_gone:
            return None
        kind = ChangeKind.DELETED
    else:
        sfp = _old_fp(item.fingerprint)
        if sfp == tfp:
            return None
        if last is None or tfp == last:
            kind = ChangeKind.UPDATED
        elif sfp == last:
            return None
        else:
            kind = ChangeKind.CONFLICT
    return Change(kind, item.id, _old_unpack_id(ptgt), item.natural_key, item.fingerprint, _old_hex(tfp))


def _old_diff_sides(
    source: Iterable[SideItem],
    target: Iterable[SideItem],
    links: Iterable[LinkItem],
    *,
    source_is_hub: bool,
    complete: bool = True,
) -> Iterator[Change]:
    tgt_of, state = _old_link_state(links, source_is_hub)
    by_key = _old_read_target(target, state)
    seen_new: set[_OldPackedId] = set()
    for item in source:
        psrc = _old_pack_id(item.id) if len(item.id) == 32 else item.id
        ptgt = tgt_of.get(psrc)
        if ptgt is None:
            if psrc in seen_new:
                continue
            seen_new.add(psrc)
            if item.deleted:
                continue
            match = by_key.pop(item.natural_key, None)
            if match is None:
                yield Change(ChangeKind.NEW, item.id, None, item.natural_key, item.fingerprint, None)
            else:
                yield Change(ChangeKind.NEW, item.id, match[0], item.natural_key, item.fingerprint, match[1], True)
            continue
        if ptgt is _OLD_SEEN:
            continue
        tgt_of[psrc] = _OLD_SEEN
        current = state[ptgt]
        size = len(current)
        if size > 16 and not item.deleted:
            try:
                sfp = _unhex(item.fingerprint)
            except ValueError:
                sfp = b""
            if len(sfp) == 16 and current.startswith(sfp, size - 17):
                continue
        change = _old_linked_change(item, ptgt, current)
        if change is not None:
            yield change

    if not complete:
        return
    for psrc, ptgt in tgt_of.items():
        if ptgt is _OLD_SEEN:
            continue
        _, tfp, target_gone = _old_read_state(state[ptgt])
        if not target_gone:
            yield Change(ChangeKind.DELETED, _old_unpack_id(psrc), _old_unpack_id(ptgt), "", None, _old_hex(tfp))


# --- the comparison -------------------------------------------------------------------------------------------


def _run(gen: Iterator[Change]) -> tuple[list[Change], str | None]:
    """The changes, and the type of the error that ended them (a malformed fingerprint), if one did."""
    out: list[Change] = []
    try:
        for change in gen:
            out.append(change)
    except (ValueError, TypeError) as error:
        return out, type(error).__name__
    return out, None


def _both(
    source: list[SideItem],
    target: list[SideItem],
    links: list[LinkItem],
    *,
    source_is_hub: bool,
    complete: bool,
    chunk: int,
) -> tuple[tuple[list[Change], str | None], tuple[list[Change], str | None]]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(delta, "_CHUNK", chunk)
        # Iterators, as the engine passes them (pages read lazily), not lists.
        got = _run(diff_sides(iter(source), iter(target), iter(links), source_is_hub=source_is_hub, complete=complete))
    want = _run(_old_diff_sides(source, target, links, source_is_hub=source_is_hub, complete=complete))
    return got, want


def _hub_id(i: int) -> str:
    return f"{(i * 0x9E3779B97F4A7C15 + 12345) % (1 << 128):032x}"


HUB = [_hub_id(i) for i in range(4)] + ["0" * 32, "1" * 32]  # "1" * 32: a hub id that is also all digits
EXTERNAL = ["1", "42", "100123", "999999999999999999", "7"]
LOOK_ALIKES = ["0", "042", "+42", " 42", "4_2", "\u0664\u0662", "1" * 19, _hub_id(0).upper(), "g" * 32, "cus_Ab12", ""]
IDS = HUB + EXTERNAL + LOOK_ALIKES
FPS = [f"{i * 7919:032x}" for i in range(4)] + [f"{7919:032X}"]  # the last: an upper-case form of FPS[1]
BAD_FPS = ["", "zz", "0" * 30, "0" * 34]
KEYS = ["customer000001@example.com", "customer000002@example.com", "k", ""]

ids = st.sampled_from(HUB) | st.sampled_from(EXTERNAL) | st.sampled_from(IDS)
good_fps = st.sampled_from(FPS)
any_fps = good_fps | st.sampled_from(BAD_FPS)
chunks = st.sampled_from([1, 2, 3, 4, 1024])


def _items(fps: st.SearchStrategy[str], max_size: int = 12) -> st.SearchStrategy[list[SideItem]]:
    item = st.builds(SideItem, id=ids, natural_key=st.sampled_from(KEYS), fingerprint=fps, deleted=st.booleans())
    return st.lists(item, max_size=max_size)


def _links(lasts: st.SearchStrategy[str | None], max_size: int = 12) -> st.SearchStrategy[list[LinkItem]]:
    return st.lists(st.builds(LinkItem, hub_id=ids, external_id=ids, last_fingerprint=lasts), max_size=max_size)


@settings(max_examples=500, deadline=None)
@given(
    source=_items(good_fps),
    target=_items(good_fps),
    links=_links(st.none() | st.just("") | good_fps),
    source_is_hub=st.booleans(),
    complete=st.booleans(),
    chunk=chunks,
)
def test_agrees_with_the_previous_implementation(
    source: list[SideItem],
    target: list[SideItem],
    links: list[LinkItem],
    source_is_hub: bool,
    complete: bool,
    chunk: int,
) -> None:
    got, want = _both(source, target, links, source_is_hub=source_is_hub, complete=complete, chunk=chunk)
    assert got == want


@settings(max_examples=300, deadline=None)
@given(
    source=_items(any_fps, 8),
    target=_items(any_fps, 8),
    links=_links(st.none() | any_fps, 8),
    source_is_hub=st.booleans(),
    chunk=chunks,
)
def test_malformed_fingerprints_fail_as_before(
    source: list[SideItem], target: list[SideItem], links: list[LinkItem], source_is_hub: bool, chunk: int
) -> None:
    got, want = _both(source, target, links, source_is_hub=source_is_hub, complete=True, chunk=chunk)
    assert got == want


def _fp(i: int) -> str:
    return f"{i * 7919:032x}"


@st.composite
def engine_sets(draw: st.DrawFn) -> tuple[list[SideItem], list[SideItem], list[LinkItem]]:
    """What the planner feeds it: hub ids and decimal external ids, mostly one link per id, the hub read in id
    order, the system in any order; with now and then a record twice, one missing, deleted ones, a case-duplicate
    e-mail (two records, one natural key, one of them unlinked), a link whose source id is also read unlinked
    (another link took it), and a link to an id that is no hub id."""
    n = draw(st.integers(0, 12))
    fp = st.integers(0, 3).map(_fp)
    links = [LinkItem(_hub_id(i), str(1000 + i), draw(st.none() | fp)) for i in range(n)]
    key = [f"customer{i:06d}@example.com" for i in range(n + 2)]
    twin = draw(st.integers(0, n + 1))
    key[draw(st.integers(0, n + 1))] = key[twin]  # two records share an e-mail
    for _ in range(draw(st.integers(0, 2))):
        if not n:
            break
        other = links[draw(st.integers(0, n - 1))]
        extra = draw(
            st.sampled_from(
                [
                    LinkItem(other.hub_id, str(5000 + n), _fp(1)),
                    LinkItem(_hub_id(900), other.external_id, _fp(2)),
                    LinkItem(_hub_id(n + 1), other.external_id, None),
                    LinkItem(other.hub_id, str(1000 + n + 1), _fp(0)),
                    LinkItem("h1", "5001", _fp(3)),
                    LinkItem(other.hub_id.upper(), "5002", None),
                ]
            )
        )
        links.insert(draw(st.integers(0, len(links))), extra)
    hub = [SideItem(_hub_id(i), key[i], draw(fp), draw(st.integers(0, 5)) == 0) for i in range(n + 2)]
    system = [SideItem(str(1000 + i), key[i], draw(fp), draw(st.integers(0, 5)) == 0) for i in range(n + 2)]
    for items in (hub, system):
        kept = [item for item in items if draw(st.integers(0, 7))]
        for _ in range(draw(st.integers(0, 2))):
            if kept:
                kept.insert(draw(st.integers(0, len(kept))), kept[draw(st.integers(0, len(kept) - 1))])
        items[:] = draw(st.permutations(kept)) if draw(st.booleans()) else kept
    if draw(st.booleans()):
        links = draw(st.permutations(links))
    return hub, system, links


@settings(max_examples=500, deadline=None)
@given(sets=engine_sets(), source_is_hub=st.booleans(), complete=st.booleans(), chunk=chunks)
def test_agrees_with_the_previous_implementation_on_engine_shapes(
    sets: tuple[list[SideItem], list[SideItem], list[LinkItem]], source_is_hub: bool, complete: bool, chunk: int
) -> None:
    hub, system, links = sets
    source, target = (hub, system) if source_is_hub else (system, hub)
    got, want = _both(source, target, links, source_is_hub=source_is_hub, complete=complete, chunk=chunk)
    assert got == want


def _reads(
    diff: Any, source: list[SideItem], target: list[SideItem], links: list[LinkItem], **kwargs: Any
) -> list[tuple[Change | None, tuple[int, int, int]]]:
    """Each change with how many source, target and link items had been read when it was yielded (the planner
    keeps only the source's current page, so a change must come before the next item is read)."""
    read = [0, 0, 0]

    def counted(items: Iterable[Any], which: int) -> Iterator[Any]:
        for item in items:
            read[which] += 1
            yield item

    out: list[tuple[Change | None, tuple[int, int, int]]] = [
        (change, (read[0], read[1], read[2]))
        for change in diff(counted(source, 0), counted(target, 1), counted(links, 2), **kwargs)
    ]
    out.append((None, (read[0], read[1], read[2])))
    return out


@settings(max_examples=400, deadline=None)
@given(sets=engine_sets(), source_is_hub=st.booleans(), complete=st.booleans(), chunk=chunks)
def test_reads_its_inputs_as_before(
    sets: tuple[list[SideItem], list[SideItem], list[LinkItem]], source_is_hub: bool, complete: bool, chunk: int
) -> None:
    hub, system, links = sets
    source, target = (hub, system) if source_is_hub else (system, hub)
    kwargs: dict[str, Any] = {"source_is_hub": source_is_hub, "complete": complete}
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(delta, "_CHUNK", chunk)
        got = _reads(diff_sides, source, target, links, **kwargs)
    assert got == _reads(_old_diff_sides, source, target, links, **kwargs)
