"""`syncbridge demo`."""

from __future__ import annotations

import typer


def demo() -> None:
    typer.echo("demo: not built yet")
    raise typer.Exit(2)
