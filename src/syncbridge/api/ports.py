"""What the API needs of the services: narrow read-only protocols, so routes depend on behaviour, not classes.

``syncbridge.services.container.Services`` satisfies ``ApiServices``; the API never reaches past these.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import redis as redis_lib
from sqlalchemy.engine import Engine

from syncbridge.config import Settings
from syncbridge.domain.plan import Direction, Selective
from syncbridge.domain.records import EntityType, System


class PreviewPort(Protocol):
    def preview(
        self,
        org_id: str,
        system: System,
        entity: EntityType,
        *,
        direction: str = ...,
        refresh: bool = ...,
        page: int = ...,
        page_size: int = ...,
    ) -> dict[str, Any]: ...

    def invalidate(self, org_id: str, entity: EntityType, system: System | None = ...) -> Any: ...

    def get_selective(self, org_id: str, entity: EntityType) -> Selective: ...

    def set_selective(
        self,
        org_id: str,
        entity: EntityType,
        *,
        include_new: bool,
        include_updated: bool,
        include_deleted: bool,
    ) -> Any: ...


class OrchestrationPort(Protocol):
    def start(
        self,
        org_id: str,
        *,
        systems: Sequence[System],
        entities: Sequence[EntityType],
        direction: Direction,
        settings: Any,
    ) -> dict[str, Any]: ...

    def status(self, org_id: str, run_id: str) -> dict[str, Any]: ...

    def pause(self, org_id: str, run_id: str) -> dict[str, Any]: ...

    def resume(self, org_id: str, run_id: str) -> dict[str, Any]: ...

    def cancel(self, org_id: str, run_id: str) -> dict[str, Any]: ...

    def list_runs(self, org_id: str, *, limit: int = ...) -> list[dict[str, Any]]: ...

    def sync_touched(
        self, org_id: str, system: System, entity: EntityType, external_ids: Sequence[str]
    ) -> dict[str, Any] | None: ...


class ConflictPort(Protocol):
    def list(
        self,
        org_id: str,
        *,
        run_id: str | None = ...,
        conflict_type: str | None = ...,
        entity: str | None = ...,
        status: str | None = ...,
        page: int = ...,
        page_size: int = ...,
    ) -> dict[str, Any]: ...

    def get(self, org_id: str, conflict_id: str) -> dict[str, Any]: ...

    def resolve(
        self,
        org_id: str,
        conflict_id: str,
        *,
        resolution: str,
        values: dict[str, Any] | None = ...,
        link_to: str | None = ...,
        resolved_by: str,
    ) -> dict[str, Any]: ...

    def stats(self, org_id: str) -> dict[str, Any]: ...


class ApiServices(Protocol):
    @property
    def settings(self) -> Settings: ...

    @property
    def engine(self) -> Engine: ...

    @property
    def redis(self) -> redis_lib.Redis | None: ...

    @property
    def preview(self) -> PreviewPort: ...

    @property
    def orchestration(self) -> OrchestrationPort: ...

    @property
    def conflicts(self) -> ConflictPort: ...
