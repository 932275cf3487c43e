"""`syncbridge conflicts list|show|resolve|stats`: the review workflow from a terminal."""

from __future__ import annotations

import getpass
from typing import Any

import orjson
import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from syncbridge.cli.common import fail_on_error, org_id_of, services
from syncbridge.errors import ValidationError
from syncbridge.services.container import Services
from syncbridge.store import orgs
from syncbridge.store.session import transaction

app = typer.Typer(no_args_is_help=True)
console = Console()

ORG_HELP = "Organization id or name (may be left out when there is only one)."
ACTIONS = ("keep-hub", "take-source", "take-target", "edit", "link", "skip", "retry")


def _org(svc: Services, ident: str | None) -> str:
    if ident:
        return org_id_of(svc, ident)
    with transaction(svc.engine) as conn:
        every = orgs.list_orgs(conn)
    if len(every) != 1:
        raise ValidationError(f"there are {len(every)} organizations: say which one with --org")
    return every[0].id


def _json(data: Any) -> None:
    typer.echo(orjson.dumps(data, option=orjson.OPT_INDENT_2).decode())


def _cell(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, dict | list):
        return orjson.dumps(value).decode()
    return str(value)


def parse_assignments(items: list[str]) -> dict[str, str]:
    """``["name=Mug", "billing.city=Paris"]`` -> ``{"name": "Mug", "billing.city": "Paris"}``."""
    values: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ValidationError(f"--set takes field=value, not {item!r}")
        values[key.strip()] = value
    return values


@app.command("list")
@fail_on_error
def list_(
    org: str | None = typer.Option(None, "--org", help=ORG_HELP),
    run: str | None = typer.Option(None, "--run", help="Only this run's conflicts."),
    conflict_type: str | None = typer.Option(None, "--type", help="data_mismatch, duplicate_key, ..."),
    entity: str | None = typer.Option(None, "--entity"),
    status: str | None = typer.Option(None, "--status", help="open, retrying, resolved or skipped."),
    page: int = typer.Option(1, "--page", min=1),
    page_size: int = typer.Option(50, "--page-size", min=1, max=200),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Conflicts, newest first."""
    svc = services()
    data = svc.conflicts.list(
        _org(svc, org),
        run_id=run,
        conflict_type=conflict_type,
        entity=entity,
        status=status,
        page=page,
        page_size=page_size,
    )
    if as_json:
        _json(data)
        return
    table = Table(box=None)
    table.add_column("id", no_wrap=True)
    for name in ("type", "entity", "record", "direction", "status", "error"):
        table.add_column(name)
    for c in data["items"]:
        table.add_row(
            c["id"],
            c["conflictType"],
            c["entity"],
            c["naturalKey"] or "–",
            f"{c['sourceSystem'] or '?'}→{c['targetSystem'] or '?'}",
            c["status"],
            c["errorMessage"] or "",
        )
    console.print(table)
    console.print(f"{data['total']} conflicts (page {data['page']}, {data['pageSize']} per page)")


@app.command("show")
@fail_on_error
def show(
    conflict_id: str = typer.Argument(..., metavar="ID"),
    org: str | None = typer.Option(None, "--org", help=ORG_HELP),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """One conflict: both versions and the hub's, side by side, differing fields highlighted."""
    svc = services()
    view = svc.conflicts.get(_org(svc, org), conflict_id)
    if as_json:
        _json(view)
        return
    console.print(
        f"[bold]{view['conflictType']}[/] {view['entity']} {view['naturalKey'] or ''}  "
        f"[cyan]{view['status']}[/]  strategy {view['strategy']}  attempts {view['attempts']}"
    )
    if view["errorMessage"]:
        console.print(f"[red]{view['errorCode']}[/]: {view['errorMessage']}")
    source, target = view["sourceSystem"] or "source", view["targetSystem"] or "target"
    table = Table("field", f"source ({source})", f"target ({target})", "hub")
    for row in view["fields"]:
        style = "bold yellow" if row["differs"] else ""
        table.add_row(
            Text(("≠ " if row["differs"] else "  ") + row["field"], style=style),
            Text(_cell(row["source"]), style=style),
            Text(_cell(row["target"]), style=style),
            Text(_cell(row["hub"])),
        )
    console.print(table)
    if view["resolution"]:
        console.print(f"{view['resolution']} by {view['resolvedBy']} at {view['resolvedAt']}")
    elif view["actions"]:
        console.print("actions: " + ", ".join(a.replace("_", "-") for a in view["actions"]))


@app.command("resolve")
@fail_on_error
def resolve(
    conflict_id: str = typer.Argument(..., metavar="ID"),
    action: str = typer.Option(..., "--action", help=" | ".join(ACTIONS)),
    assignments: list[str] = typer.Option([], "--set", help="field=value for --action edit (repeatable)."),
    link_to: str | None = typer.Option(None, "--link-to", help="The existing record's id, for --action link."),
    org: str | None = typer.Option(None, "--org", help=ORG_HELP),
    by: str | None = typer.Option(None, "--by", help="Who resolves it (default: cli:<user>)."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Resolve a conflict; a write goes through the engine (idempotent, logged)."""
    svc = services()
    result = svc.conflicts.resolve(
        _org(svc, org),
        conflict_id,
        resolution=action,
        values=parse_assignments(assignments) or None,
        link_to=link_to,
        resolved_by=by or f"cli:{getpass.getuser()}",
    )
    if as_json:
        _json(result)
    elif result["ok"]:
        view = result["conflict"]
        console.print(f"conflict {conflict_id} [green]{view['status']}[/] ({view['resolution']})")
    else:
        console.print(f"[red]not applied[/]: {result['error']['code']}: {result['error']['message']}")
    if not result["ok"]:
        raise typer.Exit(1)


@app.command("stats")
@fail_on_error
def stats(
    org: str | None = typer.Option(None, "--org", help=ORG_HELP),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Counts by type, status, entity and run; mean time to resolution; the oldest open conflict."""
    svc = services()
    data = svc.conflicts.stats(_org(svc, org))
    if as_json:
        _json(data)
        return
    console.print(f"{data['total']} conflicts")
    for title, key in (("type", "byType"), ("status", "byStatus"), ("entity", "byEntity"), ("run", "byRun")):
        table = Table(f"by {title}", "count")
        for name, count in data[key].items():
            table.add_row(name or "(no run)", str(count))
        console.print(table)
    mean = data["meanTimeToResolutionSeconds"]
    console.print(f"mean time to resolution: {'–' if mean is None else f'{mean:.0f} s'}")
    oldest = data["oldestOpen"]
    if oldest:
        console.print(f"oldest open: {oldest['id']} since {oldest['createdAt']} ({oldest['ageSeconds']:.0f} s)")
