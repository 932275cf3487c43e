"""The ``syncbridge`` command. Each group lives in its own module; commands are thin shells over services."""

from __future__ import annotations

import typer

from syncbridge.cli import conflicts, db, demo, org, preview, serve, sim, sync, worker

app = typer.Typer(
    name="syncbridge",
    help="Keep WooCommerce, Odoo and your own database in sync.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(db.app, name="db", help="Create, upgrade and downgrade the hub database.")
app.add_typer(org.org_app, name="org", help="Organizations and their API keys.")
app.add_typer(org.connection_app, name="connection", help="Connections to WooCommerce and Odoo.")
app.add_typer(sim.app, name="sim", help="Run the built-in WooCommerce and Odoo simulators.")
app.command("preview", help="Show what a sync would do (new / updated / deleted).")(preview.preview)
app.add_typer(sync.app, name="sync", help="Start, watch, pause, resume and cancel sync runs.")
app.add_typer(conflicts.app, name="conflicts", help="List, inspect, resolve and count conflicts.")
app.command("worker", help="Claim and run sync batches until stopped.")(worker.worker)
app.command("serve", help="Run the REST API and web UI (with in-process workers).")(serve.serve)
app.command("demo", help="A full two-way sync against the built-in simulators, in one command.")(demo.demo)
