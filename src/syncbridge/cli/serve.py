"""`syncbridge serve`."""

from __future__ import annotations

import typer


def serve() -> None:
    typer.echo("serve: not built yet")
    raise typer.Exit(2)
