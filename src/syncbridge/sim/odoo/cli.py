"""``syncbridge sim odoo``: a seeded, standalone Odoo simulator on 127.0.0.1 (the lead registers it)."""

from __future__ import annotations

import secrets

import typer
import uvicorn

from syncbridge.sim.faults import FaultConfig
from syncbridge.sim.odoo.app import SUPPORTED_VERSIONS, OdooSim
from syncbridge.sim.seed import generate


def build_sim(
    *,
    customers: int,
    products: int,
    orders: int,
    seed: int,
    db: str,
    login: str,
    api_key: str | None,
    version: int,
    faults: FaultConfig,
) -> tuple[OdooSim, str]:
    sim = OdooSim(
        database=db, login=login, api_key=api_key or secrets.token_hex(20), version=version, seed=seed, faults=faults
    )
    report = sim.load(generate(customers=customers, products=products, orders=orders, seed=seed))
    summary = f"loaded {report.loaded} records, refused {len(report.refused)}"
    return sim, summary


def run_odoo(
    port: int = typer.Option(8069, help="Port on 127.0.0.1."),
    customers: int = typer.Option(100, help="Seeded customers."),
    products: int = typer.Option(100, help="Seeded products (some with variants)."),
    orders: int = typer.Option(100, help="Seeded sale orders (with payments)."),
    seed: int = typer.Option(1, help="Seed of the data and of the faults."),
    db: str = typer.Option("odoo", "--db", help="Database name."),
    login: str = typer.Option("admin", help="Login of the API user."),
    api_key: str | None = typer.Option(None, help="API key (random unless given)."),
    version: int = typer.Option(18, help="Odoo version to behave like: 16, 17 or 18."),
    latency_ms: float = typer.Option(0.0, help="Fixed latency per request."),
    jitter_ms: float = typer.Option(0.0, help="Random extra latency, up to this."),
    rate_limit_rps: float | None = typer.Option(None, help="Token-bucket rate limit (429 above it)."),
    rate_limit_burst: int = typer.Option(10, help="Token-bucket burst."),
    error_rate: float = typer.Option(0.0, help="Share of requests answered 500/502/503."),
    rate_429: float = typer.Option(0.0, help="Share of requests answered 429."),
    drop_rate: float = typer.Option(0.0, help="Share of connections dropped before handling."),
    hang_rate: float = typer.Option(0.0, help="Share of requests that hang."),
    lost_response_rate: float = typer.Option(0.0, help="Share of requests handled whose answer is lost."),
) -> None:
    """Run a seeded Odoo simulator (XML-RPC, JSON-RPC, JSON-2) until interrupted."""
    if version not in SUPPORTED_VERSIONS:
        raise typer.BadParameter(f"--version must be one of {SUPPORTED_VERSIONS}")
    faults = FaultConfig(
        seed=seed,
        latency_ms=latency_ms,
        jitter_ms=jitter_ms,
        rate_limit_rps=rate_limit_rps,
        rate_limit_burst=rate_limit_burst,
        error_rate=error_rate,
        rate_429=rate_429,
        drop_rate=drop_rate,
        hang_rate=hang_rate,
        lost_response_rate=lost_response_rate,
    )
    sim, summary = build_sim(
        customers=customers,
        products=products,
        orders=orders,
        seed=seed,
        db=db,
        login=login,
        api_key=api_key,
        version=version,
        faults=faults,
    )
    url = f"http://127.0.0.1:{port}"
    typer.echo(f"Odoo {version}.0 simulator on {url} ({summary})")
    typer.echo(f"  database: {sim.database}\n  login:    {sim.login}\n  api key:  {sim.api_key}\n  uid:      {sim.uid}")
    typer.echo("Try:")
    typer.echo(
        f"  curl -s {url}/jsonrpc -H 'content-type: application/json' -d "
        '\'{"jsonrpc": "2.0", "method": "call", "id": 1, "params": {"service": "object", '
        f'"method": "execute_kw", "args": ["{sim.database}", {sim.uid}, "{sim.api_key}", '
        '"res.partner", "search_read", [[]], {"fields": ["name", "email"], "limit": 3}]}}\''
    )
    uvicorn.run(sim.app, host="127.0.0.1", port=port, log_level="warning")
