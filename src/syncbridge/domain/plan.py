"""Planned operations: what a run will do, before it does it.

A ``PlannedOp`` is one effect on one target system. It carries everything needed to apply it later, in another
process, after a crash: the desired record, the ids on both sides, and an idempotency key derived from
(org, target system, entity, hub id or natural key, operation, target fingerprint), so the same effect planned
twice has the same key and is applied once.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from syncbridge.connectors.base import Operation, OpKind
from syncbridge.domain.codec import from_dict, to_dict
from syncbridge.domain.delta import Change, ChangeKind
from syncbridge.domain.fingerprint import fingerprint_of
from syncbridge.domain.records import EntityType, Record, System


class Direction(StrEnum):
    TWO_WAY = "two-way"  # systems -> hub, then hub -> systems
    TO_HUB = "to-hub"  # systems -> hub only
    FROM_HUB = "from-hub"  # hub -> systems only


@dataclass(frozen=True, slots=True)
class Selective:
    include_new: bool = True
    include_updated: bool = True
    include_deleted: bool = False

    def allows(self, kind: ChangeKind) -> bool:
        if kind is ChangeKind.NEW:
            return self.include_new
        if kind is ChangeKind.UPDATED:
            return self.include_updated
        if kind is ChangeKind.DELETED:
            return self.include_deleted
        return True  # conflicts always surface

    def to_json(self) -> dict[str, bool]:
        return {
            "includeNew": self.include_new,
            "includeUpdated": self.include_updated,
            "includeDeleted": self.include_deleted,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> Selective:
        data = data or {}
        return cls(
            include_new=bool(data.get("includeNew", data.get("include_new", True))),
            include_updated=bool(data.get("includeUpdated", data.get("include_updated", True))),
            include_deleted=bool(data.get("includeDeleted", data.get("include_deleted", False))),
        )


def idempotency_key(
    org_id: str, target: System | str, entity: EntityType | str, who: str, kind: OpKind | str, fingerprint: str | None
) -> str:
    raw = "\x1f".join((org_id, str(target), str(entity), who, str(kind), fingerprint or "-"))
    return hashlib.sha256(raw.encode()).hexdigest()[:48]


@dataclass(frozen=True, slots=True)
class PlannedOp:
    key: str
    kind: OpKind
    entity: EntityType
    source_system: System
    target_system: System
    natural_key: str
    record: Record | None  # desired state (create / update), last known state (delete)
    hub_id: str | None = None
    source_id: str | None = None  # the record's id in the source system
    target_id: str | None = None  # the record's id in the target system (update / delete, or a matched create)
    source_fingerprint: str | None = None
    change: ChangeKind = ChangeKind.NEW
    # fingerprint_of(record), computed once; not an init field, so dataclasses.replace never carries it over
    _fingerprint: str | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def target_fingerprint(self) -> str | None:
        if self.record is None:
            return None
        if self._fingerprint is None:
            object.__setattr__(self, "_fingerprint", fingerprint_of(self.record))
        return self._fingerprint

    def operation(self) -> Operation:
        return Operation(
            key=self.key, kind=self.kind, entity=self.entity, record=self.record, external_id=self.target_id
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "kind": self.kind.value,
            "entity": self.entity.value,
            "source_system": self.source_system.value,
            "target_system": self.target_system.value,
            "natural_key": self.natural_key,
            "record": to_dict(self.record) if self.record is not None else None,
            "hub_id": self.hub_id,
            "source_id": self.source_id,
            "target_id": self.target_id,
            "source_fingerprint": self.source_fingerprint,
            "change": self.change.value,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PlannedOp:
        entity = EntityType(data["entity"])
        return cls(
            key=data["key"],
            kind=OpKind(data["kind"]),
            entity=entity,
            source_system=System(data["source_system"]),
            target_system=System(data["target_system"]),
            natural_key=data["natural_key"],
            record=from_dict(entity, data["record"]) if data.get("record") is not None else None,
            hub_id=data.get("hub_id"),
            source_id=data.get("source_id"),
            target_id=data.get("target_id"),
            source_fingerprint=data.get("source_fingerprint"),
            change=ChangeKind(data.get("change", "new")),
        )


def plan_op(
    org_id: str,
    change: Change,
    *,
    entity: EntityType,
    source_system: System,
    target_system: System,
    record: Record | None,
    hub_id: str | None,
    fingerprint: str | None = None,
) -> PlannedOp:
    """The operation a change asks for on the target side (a delta ``Change`` plus the source record).

    ``fingerprint``, when the caller knows it, is ``fingerprint_of(record)`` (the hub stores it with each row)."""
    if change.kind is ChangeKind.DELETED:
        kind = OpKind.DELETE
    elif change.target_id is not None:
        kind = OpKind.UPDATE
    else:
        kind = OpKind.CREATE
    who = hub_id or f"nk:{change.natural_key}"
    if record is not None and fingerprint is None and kind is not OpKind.DELETE:
        fingerprint = fingerprint_of(record)
    target_fp = fingerprint if kind is not OpKind.DELETE else None
    op = PlannedOp(
        key=idempotency_key(org_id, target_system, entity, who, kind, target_fp),
        kind=kind,
        entity=entity,
        source_system=source_system,
        target_system=target_system,
        natural_key=change.natural_key,
        record=record,
        hub_id=hub_id,
        source_id=change.source_id,
        target_id=change.target_id,
        source_fingerprint=change.source_fingerprint,
        change=change.kind,
    )
    if record is not None and fingerprint is not None:
        object.__setattr__(op, "_fingerprint", fingerprint)
    return op
