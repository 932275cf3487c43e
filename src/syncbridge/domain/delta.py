"""The delta between two sides (a system and the hub): new, updated, deleted and conflicting records.

Pure: values in, values out. The source is the side being read, the target the side changes would be applied
to; links map hub ids to external ids and remember the fingerprint both sides had at the last sync.

Memory grows with the number of ids, never with record size: ids are packed (32-hex hub ids to 16 raw bytes,
decimal ids to ints), fingerprints are kept as 16 raw bytes, and the source is consumed as a stream, one item at
a time. For each link the only state kept is the target id and ``(last fingerprint, target fingerprint, target
deleted)`` in one ``bytes`` (the fingerprint once when both are equal, as they are after a sync).

Speed: at a million links the cost is memory latency (a random dict access is a cache and TLB miss), so the maps
are laid out for few random accesses. Links and target are read in chunks with C-level passes (map, zip, one
unhexlify of the joined hex); what those cannot settle is done item by item, in order, so the outcome is the
same. Usually (the target ids are hub ids, no two links share an id) one dict maps the source id to target id +
state and the target id is only an index into it, so a source item costs one lookup; otherwise
``source id -> target id`` and ``target id -> state``.
"""

from __future__ import annotations

import binascii
import struct
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from itertools import compress, islice, repeat
from operator import add, and_, attrgetter, eq, gt, is_not, not_
from typing import Any, Final

import orjson

from syncbridge.domain.fingerprint import diff_fields
from syncbridge.domain.records import Record
from syncbridge.domain.seen import SeenIds, SeenRaw


@dataclass(frozen=True, slots=True)
class SideItem:
    """One record as seen in a system (``id`` = external id) or in the hub (``id`` = hub id)."""

    id: str
    natural_key: str
    fingerprint: str  # 32 hex digits (fingerprint_of)
    deleted: bool = False  # archived / trashed / gone-marked


@dataclass(frozen=True, slots=True)
class LinkItem:
    hub_id: str
    external_id: str
    last_fingerprint: str | None = None


class ChangeKind(StrEnum):
    NEW = "new"
    UPDATED = "updated"
    DELETED = "deleted"
    CONFLICT = "conflict"


@dataclass(frozen=True, slots=True)
class Change:
    """One difference. ``natural_key`` is ``""`` for a deletion seen by absence (the target record has it)."""

    kind: ChangeKind
    source_id: str | None  # id on the side being read
    target_id: str | None  # id on the side being written (None for NEW unless matched by natural key)
    natural_key: str
    source_fingerprint: str | None
    target_fingerprint: str | None
    matched_by_natural_key: bool = False  # NEW whose natural key exists, unlinked, on the target side


@dataclass(frozen=True, slots=True)
class DeltaCounts:
    new: int = 0
    updated: int = 0
    deleted: int = 0
    conflict: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"new": self.new, "updated": self.updated, "deleted": self.deleted, "conflict": self.conflict}


def count_changes(changes: Iterable[Change]) -> DeltaCounts:
    tally = dict.fromkeys(ChangeKind, 0)
    for change in changes:
        tally[change.kind] += 1
    return DeltaCounts(
        new=tally[ChangeKind.NEW],
        updated=tally[ChangeKind.UPDATED],
        deleted=tally[ChangeKind.DELETED],
        conflict=tally[ChangeKind.CONFLICT],
    )


# Packed ids: 16 raw bytes for a lower-case 32-hex id (hub ids are uuid hex), an int for a decimal id of 1 to 18
# digits without a leading zero (WooCommerce and Odoo ids), else the string itself. The packing round-trips
# exactly, so equality of packed ids is equality of ids.
PackedId = bytes | int | str
_unhex: Final = binascii.unhexlify


def pack_id(value: str) -> PackedId:
    size = len(value)
    if size == 32:
        try:
            raw = _unhex(value)
        except ValueError:
            return value
        return raw if raw.hex() == value else value
    if size < 19 and value.isascii() and value.isdigit() and value[0] != "0":
        return int(value)
    return value


def unpack_id(value: PackedId) -> str:
    if isinstance(value, bytes):
        return value.hex()
    return value if isinstance(value, str) else str(value)


