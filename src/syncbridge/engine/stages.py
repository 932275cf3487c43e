"""A run's stages: the ordered (direction, system, entity) steps it goes through.

Two-way: for each entity in dependency order, read every system into the hub (``in``), then push the hub out to
every system (``out``). Each stage's plan is written as batches before any of that stage's writes, and later
stages are planned from the state earlier stages left, so a change read from WooCommerce reaches Odoo in the
same run.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from syncbridge.domain.plan import Direction
from syncbridge.domain.records import ENTITY_ORDER, EntityType, System


@dataclass(frozen=True, slots=True)
class Stage:
    way: str  # "in": system -> hub; "out": hub -> system
    system: System
    entity: EntityType

    @property
    def source(self) -> System:
        return self.system if self.way == "in" else System.HUB

    @property
    def target(self) -> System:
        return System.HUB if self.way == "in" else self.system

    def to_json(self) -> dict[str, Any]:
        return {"way": self.way, "system": self.system.value, "entity": self.entity.value}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Stage:
        return cls(way=data["way"], system=System(data["system"]), entity=EntityType(data["entity"]))


def stages_for(systems: Sequence[System], entities: Sequence[EntityType], direction: Direction) -> list[Stage]:
    ordered = [e for e in ENTITY_ORDER if e in set(entities)]
    out: list[Stage] = []
    for entity in ordered:
        if direction in {Direction.TWO_WAY, Direction.TO_HUB}:
            out.extend(Stage("in", system, entity) for system in systems)
        if direction in {Direction.TWO_WAY, Direction.FROM_HUB}:
            out.extend(Stage("out", system, entity) for system in systems)
    return out
