"""`syncbridge sim`."""

from __future__ import annotations

import typer

app = typer.Typer(no_args_is_help=True)


@app.command("status")
def _placeholder() -> None:
    """Not built yet."""
    typer.echo("sim: not built yet")
    raise typer.Exit(2)
