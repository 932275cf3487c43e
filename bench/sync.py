"""Benchmark of an end-to-end push (not a test): N products hub -> WooCommerce simulator that allows R requests/s,
against the bound R x 100 items/s (100 items per batch request) and against a naive one-request-per-record loop.

    .venv/bin/python bench/sync.py [--products 100000] [--rps 50] [--naive-sample 500] [--database-url URL]

* batched   a from-hub run of products through the engine (2 in-process workers, the connector's batch endpoints,
            settings woocommerce_rps=0.98 R / woocommerce_burst=R; simulator FaultConfig(rate_limit_rps=R,
            rate_limit_burst=R)); items/s = N / (run finished - run started); the hub is seeded beforehand and
            seeding is not timed;
* naive     single ``POST /products`` creates through the same ``WooClient`` (httpx + OAuth 1.0a) and the same
            rate-limit gate, on the first ``--naive-sample`` of the same products; items/s extrapolated.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

from syncbridge.config import load_settings
from syncbridge.connectors.woocommerce import mapping
from syncbridge.connectors.woocommerce.client import WooClient
from syncbridge.domain.records import Product, ProductStatus, System
from syncbridge.engine.worker import EngineContext, run_worker
from syncbridge.errors import RateLimitedError
from syncbridge.ratelimit import make_gate
from syncbridge.services.orchestration import OrchestrationService, RunSettings
from syncbridge.sim.faults import FaultConfig
from syncbridge.sim.server import SimServer
from syncbridge.sim.woocommerce import WooCommerceSim
from syncbridge.store import activity, hub_records, orgs
from syncbridge.store import connections as connection_repo
from syncbridge.store.bootstrap import open_store
from syncbridge.store.crypto import cipher_from_settings
from syncbridge.store.session import transaction

CLIENT_SHARE = 0.98


def catalog(n: int, prefix: str = "BENCH") -> list[Product]:
    return [
        Product(
            sku=f"{prefix}-{i:07d}",
            name=f"Bench product {i}",
            regular_price=Decimal(10 + i % 90) + Decimal("0.99"),
            manage_stock=False,
            status=ProductStatus.ACTIVE,
        )
        for i in range(n)
    ]


def shop(rps: float) -> tuple[WooCommerceSim, SimServer]:
    sim = WooCommerceSim(seed=1, faults=FaultConfig(seed=1, rate_limit_rps=rps, rate_limit_burst=int(rps)))
    server = SimServer(sim.app).start()
    sim.site_url = server.url
    return sim, server


def batched(products: list[Product], rps: float, database_url: str, tmp: Path) -> dict[str, Any]:
    import threading

    settings = load_settings(
        database_url=database_url,
        secret_key_file=tmp / "secret.key",
        # Paced a hair under the host's limit: a client at exactly R meets 429s from arrival
        # jitter (its tokens are spent when it sends, the host counts when requests arrive).
        woocommerce_rps=rps * CLIENT_SHARE,
        woocommerce_burst=max(1, int(rps)),
        retry_base_s=0.05,
        retry_cap_s=1.0,
        lease_seconds=30.0,
        log_level="WARNING",
    )
    engine = open_store(settings)
    sim, server = shop(rps)
    try:
        with transaction(engine) as conn:
            org = orgs.create_org(conn, "bench").id
            connection_repo.add_connection(
                conn,
                org,
                system="woocommerce",
                name="default",
                base_url=server.url,
                secrets={"consumer_key": sim.consumer_key, "consumer_secret": sim.consumer_secret},
                cipher=cipher_from_settings(settings),
            )
        seeded = time.perf_counter()
        for start in range(0, len(products), 5000):
            with transaction(engine) as conn:
                hub_records.upsert_many(conn, org, products[start : start + 5000])
        seed_s = time.perf_counter() - seeded
        from syncbridge.connectors.factory import make_connector_factory
        from syncbridge.services.container import gate_factory

        # Paced by the same gates as in production.
        factory = make_connector_factory(engine, settings, gate_for=gate_factory(settings, None))
        context = EngineContext(engine=engine, settings=settings, connector_for=factory)
        stop = threading.Event()
        threads = [
            threading.Thread(target=run_worker, args=(context,), kwargs={"stop": stop}, daemon=True) for _ in range(2)
        ]
        for t in threads:
            t.start()
        service = OrchestrationService(engine, settings)
        started = time.perf_counter()
        view = service.start(
            org,
            systems=["woocommerce"],
            entities=["products"],
            direction="from-hub",
            settings=RunSettings(batch_size=100),
        )
        view = service.wait(org, view["runId"], timeout_s=3600, poll_s=0.2)
        wall = time.perf_counter() - started
        stop.set()
        for t in threads:
            t.join(timeout=60)
        elapsed = _run_seconds(view) or wall
        requests = sim.faults.requests
        with transaction(engine) as conn:
            plans = activity.list_activity(conn, org, run_id=view["runId"], kind="plan")
        plan_s = sum((a.duration_ms or 0) for a in plans) / 1000
        return {
            "status": view["status"],
            "items": len(products),
            "in_shop": sim.store.count("products"),
            "seconds": elapsed,
            "items_per_s": len(products) / elapsed,
            "requests": requests,
            "refused_429": sim.faults.counts.get("rate_limit", 0),
            "seed_s": seed_s,
            "plan_s": plan_s,
            "conflicts": view["progress"]["conflicts"],
        }
    finally:
        server.stop()
        engine.dispose()


def _run_seconds(view: dict[str, Any]) -> float | None:
    from datetime import datetime

    if not view.get("startedAt") or not view.get("finishedAt"):
        return None
    return (datetime.fromisoformat(view["finishedAt"]) - datetime.fromisoformat(view["startedAt"])).total_seconds()


def naive(products: list[Product], rps: float, tmp: Path) -> dict[str, Any]:
    settings = load_settings(secret_key_file=tmp / "secret.key", woocommerce_rps=rps, woocommerce_burst=int(rps))
    sim, server = shop(rps)
    client = WooClient(
        server.url, sim.consumer_key, sim.consumer_secret, gate=make_gate(settings, None, System.WOOCOMMERCE, "naive")
    )
    try:
        started = time.perf_counter()
        for p in products:
            while True:
                try:
                    client.json("POST", "/products", body=mapping.product_to_wc(p))
                    break
                except RateLimitedError as exc:
                    time.sleep(exc.retry_after or 0.1)
        elapsed = time.perf_counter() - started
        return {
            "items": len(products),
            "in_shop": sim.store.count("products"),
            "seconds": elapsed,
            "items_per_s": len(products) / elapsed,
            "requests": client.requests,
        }
    finally:
        client.close()
        server.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--rps", type=float, default=50.0)
    parser.add_argument("--naive-sample", type=int, default=500)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args(argv)
    products = catalog(args.products)
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        url = args.database_url or f"sqlite:///{tmp / 'hub.db'}"
        base = naive(products[: min(args.naive_sample, len(products))], args.rps, tmp)
        run = batched(products, args.rps, url, tmp)
    bound = args.rps * 100
    rows = [
        ("naive: 1 POST per record", base["items"], base["seconds"], base["items_per_s"], base["requests"]),
        ("engine: batch endpoints", run["items"], run["seconds"], run["items_per_s"], run["requests"]),
    ]
    out = sys.stdout
    out.write(f"push hub -> WooCommerce simulator at R={args.rps:g} req/s (bound R x 100 = {bound:g} items/s)\n")
    out.write(
        f"{'approach':<28} {'items':>8} {'seconds':>9} {'items/s':>10} {'requests':>9} {'vs naive':>9} "
        f"{'of bound':>9}\n"
    )
    for name, items, secs, ips, reqs in rows:
        out.write(
            f"{name:<28} {items:>8} {secs:>9.2f} {ips:>10.1f} {reqs:>9} {ips / base['items_per_s']:>8.1f}x "
            f"{100 * ips / bound:>8.1f}%\n"
        )
    out.write(
        f"run status={run['status']} conflicts={run['conflicts']} products in shop={run['in_shop']} "
        f"429 refusals={run['refused_429']} planning={run['plan_s']:.1f} s (in the run's time) "
        f"floor={run['requests'] / (args.rps * CLIENT_SHARE):.1f} s (requests / paced rate) "
        f"(hub seeding, untimed: {run['seed_s']:.1f} s)\n"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
