"""How the engine records conflicts: one note per item, turned into sync_conflict rows with their strategy."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from syncbridge.domain.conflicts import ConflictType, Strategy, status_for, strategy_for
from syncbridge.domain.records import EntityType, System
from syncbridge.store import conflicts as conflict_repo


@dataclass(frozen=True)
class ConflictNote:
    run_id: str | None
    batch_id: str | None
    entity: EntityType
    conflict_type: ConflictType
    natural_key: str
    hub_id: str | None
    source_system: System
    target_system: System
    external_ids: dict[str, str]
    source_version: dict[str, Any] | None
    target_version: dict[str, Any] | None
    diff: dict[str, Any]
    error_code: str
    error_message: str
    operation: dict[str, Any] | None
    attempts: int = 0


def record_conflicts(conn: sa.Connection, org_id: str, notes: Sequence[ConflictNote]) -> list[str]:
    overrides = conflict_repo.strategy_overrides(conn, org_id)
    ids: list[str] = []
    for note in notes:
        strategy: Strategy = strategy_for(overrides, note.entity, note.conflict_type)
        draft = conflict_repo.ConflictDraft(
            run_id=note.run_id,
            batch_id=note.batch_id,
            entity=note.entity.value,
            conflict_type=note.conflict_type,
            status=status_for(strategy),
            strategy=strategy,
            hub_id=note.hub_id,
            natural_key=note.natural_key,
            source_system=note.source_system.value,
            target_system=note.target_system.value,
            external_ids=note.external_ids,
            operation=note.operation,
            source_version=note.source_version,
            target_version=note.target_version,
            diff=note.diff,
            error_code=note.error_code,
            error_message=note.error_message,
            attempts=note.attempts,
        )
        ids.append(conflict_repo.record_conflict(conn, org_id, draft))
    return ids


def drop_plan_conflicts(conn: sa.Connection, org_id: str, run_id: str, stage: int) -> None:
    """A stage planned again (its planner died) records its conflicts again: drop the first copies."""
    conflict_repo.delete_for_batch(conn, org_id, run_id, f"plan:{stage}")