def _fp(value: str) -> bytes:
    try:
        raw = _unhex(value)
    except ValueError:
        raw = b""
    if len(raw) != 16:
        raise ValueError(f"a fingerprint is 32 hex digits, got {value!r}")
    return raw


_CHUNK = 1024  # links and target items per C-level pass


@lru_cache(maxsize=64)
def _struct(fmt: str, count: int) -> struct.Struct:
    return struct.Struct(fmt * count)


def _split(raw: bytes, fmt: str, size: int) -> tuple[bytes, ...]:
    """``raw`` cut into records of ``size`` bytes, each unpacked by ``fmt`` ("16s", or "16sx" to drop a byte)."""
    return _struct(fmt, len(raw) // size).unpack(raw)


def _pack_many(ids: list[str]) -> tuple[Sequence[PackedId], set[type]]:
    """``pack_id`` of each id (a tuple of bytes when all are 32-hex, ``ids`` itself when none packs) and the
    types they were packed to."""
    lengths = set(map(len, ids))
    if len(lengths) == 1:
        (size,) = lengths
        joined = "".join(ids)
        if size == 32:
            try:
                raw = _unhex(joined)
            except ValueError:
                raw = b""
            if raw and raw.hex() == joined:
                return _split(raw, "16s", 16), {bytes}
        elif 0 < size < 19 and joined.isascii() and joined.isdigit() and "0" not in joined[::size]:
            return _ints(ids), {int}
    elif max(lengths) < 19 and 0 not in lengths:
        joined = "".join(ids)
        if joined.isascii() and joined.isdigit() and not any(map(str.startswith, ids, repeat("0"))):
            return _ints(ids), {int}
    if 32 not in lengths and not any(map(str.isdigit, ids)):
        return ids, set()
    packed = list(map(pack_id, ids))
    types = set(map(type, packed)) - {str}
    return (packed if types else ids), types


def _ints(ids: list[str]) -> list[int]:
    """Decimal ids of 1 to 18 digits as ints (orjson reads a JSON list of them faster than int() does)."""
    return orjson.loads("[" + ",".join(ids) + "]")  # type: ignore[no-any-return]


def _raw_many(values: list[Any], suffix: bytes = b"") -> bytes | None:
    """The values, each 32 hex digits, as raw bytes with ``suffix`` (0 or 1 byte) after each; None unless every
    value is a 32-hex string (then the caller takes them one at a time, which says what is wrong)."""
    sep = suffix.hex()
    try:
        joined = sep.join(values)
    except TypeError:
        return None
    if set(map(len, values)) != {32}:
        return None
    try:
        return _unhex(joined + sep)
    except ValueError:
        return None


# Link state, one bytes value; its length says what it holds:
#   0: no last fingerprint, target not seen
#  16: the target fingerprint, which is the last one, target alive (the usual case after a sync)
#  17: fingerprint + flag: 4 = the last fingerprint, target not seen; 0 / 1 = the target fingerprint, no last
#      one, target alive / deleted; 3 = the target fingerprint, which is the last one, target deleted
#  33: last + target fingerprint + flag 0 / 1 (they differ; target alive / deleted)
# Every non-empty state starts with the last or the target fingerprint: when a live source item has that
# fingerprint, it did not change (at most the target did, which the other direction carries).
_ALIVE, _GONE, _GONE_AS_LAST, _NOT_SEEN = b"\x00", b"\x01", b"\x03", b"\x04"
_SEEN: Final = object()  # in place of a source id's entry once it is read (also for unlinked ids)
_ID: Final = attrgetter("id")
_FINGERPRINT: Final = attrgetter("fingerprint")
_DELETED: Final = attrgetter("deleted")
_EXTERNAL_ID: Final = attrgetter("external_id")
_HUB_ID: Final = attrgetter("hub_id")
_LAST: Final = attrgetter("last_fingerprint")


def _read_state(state: bytes) -> tuple[bytes | None, bytes | None, bool]:
    """(last fingerprint, target fingerprint, target deleted or absent)."""
    size = len(state)
    if size == 16:
        return state, state, False
    if size == 17:
        flag, fingerprint = state[16], state[:16]
        if flag == 4:
            return fingerprint, None, True
        return (fingerprint if flag == 3 else None), fingerprint, flag != 0
    if size == 33:
        return state[:16], state[16:32], state[32] == 1
    return None, None, True


def _link_value(last: str | None) -> bytes:
    return _fp(last) + _NOT_SEEN if last else b""


def _seen_state(current: bytes, item: SideItem) -> bytes:
    """The state once the target item is read (an id read twice: the last one counts)."""
    last = _read_state(current)[0] or b""
    fingerprint = _fp(item.fingerprint)
    if fingerprint == last:
        return fingerprint + _GONE_AS_LAST if item.deleted else fingerprint
    return last + fingerprint + (_GONE if item.deleted else _ALIVE)


class _Links:
    """The links, read. Fused (the usual case: every target id packs to 16 bytes, no two links share an id):
    ``by_source`` maps the source id to the state, then (once the target is read) to target id + state, and
    ``by_target`` maps the target id to the source id. Else ``by_source`` maps the source id to the target id
    and ``by_target`` the target id to the state. Read source ids are replaced by ``_SEEN`` in ``by_source``."""

    __slots__ = ("by_source", "by_target", "fused", "packed_to")

    def __init__(self) -> None:
        self.by_source: dict[PackedId, Any] = {}
        self.by_target: dict[PackedId, Any] = {}
        self.fused = True
        self.packed_to: set[type] = set()  # what the source ids were packed to

    def add(self, psrc: Sequence[PackedId], ptgt: Sequence[PackedId], states: Sequence[bytes]) -> None:
        by_source, by_target = self.by_source, self.by_target
        if self.fused:
            had = len(by_source)  # == len(by_target), one to one so far
            if type(ptgt) is tuple:  # all 16 bytes (_pack_many)
                deque(map(by_source.setdefault, psrc, states), 0)
                deque(map(by_target.setdefault, ptgt, psrc), 0)
                if len(by_source) == len(by_target) == had + len(psrc):
                    return
            self._unfuse(had)  # a target id that is not a hub id, or an id twice: the general maps
        self.by_source.update(zip(psrc, ptgt, strict=True))
        self.by_target.update(zip(ptgt, states, strict=True))

    def _unfuse(self, count: int) -> None:
        """Switch to the general maps, in place, keeping the first ``count`` links (one to one, in the same order
        in both maps)."""
        by_source, by_target = self.by_source, self.by_target
        for extra in list(islice(by_source, count, None)):
            del by_source[extra]
        for extra in list(islice(by_target, count, None)):
            del by_target[extra]
        for (source, state), target in zip(by_source.items(), by_target, strict=True):
            by_source[source] = target  # values only: the maps keep their keys and order
            by_target[target] = state
        self.fused = False


def _read_links(links: Iterable[LinkItem], source_is_hub: bool) -> _Links:
    read = _Links()
    rest = iter(links)
    while chunk := list(islice(rest, _CHUNK)):
        src, tgt = list(map(_EXTERNAL_ID, chunk)), list(map(_HUB_ID, chunk))
        if source_is_hub:
            src, tgt = tgt, src
        psrc, packed_to = _pack_many(src)
        read.packed_to |= packed_to
        lasts = list(map(_LAST, chunk))
        raw = _raw_many(lasts, _NOT_SEEN)
        states = list(map(_link_value, lasts)) if raw is None else _split(raw, "17s", 17)
        read.add(psrc, _pack_many(tgt)[0], states)
    return read


def _read_target(target: Iterable[SideItem], read: _Links) -> dict[str, tuple[str, str]]:
    """Put what the target says into the link states; return the unlinked live target items by natural key.

    Quick, by chunk: the target id is linked and not read yet, its item is alive and has the last fingerprint:
    the state becomes that fingerprint. Anything else goes item by item, in order."""
    by_key: dict[str, tuple[str, str]] = {}
    by_source, by_target, fused = read.by_source, read.by_target, read.fused
    rest = iter(target)
    while chunk := list(islice(rest, _CHUNK)):
        count = len(chunk)
        id_strs, fingerprints = list(map(_ID, chunk)), list(map(_FINGERPRINT, chunk))
        # The quick items' keys and new values (fused: source id and target id + state; else target id and state).
        keys: Sequence[Any] = ()
        values: Sequence[bytes] = ()
        quick: list[bool] | None = None
        ids = _pack_many(id_strs)[0]
        raw = _raw_many(fingerprints, _NOT_SEEN)  # as the state of a link whose last fingerprint they are
        if raw is not None and (type(ids) is tuple or not fused):  # (fused: linked target ids are 16 bytes)
            expected, seen = _split(raw, "17s", 17), _split(raw, "16sx", 17)
            if fused:
                keys = list(map(by_target.get, ids))
                quick = list(map(eq, map(by_source.get, keys), expected))
                values = list(map(add, ids, seen))
            else:
                keys, values = ids, seen
                quick = list(map(eq, map(by_target.get, ids), expected))
        if quick is None:
            quick = [False] * count
        else:
            deleted = list(map(_DELETED, chunk))
            if any(deleted):
                quick = list(map(and_, quick, map(not_, deleted)))
        done = 0
        for i in compress(range(count), map(not_, quick)):
            if done < i:
                (by_source if fused else by_target).update(zip(keys[done:i], values[done:i], strict=True))
            item = chunk[i]
            if fused:
                _target_item_fused(item, ids[i], by_source, by_target, by_key)
            else:
                _target_item(item, ids[i], by_target, by_key)
            done = i + 1
        if done < count:
            (by_source if fused else by_target).update(zip(keys[done:], values[done:], strict=True))
    if fused:
        if min(map(len, by_source.values()), default=32) < 32:  # a linked target not read: give it its id
            states = map(by_source.__getitem__, by_target.values())
            for ptgt, psrc in compress(by_target.items(), map(gt, repeat(32), map(len, states))):
                by_source[psrc] = ptgt + by_source[psrc]
        read.by_target = {}  # not needed any more
    return by_key


def _target_item(
    item: SideItem, ptgt: PackedId, state: dict[PackedId, bytes], by_key: dict[str, tuple[str, str]]
) -> None:
    current = state.get(ptgt)
    if current is None:
        if not item.deleted:
            by_key.setdefault(item.natural_key, (item.id, item.fingerprint))
        return
    state[ptgt] = _seen_state(current, item)


def _target_item_fused(
    item: SideItem,
    ptgt: PackedId,
    by_source: dict[PackedId, Any],
    by_target: dict[PackedId, Any],
    by_key: dict[str, tuple[str, str]],
) -> None:
    psrc = by_target.get(ptgt)
    if psrc is None:
        if not item.deleted:
            by_key.setdefault(item.natural_key, (item.id, item.fingerprint))
        return
    value = by_source[psrc]  # the state alone, or target id + state once the id was read
    current = value if len(value) in (0, 17) else value[16:]
    by_source[psrc] = ptgt + _seen_state(current, item)  # type: ignore[operator]


def _linked_change(item: SideItem, ptgt: PackedId, current: bytes) -> Change | None:
    return _change_of(item, ptgt, *_read_state(current))


def _change_of(
    item: SideItem, ptgt: PackedId, last: bytes | None, tfp: bytes | None, target_gone: bool
) -> Change | None:
    if item.deleted:
        if target_gone:
            return None
        kind = ChangeKind.DELETED
    else:
        sfp = _fp(item.fingerprint)
        if sfp == tfp:
            return None
        if last is None or tfp == last:
            kind = ChangeKind.UPDATED
        elif sfp == last:
            return None  # only the target changed: the other direction carries it
        else:
            kind = ChangeKind.CONFLICT
    return Change(kind, item.id, unpack_id(ptgt), item.natural_key, item.fingerprint, _hex(tfp))


def linked_change(
    item: SideItem, target_id: str, last: str | None, target_fingerprint: str | None, target_gone: bool
) -> Change | None:
    """The change a linked source item implies: ``last`` is the link's last fingerprint, ``target_fingerprint``
    the target's (None when the target was not found), ``target_gone`` whether it is deleted or was not found.
    The same rule ``diff_sides`` applies; the store-backed delta (``engine.store_delta``) calls it per item."""
    return _change_of(
        item,
        target_id,
        _fp(last) if last else None,
        _fp(target_fingerprint) if target_fingerprint else None,
        target_gone,
    )


def absent_source_change(source_id: str, target_id: str, target_fingerprint: str | None) -> Change:
    """A linked source record that a complete read did not list: deleted at the source (the caller has checked
    that the target is still alive)."""
    return Change(ChangeKind.DELETED, source_id, target_id, "", None, target_fingerprint)


def new_change(item: SideItem, match: tuple[str, str] | None) -> Change | None:
    """The change an unlinked source item implies: nothing if it is deleted, else NEW, matched by natural key
    when ``match`` (target id, target fingerprint) is the unlinked live target record with its natural key."""
    if item.deleted:
        return None
    if match is None:
        return Change(ChangeKind.NEW, item.id, None, item.natural_key, item.fingerprint, None)
    return Change(ChangeKind.NEW, item.id, match[0], item.natural_key, item.fingerprint, match[1], True)


def _new_change(item: SideItem, by_key: dict[str, tuple[str, str]]) -> Change | None:
    return None if item.deleted else new_change(item, by_key.pop(item.natural_key, None))


def diff_sides(
    source: Iterable[SideItem],
    target: Iterable[SideItem],
    links: Iterable[LinkItem],
    *,
    source_is_hub: bool,
    complete: bool = True,
) -> Iterator[Change]:
    """The changes that applying ``source`` to ``target`` implies, streamed while ``source`` is read.

    Links and target are read first into compact maps; the source is consumed once, one item at a time: the
    change an item implies is yielded before the next item is read (callers keep only the current page of
    records). ``complete=False`` (an incremental read) means items missing from the source are not deletions.
    A source id read twice (paging shifted) counts once, the first time.
    """
    read = _read_links(links, source_is_hub)
    by_key = _read_target(target, read)
    by_source, state, fused = read.by_source, read.by_target, read.fused
    get = by_source.get
    # pack_id, inlined for decimal ids; an id is looked up as it is when no linked source id was packed (then a
    # packed form of it could not be linked either).
    decimal, other = int in read.packed_to, bool(read.packed_to - {int})
    new_ids = SeenIds()  # unlinked decimal source ids read so far (2 bits to 2 bytes each, not a dict entry)
    new_raw = SeenRaw()  # unlinked 32-hex source ids (hub ids) read so far (16 bytes each, read in order)
    # No change (the usual case): a live item whose fingerprint, as lower-case hex, is what its link state
    # starts with (see the link state). Else _linked_change sorts it out, and says what is wrong with a
    # malformed fingerprint.
    for item in source:
        key: PackedId = (sid := item.id)
        if decimal and sid.isascii() and sid.isdigit() and sid[0] != "0" and len(sid) < 19:
            key = int(sid)
        elif other:
            key = pack_id(sid)
        value = get(key)
        if value is None:  # not linked: remembered compactly (a first read of a big catalog is all of these)
            if sid.isascii() and sid.isdigit() and sid[0] != "0" and len(sid) < 19:
                number = int(sid)  # no link has this id in any form: linked decimal ids are packed to ints
                if number in new_ids:
                    continue  # the same id twice in one read (paging shifted): the first one counts
                new_ids.add(number)
            elif type(packed := key if type(key) is bytes else pack_id(sid)) is bytes:
                if not new_raw.add(packed):
                    continue  # the same id twice in one read
            else:
                by_source[key] = _SEEN
            change = _new_change(item, by_key)
        elif value is _SEEN:
            continue  # the same id twice in one read (paging shifted): the first one counts
        else:
            by_source[key] = _SEEN
            if fused:  # value: target id (16 bytes) + state
                if not item.deleted and value[16:32].hex() == item.fingerprint != "":
                    continue
                change = _linked_change(item, value[:16], value[16:])
            else:
                current = state[value]
                if not item.deleted and current[:16].hex() == item.fingerprint != "":
                    continue
                change = _linked_change(item, value, current)
        if change is not None:
            yield change

    if not complete:
        return
    for psrc, value in compress(by_source.items(), map(is_not, by_source.values(), repeat(_SEEN))):
        ptgt, current = (value[:16], value[16:]) if fused else (value, state[value])
        _, tfp, target_gone = _read_state(current)
        if not target_gone:
            yield absent_source_change(unpack_id(psrc), unpack_id(ptgt), _hex(tfp))


def _hex(value: bytes | None) -> str | None:
    return None if value is None else value.hex()


def field_diff(old: Record, new: Record) -> dict[str, dict[str, Any]]:
    """The comparable fields that differ, ``{field: {"old": ..., "new": ...}}`` in canonical JSON form."""
    return {name: {"old": before, "new": after} for name, (before, after) in diff_fields(old, new).items()}
