from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from syncbridge.errors import DuplicateKeyError, SyncError, TransientError, ValidationError
from syncbridge.store import migrate
from syncbridge.store.db import make_engine
from syncbridge.store.session import retry_serializable, transaction, translate_db_error


@pytest.fixture
def engine(db_url: str) -> Iterator[sa.Engine]:
    migrate.upgrade(db_url)
    eng = make_engine(db_url)
    yield eng
    eng.dispose()


def _insert_org(conn: sa.Connection, org_id: str, name: str) -> None:
    conn.execute(
        sa.text("INSERT INTO organization (id, name, created_at) VALUES (:i, :n, CURRENT_TIMESTAMP)"),
        {"i": org_id, "n": name},
    )


@pytest.mark.parametrize(
    ("statements", "error"),
    [
        ([("o1", "A"), ("o2", "A")], DuplicateKeyError),  # unique name
        ([("o1", "A"), ("o1", "B")], DuplicateKeyError),  # primary key
        ([("o1", None)], ValidationError),  # NOT NULL
    ],
)
def test_transaction_translates_integrity_errors(
    engine: sa.Engine, statements: list[tuple[str, str | None]], error: type[SyncError]
) -> None:
    with pytest.raises(error), transaction(engine) as conn:
        for org_id, name in statements:
            _insert_org(conn, org_id, name)  # type: ignore[arg-type]
    with transaction(engine) as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM organization")).scalar_one() == 0


def test_transaction_commits(engine: sa.Engine) -> None:
    with transaction(engine, serializable=True) as conn:
        _insert_org(conn, "o1", "A")
    with transaction(engine) as conn:
        assert conn.execute(sa.text("SELECT name FROM organization")).scalar_one() == "A"


def test_sqlite_locked_is_transient(tmp_path: Path) -> None:
    path = tmp_path / "locked.db"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("CREATE TABLE t (x INTEGER)")
    holder.execute("BEGIN IMMEDIATE")
    impatient = sa.create_engine(f"sqlite:///{path}", connect_args={"timeout": 0.05})
    try:
        with pytest.raises(TransientError) as caught, transaction(impatient) as conn:
            conn.execute(sa.text("INSERT INTO t VALUES (1)"))
        assert caught.value.code == "database_locked"
    finally:
        holder.close()
        impatient.dispose()


@pytest.mark.pg
def test_postgres_serialization_failure_is_transient_and_retried(pg_url: str) -> None:
    migrate.upgrade(pg_url)
    engine = make_engine(pg_url)
    other = make_engine(pg_url)
    try:
        calls = 0

        def write_skew(conn: sa.Connection) -> int:
            nonlocal calls
            calls += 1
            seen = conn.execute(sa.text("SELECT count(*) FROM organization")).scalar_one()
            if calls == 1:
                # A concurrent serializable transaction reads and writes the same rows and commits first.
                with other.connect() as rival:
                    rival.execution_options(isolation_level="SERIALIZABLE")
                    with rival.begin():
                        rival.execute(sa.text("SELECT count(*) FROM organization")).scalar_one()
                        _insert_org(rival, "rival", "Rival")
            _insert_org(conn, f"o{calls}", f"mine {calls}")
            return int(seen)

        sleeps: list[float] = []
        assert retry_serializable(write_skew, engine, sleep=sleeps.append) == 1
        assert calls == 2 and len(sleeps) == 1
    finally:
        engine.dispose()
        other.dispose()


def test_retry_gives_up_after_attempts_and_passes_other_errors(engine: sa.Engine) -> None:
    sleeps: list[float] = []

    def always_conflicts(conn: sa.Connection) -> None:
        raise TransientError("conflict", code="serialization_failure")

    with pytest.raises(TransientError):
        retry_serializable(always_conflicts, engine, attempts=3, sleep=sleeps.append)
    assert len(sleeps) == 2 and all(0 < s < 1 for s in sleeps)

    calls: list[int] = []

    def rate_limited(conn: sa.Connection) -> None:
        calls.append(1)
        raise TransientError("not a database conflict", code="rate_limited")

    with pytest.raises(TransientError):
        retry_serializable(rate_limited, engine, sleep=sleeps.append)
    assert calls == [1]


def test_translate_unknown_error_is_generic() -> None:
    exc = sa.exc.ProgrammingError("SELECT", {}, Exception("syntax error"))
    err = translate_db_error(exc)
    assert type(err) is SyncError and err.code == "database_error"
