"""The Connector protocol: the one small surface the engine sees of any system (WooCommerce, Odoo, the hub).

A connector lists records changed since a cursor as a stream of pages, fetches records by external id, finds
records by natural key, and applies a batch of operations, returning one result per operation. It raises only
``syncbridge.errors.SyncError`` subclasses: every third-party error is translated inside the adapter.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol, runtime_checkable

from syncbridge.domain.records import EntityType, Record, System
from syncbridge.errors import SyncError


class OpKind(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"


@dataclass(frozen=True, slots=True)
class Page:
    """One page of a change listing. ``cursor`` is where to resume after this page (opaque to the engine)."""

    records: tuple[Record, ...]
    cursor: str | None


@dataclass(frozen=True, slots=True)
class Operation:
    """One effect to apply. ``key`` is the idempotency key; ``external_id`` the target's id (update/delete).

    ``record`` is the desired state (create/update); for a delete, the last known state or ``None``.
    """

    key: str
    kind: OpKind
    entity: EntityType
    record: Record | None
    external_id: str | None = None


@dataclass(frozen=True, slots=True)
class OpResult:
    """The outcome of one operation: applied (with the target's external id) or a typed error.

    ``linked_existing`` is true when a create found the record already there by natural key (after a lost
    response, or a duplicate SKU answer) and linked to it instead of creating a duplicate.
    """

    key: str
    external_id: str | None = None
    error: SyncError | None = None
    linked_existing: bool = False

    @property
    def ok(self) -> bool:
        return self.error is None


@runtime_checkable
class Connector(Protocol):
    system: System

    def iter_changes(
        self, entity: EntityType, since: str | None = None, *, page_size: int = 100
    ) -> Iterator[Page]:
        """Pages of records changed since the cursor (all records when ``since`` is None), oldest first.

        Archived / trashed records are included with their inactive status so deletes can be seen.
        The stream never holds the whole catalog in memory.
        """
        ...

    def fetch(self, entity: EntityType, external_ids: Sequence[str]) -> list[Record]:
        """The records with these ids; missing ids are left out (no error)."""
        ...

    def find_by_natural_key(self, entity: EntityType, keys: Sequence[str]) -> dict[str, Record]:
        """Records by natural key (SKU, email, order number, ``sku@location``, payment reference)."""
        ...

    def apply(self, entity: EntityType, operations: Sequence[Operation]) -> list[OpResult]:
        """Apply the operations (in chunks the system accepts); one result per operation, in order."""
        ...

    def close(self) -> None: ...


class RequestGate(Protocol):
    """Paces a connector's HTTP calls: the engine passes a token bucket plus an in-flight cap.

    A connector calls ``before_request()`` before every request (it blocks until allowed) and
    ``after_response(retry_after)`` after it, with the ``Retry-After`` seconds of a 429/503, else None.
    """

    def before_request(self) -> None: ...

    def after_response(self, retry_after: float | None) -> None: ...


class NullGate:
    """No pacing (tests, one-off CLI reads)."""

    def before_request(self) -> None:
        return None

    def after_response(self, retry_after: float | None) -> None:
        return None
