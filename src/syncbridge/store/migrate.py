"""Upgrade, downgrade and inspect the hub schema with Alembic, configured in code (no ``alembic.ini``).

``downgrade(url, "base")`` leaves an empty database: after the last migration is undone, Alembic's own
``alembic_version`` table is dropped too.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Engine

from syncbridge.store.db import make_engine

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
VERSION_TABLE = "alembic_version"


def alembic_config(connection: sa.Connection | None = None) -> Config:
    """An Alembic ``Config`` pointing at our migrations; ``connection`` is the one ``env.py`` runs on."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade_engine(engine: Engine, revision: str = "head") -> None:
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), revision)


def downgrade_engine(engine: Engine, revision: str = "base") -> None:
    with engine.begin() as connection:
        command.downgrade(alembic_config(connection), revision)
        if revision == "base":
            sa.Table(VERSION_TABLE, sa.MetaData()).drop(connection, checkfirst=True)


def current_engine(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(url: str, revision: str = "head") -> None:
    engine = make_engine(url)
    try:
        upgrade_engine(engine, revision)
    finally:
        engine.dispose()


def downgrade(url: str, revision: str = "base") -> None:
    engine = make_engine(url)
    try:
        downgrade_engine(engine, revision)
    finally:
        engine.dispose()


def current(url: str) -> str | None:
    """The revision the database is at, or ``None`` for an empty (never migrated) database."""
    engine = make_engine(url)
    try:
        return current_engine(engine)
    finally:
        engine.dispose()
