"""`syncbridge sim`: the built-in simulators, seeded and served on 127.0.0.1 until interrupted."""

from __future__ import annotations

import typer

from syncbridge.sim.odoo.cli import run_odoo
from syncbridge.sim.woocommerce.cli import run_woocommerce

app = typer.Typer(no_args_is_help=True)
app.command("woocommerce", help="A seeded WooCommerce 10 shop (REST API v3, OAuth 1.0a over plain http).")(
    run_woocommerce
)
app.command("odoo", help="A seeded Odoo 16/17/18 (XML-RPC, JSON-RPC, JSON-2).")(run_odoo)
