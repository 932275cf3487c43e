"""``syncbridge sim woocommerce``: a seeded, standalone WooCommerce simulator on 127.0.0.1."""

from __future__ import annotations

import shlex

import typer
import uvicorn

from syncbridge.sim.faults import FaultConfig
from syncbridge.sim.seed import generate
from syncbridge.sim.woocommerce.sim import WooCommerceSim

API = "/wp-json/wc/v3"


def examples(url: str, key: str, secret: str, *, assume_https: bool) -> list[str]:
    """Commands that work against the running simulator (printed, and run by the tests)."""
    products = f"{url}{API}/products?per_page=2"
    if assume_https:
        return [
            f"curl -s {shlex.quote(f'{products}&consumer_key={key}&consumer_secret={secret}')}",
            f"curl -s -u {shlex.quote(f'{key}:{secret}')} {shlex.quote(products)}",
        ]
    code = (
        "from syncbridge.connectors.woocommerce.client import WooClient; "
        f'print(WooClient("{url}", "{key}", "{secret}").json("GET", "/products", [("per_page", "2")]))'
    )
    return [f"python -c {shlex.quote(code)}"]


def build_sim(
    *,
    customers: int,
    products: int,
    orders: int,
    seed: int,
    consumer_key: str | None,
    consumer_secret: str | None,
    assume_https: bool,
    faults: FaultConfig,
) -> tuple[WooCommerceSim, str]:
    sim = WooCommerceSim(consumer_key, consumer_secret, seed=seed, faults=faults, assume_https=assume_https)
    report = sim.load(generate(customers=customers, products=products, orders=orders, seed=seed))
    return sim, f"loaded {report.loaded} records, refused {len(report.refused)}"


def run_woocommerce(
    port: int = typer.Option(8081, help="Port on 127.0.0.1."),
    customers: int = typer.Option(100, help="Seeded customers."),
    products: int = typer.Option(100, help="Seeded products (some with variations)."),
    orders: int = typer.Option(100, help="Seeded orders (with payments and refunds)."),
    seed: int = typer.Option(1, help="Seed of the data and of the faults."),
    consumer_key: str | None = typer.Option(None, help="Consumer key (random unless given)."),
    consumer_secret: str | None = typer.Option(None, help="Consumer secret (random unless given)."),
    assume_https: bool = typer.Option(
        False, help="Behave as if served over HTTPS: accept Basic auth and query-string keys (else OAuth 1.0a only)."
    ),
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
    """Run a seeded WooCommerce 10 simulator (REST API v3) until interrupted."""
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
        consumer_key=consumer_key,
        consumer_secret=consumer_secret,
        assume_https=assume_https,
        faults=faults,
    )
    url = f"http://127.0.0.1:{port}"
    sim.site_url = url
    typer.echo(f"WooCommerce 10 simulator on {url}{API} ({summary})")
    typer.echo(f"  consumer key:    {sim.consumer_key}\n  consumer secret: {sim.consumer_secret}")
    if assume_https:
        typer.echo("Basic auth and query-string keys are accepted (--assume-https). Try:")
    else:
        typer.echo(
            "Over plain http the shop, like a real one, accepts OAuth 1.0a only (curl cannot sign it; restart with "
            "--assume-https for curl with Basic auth or query-string keys). Try:"
        )
    for line in examples(url, sim.consumer_key, sim.consumer_secret, assume_https=assume_https):
        typer.echo(f"  {line}")
    try:
        uvicorn.run(sim.app, host="127.0.0.1", port=port, log_level="warning")
    finally:
        sim.close()
