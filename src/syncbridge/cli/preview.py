"""`syncbridge preview`: what a sync of one entity would do, as a table of counts or the API's JSON."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from syncbridge.cli.db import emit_json, fail, settings_or_exit
from syncbridge.domain.records import EntityType, System
from syncbridge.errors import NotFoundError
from syncbridge.services.container import build_services
from syncbridge.store import orgs
from syncbridge.store.session import transaction


class SystemChoice(StrEnum):
    woocommerce = "woocommerce"
    odoo = "odoo"


class DirectionChoice(StrEnum):
    inbound = "inbound"
    outbound = "outbound"


KINDS = ("new", "updated", "deleted", "conflicts")


def show_counts(data: dict[str, Any], console: Console) -> None:
    way = "system -> hub" if data["direction"] == "inbound" else "hub -> system"
    console.print(f"{data['entityType']} · {data['syncType']} · {data['direction']} ({way})")
    table = Table()
    table.add_column("change")
    table.add_column("count", justify="right")
    table.add_column("pages", justify="right")
    for kind in KINDS:
        part = data["delta"][kind]
        table.add_row(kind, str(part["count"]), str(part["totalPages"]))
    console.print(table)
    source = "from the cache" if data["cacheHit"] else "computed now"
    console.print(f"{source}: computed at {data['computedAt']}, expires at {data['expiresAt']}")


def preview(
    org: str = typer.Option(..., "--org", help="Organization id or name."),
    system: SystemChoice = typer.Option(..., "--system", help="The external system."),
    entity: EntityType = typer.Option(..., "--entity", help="The entity type."),
    direction: DirectionChoice = typer.Option(
        DirectionChoice.inbound, "--direction", help="inbound: system -> hub; outbound: hub -> system."
    ),
    refresh: bool = typer.Option(False, "--refresh", help="Recompute instead of serving the cache."),
    as_json: bool = typer.Option(False, "--json", help="Print the API's JSON answer."),
    page: int = typer.Option(1, "--page", min=1, help="The page of records (with --json)."),
    page_size: int = typer.Option(50, "--page-size", min=1, max=500, help="Records per page (with --json)."),
) -> None:
    """Show what a sync would create, update and delete."""
    settings = settings_or_exit()
    with fail():
        services = build_services(settings)
        try:
            with transaction(services.engine) as conn:
                found = orgs.find_org(conn, org)
            if found is None:
                raise NotFoundError(f"no organization {org!r}")
            data = services.preview.preview(
                found.id,
                System(system.value),
                entity,
                direction=direction.value,
                refresh=refresh,
                page=page,
                page_size=page_size,
            )
        finally:
            services.close()
    if as_json:
        emit_json(data)
    else:
        show_counts(data, Console())
