"""A tiny unit of work: one transaction per ``with``, serializable retries, and the one driver-error mapping.

``translate_db_error`` is the only place that turns SQLAlchemy / psycopg / sqlite3 errors into
``syncbridge.errors``; ``transaction`` applies it to everything raised inside its block::

    with transaction(engine) as conn:
        upsert_link(conn, org_id, ...)

    retry_serializable(lambda conn: claim_batch(conn, ...), engine)
"""

from __future__ import annotations

import logging
import random
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from syncbridge.errors import DuplicateKeyError, SyncError, TransientError, ValidationError
from syncbridge.store.db import is_postgres

T = TypeVar("T")
log = logging.getLogger("syncbridge.store")

SERIALIZATION_FAILURE = "40001"
DEADLOCK_DETECTED = "40P01"
UNIQUE_VIOLATION = "23505"
LOCK_NOT_AVAILABLE = "55P03"
# Codes of the errors that a fresh attempt of the same transaction can cure.
RETRYABLE_CODES = frozenset({"serialization_failure", "deadlock", "database_locked"})


def _sqlstate(exc: sa.exc.DBAPIError) -> str | None:
    state = getattr(exc.orig, "sqlstate", None)
    return state if isinstance(state, str) else None


def translate_db_error(exc: sa.exc.DBAPIError) -> SyncError:
    """The ``syncbridge.errors`` class for a database driver error (wrapped by SQLAlchemy)."""
    state = _sqlstate(exc)
    text = str(exc.orig)
    if state == SERIALIZATION_FAILURE:
        return TransientError("serialization failure, try again", code="serialization_failure")
    if state == DEADLOCK_DETECTED:
        return TransientError("deadlock detected, try again", code="deadlock")
    if isinstance(exc.orig, sqlite3.OperationalError) and "database is locked" in text:
        return TransientError("database is locked, try again", code="database_locked")
    if exc.connection_invalidated or (state or "").startswith("08"):
        return TransientError("database connection lost", code="connection_lost")
    if state == UNIQUE_VIOLATION or (
        isinstance(exc.orig, sqlite3.IntegrityError) and "UNIQUE constraint failed" in text
    ):
        return DuplicateKeyError("a row with the same unique key exists already", details={"db": text})
    if isinstance(exc, sa.exc.IntegrityError):
        return ValidationError("the database refused the row", details={"db": text})
    if isinstance(exc, sa.exc.OperationalError) and state is None:
        # sqlite3 and a dropped psycopg connection both surface as OperationalError without a sqlstate.
        return TransientError("database unavailable", code="connection_lost", details={"db": text})
    return SyncError("database error", code="database_error", details={"db": text})


@contextmanager
def transaction(engine: Engine, *, serializable: bool = False) -> Iterator[sa.Connection]:
    """A connection inside one transaction: committed on success, rolled back on any exception.

    ``serializable`` asks PostgreSQL for SERIALIZABLE isolation; SQLite transactions are already serial
    (``store.db`` starts them with BEGIN IMMEDIATE). Driver errors leave as ``syncbridge.errors`` classes.
    """
    try:
        with engine.connect() as conn:
            if serializable and is_postgres(engine):
                conn.execution_options(isolation_level="SERIALIZABLE")
            with conn.begin():
                yield conn
    except sa.exc.DBAPIError as exc:
        raise translate_db_error(exc) from exc


def retry_serializable(
    fn: Callable[[sa.Connection], T],
    engine: Engine,
    attempts: int = 8,
    *,
    base_delay_s: float = 0.02,
    max_delay_s: float = 1.0,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Run ``fn`` in a serializable transaction, again (after a jittered exponential pause, at most
    ``max_delay_s``) when the database reports a serialization failure, a deadlock or a locked SQLite file.
    Other errors propagate at once."""
    for attempt in range(1, attempts + 1):
        try:
            with transaction(engine, serializable=True) as conn:
                return fn(conn)
        except TransientError as exc:
            if exc.code not in RETRYABLE_CODES or attempt == attempts:
                raise
            sleep(min(max_delay_s, base_delay_s * (2 ** (attempt - 1))) * (0.5 + random.random()))
    raise AssertionError("unreachable")  # pragma: no cover


def is_retryable(exc: sa.exc.DBAPIError) -> bool:
    """A driver error that a fresh attempt of the whole transaction can cure (not a broken row)."""
    error = translate_db_error(exc)
    return isinstance(error, TransientError) and error.code in RETRYABLE_CODES


@contextmanager
def exclusive(engine: Engine, name: str, *, wait_s: float = 60.0) -> Iterator[None]:
    """Hold a cross-process mutex ``name`` for the block: a PostgreSQL advisory lock held by a session of its
    own (so it is free again when the holder's process or connection dies). A no-op on SQLite, whose writers
    are serial already. Waiting longer than ``wait_s`` raises ``TransientError`` (code ``lock_timeout``)."""
    if not is_postgres(engine):
        yield
        return
    try:
        conn = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    except sa.exc.DBAPIError as exc:
        raise translate_db_error(exc) from exc
    with conn:
        try:
            conn.execute(sa.text("SELECT set_config('lock_timeout', :t, false)"), {"t": f"{int(wait_s * 1000)}ms"})
            conn.execute(sa.text("SELECT pg_advisory_lock(hashtext(:k))"), {"k": name})
        except sa.exc.DBAPIError as exc:
            if _sqlstate(exc) == LOCK_NOT_AVAILABLE:
                raise TransientError(f"waited over {wait_s:g} s for {name}", code="lock_timeout") from exc
            raise translate_db_error(exc) from exc
        try:
            yield
        finally:
            try:
                conn.execute(sa.text("SELECT pg_advisory_unlock(hashtext(:k))"), {"k": name})
                conn.execute(sa.text("SELECT set_config('lock_timeout', '0', false)"))
            except sa.exc.DBAPIError:
                conn.invalidate()  # the session ends, and its lock with it


def refresh_statistics(engine: Engine, tables: Sequence[str]) -> None:
    """``ANALYZE`` the tables on PostgreSQL (nothing elsewhere): a sync grows the hub, link and idempotency
    tables from nothing to millions of rows faster than autovacuum re-reads them, and on statistics taken
    when a table was small the planner walks an organization's rows instead of seeking the ids it was given.
    Best effort: a failure is logged, never raised (it only costs speed)."""
    if not is_postgres(engine) or not tables:
        return
    try:
        with engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql(
                "ANALYZE " + ", ".join(engine.dialect.identifier_preparer.quote(t) for t in tables)
            )
    except sa.exc.DBAPIError as exc:
        log.warning("ANALYZE %s failed: %s", ", ".join(tables), translate_db_error(exc).message)
