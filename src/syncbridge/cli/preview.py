"""`syncbridge preview`."""

from __future__ import annotations

import typer


def preview() -> None:
    typer.echo("preview: not built yet")
    raise typer.Exit(2)
