"""Alembic environment: runs on the connection that ``syncbridge.store.migrate`` hands over.

There is no ``alembic.ini``: the configuration is built in code, so migrations work the same from the CLI, the
tests and an installed wheel. Run from the ``alembic`` command line with ``-x url=...`` if ever needed.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context

from syncbridge.store.db import make_engine
from syncbridge.store.tables import metadata


def _configure_and_run(connection: sa.Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        compare_type=True,
        # SQLite cannot ALTER most things; batch mode rebuilds the table for later migrations.
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


def _run() -> None:
    given = context.config.attributes.get("connection")
    if isinstance(given, sa.Connection):
        _configure_and_run(given)
        return
    url = context.get_x_argument(as_dictionary=True).get("url") or context.config.get_main_option(
        "sqlalchemy.url"
    )
    if not url:
        raise RuntimeError("no database URL: pass -x url=... or use syncbridge.store.migrate")
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            _configure_and_run(connection)
    finally:
        engine.dispose()


_run()
