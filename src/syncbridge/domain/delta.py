"""The delta between two sides (a system and the hub): new, updated, deleted and conflicting records.

Pure: values in, values out. The source is the side being read, the target the side changes would be applied
to; links map hub ids to external ids and remember the fingerprint both sides had at the last sync.

Memory grows with the number of ids, never with record size: 32-hex ids (hub ids) and fingerprints are packed
to 16 raw bytes, and the source is consumed as a stream. For each link the only state kept is
``source id -> target id`` and ``target id -> (last fingerprint, target fingerprint, target deleted)`` in one
``bytes`` (the fingerprint once when both are equal, as they are after a sync).
"""

from __future__ import annotations

import binascii
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final

from syncbridge.domain.fingerprint import diff_fields
from syncbridge.domain.records import Record


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


# Packed ids: 16 raw bytes for a lower-case 32-hex id (hub ids are uuid hex), else the string itself. The
# packing round-trips exactly, so equality of packed ids is equality of ids.
PackedId = bytes | str
_unhex: Final = binascii.unhexlify


def pack_id(value: str) -> PackedId:
    if len(value) == 32:
        try:
            raw = _unhex(value)
        except ValueError:
            return value
        return raw if raw.hex() == value else value
    return value


def unpack_id(value: PackedId) -> str:
    return value.hex() if isinstance(value, bytes) else value


def _fp(value: str) -> bytes:
    try:
        raw = _unhex(value)
    except ValueError:
        raw = b""
    if len(raw) != 16:
        raise ValueError(f"a fingerprint is 32 hex digits, got {value!r}")
    return raw


# Link state, one bytes value per linked target id; its length says what it holds:
#   0: no last fingerprint, target not seen          16: last fingerprint, target not seen
#  17: target fingerprint + flag                      33: last + target fingerprint + flag (they differ)
# flag: 0 alive, 1 deleted; for 17 bytes also 2 alive, 3 deleted: the target fingerprint IS the last one
# (the usual case after a sync, so it is stored once).
_ALIVE, _GONE, _ALIVE_AS_LAST, _GONE_AS_LAST = b"\x00", b"\x01", b"\x02", b"\x03"
_SEEN: Final = object()


def _read_state(state: bytes) -> tuple[bytes | None, bytes | None, bool]:
    """(last fingerprint, target fingerprint, target deleted or absent)."""
    size = len(state)
    if size == 33:
        return state[:16], state[16:32], state[32] == 1
    if size == 17:
        flag, fingerprint = state[16], state[:16]
        return (fingerprint if flag >= 2 else None), fingerprint, flag in (1, 3)
    return (state or None), None, True


def _link_state(
    links: Iterable[LinkItem], source_is_hub: bool
) -> tuple[dict[PackedId, Any], dict[PackedId, bytes]]:
    tgt_of: dict[PackedId, Any] = {}  # source id -> target id (then _SEEN once the source item is read)
    state: dict[PackedId, bytes] = {}  # linked target id -> packed link state
    # pack_id is inlined as "len(x) == 32 and pack_id(x)": only 32-character ids can pack, and calls cost.
    for link in links:
        src, tgt = link.external_id, link.hub_id
        if source_is_hub:
            src, tgt = tgt, src
        ptgt = pack_id(tgt) if len(tgt) == 32 else tgt
        tgt_of[pack_id(src) if len(src) == 32 else src] = ptgt
        last = link.last_fingerprint
        if last:
            try:
                raw = _unhex(last)
            except ValueError:
                raw = b""
            state[ptgt] = raw if len(raw) == 16 else _fp(last)  # _fp raises, naming the bad value
        else:
            state[ptgt] = b""
    return tgt_of, state


def _read_target(target: Iterable[SideItem], state: dict[PackedId, bytes]) -> dict[str, tuple[str, str]]:
    """Fill the link state from the target; return the unlinked live target items by natural key."""
    by_key: dict[str, tuple[str, str]] = {}
    get = state.get
    for item in target:
        ptgt = pack_id(item.id) if len(item.id) == 32 else item.id
        current = get(ptgt)
        if current is None:
            if not item.deleted:
                by_key.setdefault(item.natural_key, (item.id, item.fingerprint))
            continue
        if len(current) != 16 and current:  # the same target id twice: the last one counts
            current = _read_state(current)[0] or b""
        try:
            fingerprint = _unhex(item.fingerprint)
        except ValueError:
            fingerprint = b""
        if len(fingerprint) != 16:
            _fp(item.fingerprint)  # raises, naming the bad value
        if current == fingerprint:
            state[ptgt] = fingerprint + (_GONE_AS_LAST if item.deleted else _ALIVE_AS_LAST)
        else:
            state[ptgt] = current + fingerprint + (_GONE if item.deleted else _ALIVE)
    return by_key


def _linked_change(item: SideItem, ptgt: PackedId, current: bytes) -> Change | None:
    last, tfp, target_gone = _read_state(current)
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


def diff_sides(
    source: Iterable[SideItem],
    target: Iterable[SideItem],
    links: Iterable[LinkItem],
    *,
    source_is_hub: bool,
    complete: bool = True,
) -> Iterator[Change]:
    """The changes that applying ``source`` to ``target`` implies, streamed while ``source`` is read.

    Links and target are read first into compact maps; the source is consumed once. ``complete=False`` (an
    incremental read) means items missing from the source are not deletions.
    """
    tgt_of, state = _link_state(links, source_is_hub)
    by_key = _read_target(target, state)
    seen_new: set[PackedId] = set()
    for item in source:
        psrc = pack_id(item.id) if len(item.id) == 32 else item.id
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
        if ptgt is _SEEN:
            continue  # the same id twice in one read (paging shifted): the first one counts
        tgt_of[psrc] = _SEEN
        current = state[ptgt]
        size = len(current)
        if size > 16 and not item.deleted:  # the common case, kept fast: linked, target seen, unchanged
            try:
                sfp = _unhex(item.fingerprint)
            except ValueError:
                sfp = b""  # _linked_change says what is wrong with it
            if len(sfp) == 16 and current.startswith(sfp, size - 17):
                continue
        change = _linked_change(item, ptgt, current)
        if change is not None:
            yield change

    if not complete:
        return
    for psrc, ptgt in tgt_of.items():
        if ptgt is _SEEN:
            continue
        _, tfp, target_gone = _read_state(state[ptgt])
        if not target_gone:
            yield Change(ChangeKind.DELETED, unpack_id(psrc), unpack_id(ptgt), "", None, _hex(tfp))


def _hex(value: bytes | None) -> str | None:
    return None if value is None else value.hex()


def field_diff(old: Record, new: Record) -> dict[str, dict[str, Any]]:
    """The comparable fields that differ, ``{field: {"old": ..., "new": ...}}`` in canonical JSON form."""
    return {name: {"old": before, "new": after} for name, (before, after) in diff_fields(old, new).items()}
