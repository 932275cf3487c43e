from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.dialects.postgresql import JSONB

from syncbridge.store import migrate
from syncbridge.store.db import make_engine
from syncbridge.store.tables import metadata


def _tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return set(sa.inspect(conn).get_table_names())
    finally:
        engine.dispose()


def test_upgrade_from_empty_matches_tables_then_downgrade_to_empty(db_url: str) -> None:
    assert _tables(db_url) == set()
    assert migrate.current(db_url) is None

    migrate.upgrade(db_url)

    assert migrate.current(db_url) == "0003"
    assert _tables(db_url) == set(metadata.tables) | {"alembic_version"}
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            assert compare_metadata(context, metadata) == []
            inspector = sa.inspect(conn)
            for table in metadata.tables.values():
                want_ix = {ix.name for ix in table.indexes}
                assert {ix["name"] for ix in inspector.get_indexes(table.name)} >= want_ix, table.name
                want_fk = {(tuple(fk.column_keys), fk.ondelete) for fk in table.foreign_key_constraints}
                got_fk = {
                    (tuple(fk["constrained_columns"]), fk["options"].get("ondelete"))
                    for fk in inspector.get_foreign_keys(table.name)
                }
                assert {(cols, (od or "").upper()) for cols, od in got_fk} == {
                    (cols, (od or "").upper()) for cols, od in want_fk
                }, table.name
            if conn.dialect.name == "postgresql":
                data_type = next(c["type"] for c in inspector.get_columns("hub_product") if c["name"] == "data")
                assert isinstance(data_type, JSONB)
    finally:
        engine.dispose()

    migrate.downgrade(db_url)

    assert _tables(db_url) == set()
    assert migrate.current(db_url) is None


def test_upgrade_is_idempotent_and_survives_data(db_url: str) -> None:
    migrate.upgrade(db_url)
    engine = make_engine(db_url)
    try:
        with engine.begin() as conn:
            conn.execute(
                sa.text("INSERT INTO organization (id, name, created_at) VALUES ('o1', 'A', :t)"),
                {"t": "2026-01-01T00:00:00+00:00"},
            )
        migrate.upgrade(db_url)
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT name FROM organization")).scalar_one() == "A"
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    ("revision", "expected"), [("head", "0003"), ("0001", "0001"), ("0002", "0002"), ("0003", "0003")]
)
def test_upgrade_to_named_revision(sqlite_url: str, revision: str, expected: str) -> None:
    migrate.upgrade(sqlite_url, revision)
    assert migrate.current(sqlite_url) == expected
