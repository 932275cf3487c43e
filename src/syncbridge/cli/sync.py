"""`syncbridge sync start|status|pause|resume|cancel|list`."""

from __future__ import annotations

import threading
import time
from typing import Any

import orjson
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeRemainingColumn
from rich.table import Table

from syncbridge.cli.common import fail_on_error, org_id_of, services
from syncbridge.domain.plan import Direction
from syncbridge.engine.worker import run_worker
from syncbridge.services.orchestration import OrchestrationService, RunSettings

app = typer.Typer(no_args_is_help=True)
console = Console()
FINAL = {"completed", "failed", "cancelled"}


def _print(view: dict[str, Any], as_json: bool) -> None:
    if as_json:
        typer.echo(orjson.dumps(view, option=orjson.OPT_INDENT_2).decode())
        return
    p = view["progress"]
    console.print(
        f"run [bold]{view['runId']}[/] [cyan]{view['status']}[/]  {p['processed']}/{p['total']} processed, "
        f"{p['applied']} applied, {p['skipped']} skipped, {p['conflicts']} conflicts, "
        f"{p['itemsPerSecond']} items/s, ETA {p['etaSeconds'] if p['etaSeconds'] is not None else '-'} s"
    )
    table = Table("entity", "status", "processed", "total", "applied", "skipped", "conflicts")
    for entity, c in p["entities"].items():
        table.add_row(entity, c["status"], str(c["processed"]), str(c["total"]), str(c["applied"]),
                      str(c["skipped"]), str(c["conflicts"]))
    console.print(table)
    if view.get("blockedSystems"):
        console.print(f"[red]calls stopped to: {', '.join(view['blockedSystems'])}[/] {view.get('blockedReasons')}")
    if view.get("error"):
        console.print(f"[red]error:[/] {view['error']}")


def follow(orchestration: OrchestrationService, org_id: str, run_id: str, *, poll_s: float = 0.3) -> dict[str, Any]:
    """Progress bars per entity, rendered from the run's status in the store until the run is final."""
    with Progress(
        TextColumn("{task.description:<12}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[extra]}"),
        TimeRemainingColumn(),
        console=console,
        transient=False,
    ) as progress:
        tasks: dict[str, TaskID] = {}
        while True:
            view = orchestration.status(org_id, run_id)
            p = view["progress"]
            for entity, c in p["entities"].items():
                if entity not in tasks:
                    tasks[entity] = progress.add_task(entity, total=max(c["total"], 1), extra="")
                extra = f"{c['applied']} applied · {c['skipped']} skipped · {c['conflicts']} conflicts"
                if c["status"] == "done" and c["total"] == 0:
                    progress.update(tasks[entity], total=1, completed=1, extra="nothing to do")
                else:
                    progress.update(tasks[entity], total=max(c["total"], 1), completed=c["processed"], extra=extra)
            if view["status"] in FINAL:
                return view
            time.sleep(poll_s)


@app.command("start")
@fail_on_error
def start(
    org: str = typer.Option(..., "--org", help="Organization id or name."),
    systems: str = typer.Option("woocommerce,odoo", "--systems"),
    entities: str = typer.Option("customers,products,inventory,orders,payments", "--entities"),
    direction: Direction = typer.Option(Direction.TWO_WAY, "--direction"),
    batch_size: int = typer.Option(100, "--batch-size"),
    batch_delay_ms: int = typer.Option(0, "--batch-delay-ms"),
    max_retries: int = typer.Option(5, "--max-retries"),
    dry_run: bool = typer.Option(False, "--dry-run"),
    detach: bool = typer.Option(False, "--detach", help="Only queue the run for `syncbridge worker` processes."),
    workers: int = typer.Option(2, "--workers", help="In-process workers when not detached."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Start a run. Without --detach it runs to its end here, with progress bars."""
    svc = services()
    org_id = org_id_of(svc, org)
    settings = RunSettings(batch_size=batch_size, batch_delay_ms=batch_delay_ms, max_retries=max_retries,
                           dry_run=dry_run)
    view = svc.orchestration.start(
        org_id,
        systems=[s.strip() for s in systems.split(",") if s.strip()],
        entities=[e.strip() for e in entities.split(",") if e.strip()],
        direction=direction,
        settings=settings,
    )
    if detach:
        _print(view, as_json)
        return
    stop = threading.Event()
    threads = [threading.Thread(target=run_worker, args=(svc.engine_context(),), kwargs={"stop": stop}, daemon=True)
               for _ in range(max(1, workers))]
    for t in threads:
        t.start()
    try:
        view = follow(svc.orchestration, org_id, view["runId"]) if not as_json else svc.orchestration.wait(
            org_id, view["runId"], timeout_s=24 * 3600
        )
    except KeyboardInterrupt:
        console.print("interrupted: pausing the run (resume it with `syncbridge sync resume`)")
        view = svc.orchestration.pause(org_id, view["runId"])
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=60)
    _print(view, as_json)
    if view["status"] == "failed":
        raise typer.Exit(1)


def _simple(action: str) -> Any:
    @fail_on_error
    def command(
        run_id: str = typer.Argument(..., help="The run id."),
        org: str = typer.Option(..., "--org", help="Organization id or name."),
        as_json: bool = typer.Option(False, "--json"),
    ) -> None:
        svc = services()
        org_id = org_id_of(svc, org)
        view = getattr(svc.orchestration, action)(org_id, run_id)
        _print(view, as_json)

    command.__doc__ = f"{action.capitalize()} a run."
    return command


app.command("status")(_simple("status"))
app.command("pause")(_simple("pause"))
app.command("resume")(_simple("resume"))
app.command("cancel")(_simple("cancel"))


@app.command("list")
@fail_on_error
def list_runs(
    org: str = typer.Option(..., "--org"),
    limit: int = typer.Option(20, "--limit"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """The organization's latest runs."""
    svc = services()
    runs = svc.orchestration.list_runs(org_id_of(svc, org), limit=limit)
    if as_json:
        typer.echo(orjson.dumps(runs, option=orjson.OPT_INDENT_2).decode())
        return
    table = Table("run", "status", "direction", "entities", "processed", "conflicts", "created")
    for r in runs:
        p = r["progress"]
        table.add_row(r["runId"], r["status"], r["direction"], ",".join(r["entities"]),
                      f"{p['processed']}/{p['total']}", str(p["conflicts"]), r["createdAt"] or "")
    console.print(table)
