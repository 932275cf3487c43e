"""`syncbridge db`: upgrade, downgrade and show the hub schema revision.

Also home of the few helpers the store commands share (settings, errors, JSON output).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import orjson
import typer

from syncbridge.config import Settings, load_settings
from syncbridge.errors import SyncError
from syncbridge.store import migrate
from syncbridge.store.bootstrap import head_revision

app = typer.Typer(no_args_is_help=True)


def settings_or_exit() -> Settings:
    """The validated settings, or exit 2 with the message naming the bad field."""
    try:
        return load_settings()
    except SyncError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(2) from None


@contextmanager
def fail() -> Iterator[None]:
    """Turn a ``SyncError`` into ``error: ...`` on stderr and exit status 1."""
    try:
        yield
    except SyncError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(1) from None


def emit_json(data: Any) -> None:
    typer.echo(orjson.dumps(data, option=orjson.OPT_INDENT_2, default=str).decode("utf-8"))


@app.command("upgrade")
def upgrade(revision: str = typer.Option("head", help="Target revision.")) -> None:
    """Create or upgrade the hub tables (SYNCBRIDGE_DATABASE_URL)."""
    settings = settings_or_exit()
    with fail():
        migrate.upgrade(settings.database_url, revision)
    typer.echo(f"database at {migrate.current(settings.database_url) or 'base'}")


@app.command("downgrade")
def downgrade(revision: str = typer.Option("base", help="Target revision; base drops every table.")) -> None:
    """Undo migrations down to a revision (base: an empty database)."""
    settings = settings_or_exit()
    with fail():
        migrate.downgrade(settings.database_url, revision)
    typer.echo(f"database at {migrate.current(settings.database_url) or 'base'}")


@app.command("current")
def current(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """The revision the database is at, and the newest one available."""
    settings = settings_or_exit()
    with fail():
        revision = migrate.current(settings.database_url)
    head = head_revision()
    if as_json:
        emit_json({"current": revision, "head": head, "up_to_date": revision == head})
    else:
        typer.echo(f"current: {revision or 'base (empty)'}  head: {head}")
