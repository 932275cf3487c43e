"""`syncbridge worker`."""

from __future__ import annotations

import typer


def worker() -> None:
    typer.echo("worker: not built yet")
    raise typer.Exit(2)
