"""`syncbridge demo`: the embedded default end to end — simulators, preview, two-way sync, conflicts, reconciliation."""

from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from syncbridge.cli.sync import follow
from syncbridge.config import load_settings
from syncbridge.demo.data import demo_data
from syncbridge.demo.reconcile import reconcile
from syncbridge.domain.plan import Direction
from syncbridge.domain.records import ENTITY_ORDER, EXTERNAL_SYSTEMS
from syncbridge.engine.worker import start_background_workers
from syncbridge.errors import SyncError
from syncbridge.services.container import Services, build_services
from syncbridge.services.orchestration import RunSettings
from syncbridge.sim.stack import SimStack, connect_org, start_sims

console = Console()


def _preview(svc: Services, org_id: str) -> None:
    table = Table("entity", *(f"{s.value}\nnew / updated / deleted" for s in EXTERNAL_SYSTEMS), title="Preview")
    for entity in ENTITY_ORDER:
        cells = []
        for system in EXTERNAL_SYSTEMS:
            delta = svc.preview.preview(org_id, system, entity)["delta"]
            cells.append(" / ".join(str(delta[k]["count"]) for k in ("new", "updated", "deleted")))
        table.add_row(entity.value, *cells)
    console.print(table)


def _conflicts(svc: Services, org_id: str, run: dict[str, Any]) -> dict[str, Any] | None:
    settled = sum(int(s.get("settled", 0)) for s in run["progress"]["stages"])
    console.print(f"[green]{settled}[/] records changed on both sides were settled by field policies "
                  "(prices and stock from Odoo, contact details from WooCommerce).")
    stats = svc.conflicts.stats(org_id)
    table = Table("conflict type", "count", "example", title="Conflicts met")
    for conflict_type, count in sorted(stats["byType"].items()):
        example = svc.conflicts.list(org_id, conflict_type=conflict_type, page_size=1)["items"]
        text = ""
        if example:
            e = example[0]
            text = f"{e['entity']} {e.get('naturalKey') or ''}: {(e.get('errorMessage') or '')[:80]}"
        table.add_row(conflict_type, str(count), text)
    console.print(table if stats["byType"] else "No conflicts.")
    mismatches = svc.conflicts.list(
        org_id, conflict_type="data_mismatch", entity="products", status="open", page_size=1
    )["items"]
    return mismatches[0] if mismatches else None


def _resolve_one(svc: Services, org_id: str, conflict: dict[str, Any]) -> None:
    console.print(
        f"Resolving {conflict['entity']} {conflict.get('naturalKey')} by the demo's policy "
        "'product names come from the shop' (keep the hub's version, which came from WooCommerce):"
    )
    outcome = svc.conflicts.resolve(org_id, conflict["id"], resolution="keep_hub",
                                    resolved_by="policy:names-from-woocommerce")
    state = outcome["conflict"]["status"]
    if outcome["ok"]:
        console.print(f"  [green]resolved[/] ({state}); applied to {', '.join(map(str, outcome['applied']))}")
    else:
        console.print(f"  [red]not resolved[/]: {outcome['error']}")


def _reconciliation(svc: Services, org_id: str) -> bool:
    rows = reconcile(svc.engine, svc.connector_for, org_id)
    table = Table("entity", "WooCommerce", "hub", "Odoo", "agree", title="Reconciliation")
    for r in rows:
        verdict = "[green]yes[/]" if r.differing == 0 else (
            f"[yellow]yes, but {r.explained} held by open conflicts[/]" if r.agree
            else f"[red]no: {r.differing - r.explained} unexplained[/]"
        )
        table.add_row(r.entity.value, str(r.woocommerce), str(r.hub), str(r.odoo), verdict)
    console.print(table)
    return all(r.agree for r in rows)


