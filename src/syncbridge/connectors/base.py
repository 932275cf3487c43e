"""The Connector protocol: the one small surface the engine sees of any system (WooCommerce, Odoo, the hub).

A connector lists records changed since a cursor as a stream of pages, fetches records by external id, finds
records by natural key, and applies a batch of operations, returning one result per operation. It raises only
``syncbridge.errors.SyncError`` subclasses: every third-party error is translated inside the adapter.
"""

from __future__ import annotations

import functools
import ssl
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import ParamSpec, Protocol, TypeVar, runtime_checkable

import certifi

from syncbridge.domain.records import EntityType, Record, System
from syncbridge.errors import SyncError, ValidationError


class OpKind(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"


@dataclass(frozen=True, slots=True)
class Rejected:
    """A record the system listed but whose payload could not be read (missing fields, wrong types, bad dates).

    It is neither dropped nor allowed to fail the whole listing: the engine records it as a ValidationError
    conflict, and does not mistake its absence from ``records`` for a deletion."""

    external_id: str
    error: SyncError


@dataclass(frozen=True, slots=True)
class Page:
    """One page of a change listing. ``cursor`` is where to resume after this page (opaque to the engine)."""

    records: tuple[Record, ...]
    cursor: str | None
    rejected: tuple[Rejected, ...] = ()


P = ParamSpec("P")
T = TypeVar("T")

# What a mapping of a malformed payload raises on its own; none of it may escape an adapter.
MAPPING_FAILURES = (KeyError, TypeError, ValueError, ArithmeticError, AttributeError, IndexError)


def payload_errors_as_validation(fn: Callable[P, T]) -> Callable[P, T]:
    """Turn a mapping's failure on a malformed external payload into one ``ValidationError`` naming it."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return fn(*args, **kwargs)
        except MAPPING_FAILURES as exc:
            raise ValidationError(
                f"malformed payload ({fn.__name__}): {type(exc).__name__}: {str(exc)[:200]}",
                code="malformed_payload",
            ) from exc

    return wrapper


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


_TLS: dict[str, ssl.SSLContext] = {}
_TLS_LOCK = threading.Lock()


def tls_verify(verify: bool | str) -> bool | ssl.SSLContext:
    """What to pass httpx as ``verify``: one shared SSL context per trust setting (the system store, or a CA
    bundle file). Building one loads the whole CA store (~30 ms), too much to pay for every batch."""
    if verify is False:
        return False
    key = "" if verify is True else str(verify)
    with _TLS_LOCK:
        context = _TLS.get(key)
        if context is None:
            context = ssl.create_default_context(cafile=key or certifi.where())
            _TLS[key] = context
    return context
