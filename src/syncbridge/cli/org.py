"""`syncbridge org` and `syncbridge connection`."""

from __future__ import annotations

import typer

org_app = typer.Typer(no_args_is_help=True)
connection_app = typer.Typer(no_args_is_help=True)


@org_app.command("create")
def _org_create(name: str) -> None:
    typer.echo("org: not built yet")
    raise typer.Exit(2)


@connection_app.command("list")
def _connection_list() -> None:
    typer.echo("connection: not built yet")
    raise typer.Exit(2)