def _serve(svc: Services, org_id: str, stack: SimStack, port: int) -> None:
    from syncbridge.api.app import create_app
    from syncbridge.sim.server import SimServer
    from syncbridge.store import orgs
    from syncbridge.store.session import transaction

    with transaction(svc.engine) as conn:
        _, key = orgs.create_api_key(conn, org_id, name="demo")
    stop_workers = start_background_workers(svc.engine_context, 2)
    server = SimServer(create_app(svc), port=port).start()
    console.rule("Serving")
    console.print(f"Web UI:   {server.url}/ui   (sign in with the API key below)")
    console.print(f"API docs: {server.url}/docs")
    console.print(f"API key:  {key}")
    console.print(f"WooCommerce simulator: {stack.woo_url}/wp-json/wc/v3   Odoo simulator: {stack.odoo_url}")
    console.print("Ctrl-C stops everything.")
    stop = threading.Event()
    try:
        while not stop.wait(1.0):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
        stop_workers()


def demo(
    serve: bool = typer.Option(False, "--serve", help="Keep everything running and serve the web UI."),
    port: int = typer.Option(8000, "--port", help="Port of the web UI and API with --serve."),
    workdir: Path = typer.Option(Path(".syncbridge-demo"), "--workdir", help="Where the demo's hub database lives."),
    customers: int = typer.Option(1200, "--customers"),
    products: int = typer.Option(500, "--products"),
    orders: int = typer.Option(1200, "--orders"),
) -> None:
    started = time.monotonic()
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    settings = load_settings(
        database_url=f"sqlite:///{workdir.resolve() / 'hub.db'}",
        secret_key_file=workdir / "secret.key",
        redis_url=None,
        api_rate_limit_per_minute=1200,  # the web UI polls a run's status every second
        # The defaults (5 and 10 requests/s) protect real shops; the simulators are on this machine.
        woocommerce_rps=200.0,
        woocommerce_burst=200,
        odoo_rps=200.0,
        odoo_burst=200,
    )
    console.rule("1. A shop and an ERP that drifted apart")
    data = demo_data(customers=customers, products=products, orders=orders)
    stack = start_sims(woo_data=data.woocommerce, odoo_data=data.odoo)
    for system, report in stack.reports.items():
        console.print(f"{system}: {report.loaded} records loaded, {len(report.refused)} refused by the system itself")
    for what, n in data.expected.items():
        console.print(f"  · {n} {what}")
    svc = build_services(settings)
    try:
        org_id = connect_org(svc.engine, settings, stack, name="demo-shop")
        console.print(f"Hub: {settings.database_url}; organization [bold]demo-shop[/] with two connections")
        console.rule("2. What a sync would do")
        _preview(svc, org_id)
        console.rule("3. Two-way sync")
        run = svc.orchestration.start(org_id, systems=list(EXTERNAL_SYSTEMS), entities=list(ENTITY_ORDER),
                                      direction=Direction.TWO_WAY, settings=RunSettings(max_retries=3))
        stop_workers = start_background_workers(svc.engine_context, 2)
        try:
            run = follow(svc.orchestration, org_id, run["runId"])
        finally:
            stop_workers()
        p = run["progress"]
        console.print(f"run {run['status']}: {p['applied']} applied, {p['skipped']} skipped, "
                      f"{p['conflicts']} conflicts, {p['itemsPerSecond']} items/s")
        console.rule("4. Conflicts")
        mismatch = _conflicts(svc, org_id, run)
        if mismatch is not None:
            _resolve_one(svc, org_id, mismatch)
        console.rule("5. Reconciliation")
        agree = _reconciliation(svc, org_id)
        console.print(f"Demo finished in {time.monotonic() - started:.1f} s.")
        if run["status"] != "completed" or not agree:
            raise typer.Exit(1)
        if serve:
            _serve(svc, org_id, stack, port)
    except SyncError as exc:
        console.print(f"[red]error:[/] {exc.message}")
        raise typer.Exit(1) from None
    finally:
        stack.stop()
        svc.close()
