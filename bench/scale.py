"""Benchmark of scale (not a test): a catalog of N simple products synced WooCommerce simulator -> hub -> Odoo
simulator by 2 worker processes, on PostgreSQL; items/s, peak RSS of each worker process, database size.

    .venv/bin/python bench/scale.py [--sizes 10000,100000] [--pg-url postgresql+psycopg://postgres@127.0.0.1:5432/test]

Per size: a fresh PostgreSQL schema, a WooCommerce simulator loaded with N products (simple, managed stock off),
an empty Odoo simulator (both in this process, rate limits out of reach), then one two-way run of ``products``
executed by 2 ``python -m syncbridge worker --threads 2`` processes. items/s = N / (run finished - run started).
Peak RSS is each worker process's ``VmHWM`` (Linux), read just before it is stopped. The database size is
``pg_total_relation_size`` summed over the schema's tables. The ratio column compares each size's peak worker RSS
with the smallest size's: flat memory means a ratio near 1 while the catalog grows. On stderr, for each worker,
the stage during which its peak was last raised (sampled every second): planning a stage or running its batches.

``--lease-seconds`` sets the workers' batch lease (default 120 s): a batch whose worker step failed after the
claim waits for its lease to expire before another worker takes it, so a shorter lease shortens those stalls.
``--worker-log-dir DIR`` keeps each worker's stderr (warnings such as failed steps) in ``DIR``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from syncbridge.config import load_settings
from syncbridge.domain.records import Product, ProductStatus
from syncbridge.services.orchestration import OrchestrationService, RunSettings
from syncbridge.sim.seed import SeedData
from syncbridge.sim.stack import connect_org, start_sims
from syncbridge.store.bootstrap import open_store


@contextmanager
def fresh_schema(admin_url: str) -> Iterator[tuple[str, str]]:
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{admin_url}?options=-csearch_path%3D{schema}", schema
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def catalog(n: int) -> SeedData:
    products = [
        Product(
            sku=f"S-{i:07d}",
            name=f"Scale product {i}",
            regular_price=Decimal(5 + i % 95) + Decimal("0.50"),
            manage_stock=False,
            status=ProductStatus.ACTIVE,
        )
        for i in range(n)
    ]
    return SeedData(customers=[], products=products, stock=[], orders=[], payments=[])


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def db_size_mb(engine: sa.Engine, schema: str) -> float:
    with engine.connect() as conn:
        size = conn.execute(
            sa.text(
                "SELECT coalesce(sum(pg_total_relation_size(format('%I.%I', schemaname, tablename))), 0) "
                "FROM pg_tables WHERE schemaname = :s"
            ),
            {"s": schema},
        ).scalar_one()
    return int(size) / 2**20


def stage_label(view: dict[str, Any]) -> str:
    """The stage the run is at: "in-woocommerce planning" (not planned yet) or "... batches"."""
    progress = view["progress"]
    stages, index = progress["stages"], progress["stage"]
    if index >= len(stages):
        return "finishing"
    stage = stages[index]
    doing = "planning" if stage.get("state", "pending") == "pending" else "batches"
    return f"{stage['way']}-{stage['system']} {doing}"


def watch(
    service: OrchestrationService, org: str, run_id: str, pids: list[int], *, timeout_s: float
) -> tuple[dict[str, Any], list[str]]:
    """Wait for the run (as ``service.wait``), noting for each worker the stage during which its peak RSS was
    last raised by more than 1 MB (sampled every second: where the memory goes)."""
    final = {"completed", "failed", "cancelled"}
    peaks = [0.0] * len(pids)
    reached = ["-"] * len(pids)
    deadline = time.monotonic() + timeout_s
    while True:
        view = service.status(org, run_id)
        for i, pid in enumerate(pids):
            rss = peak_rss_mb(pid)
            if rss > peaks[i] + 1.0:
                peaks[i], reached[i] = rss, stage_label(view)
        if view["status"] in final or time.monotonic() > deadline:
            return view, reached
        time.sleep(1.0)


def one_size(n: int, admin_url: str, tmp: Path, log_dir: Path | None = None, lease_s: float = 120.0) -> dict[str, Any]:
    with fresh_schema(admin_url) as (db_url, schema):
        loaded = time.perf_counter()
        stack = start_sims(woo_data=catalog(n))
        load_s = time.perf_counter() - loaded
        key_file = tmp / f"secret-{n}.key"
        overrides: dict[str, Any] = {
            "woocommerce_rps": 100000.0,
            "woocommerce_burst": 100000,
            "odoo_rps": 100000.0,
            "odoo_burst": 100000,
            "lease_seconds": lease_s,
        }
        settings = load_settings(database_url=db_url, secret_key_file=key_file, **overrides)
        engine = open_store(settings)
        env = {
            **os.environ,
            "SYNCBRIDGE_DATABASE_URL": db_url,
            "SYNCBRIDGE_SECRET_KEY_FILE": str(key_file),
            "SYNCBRIDGE_LOG_LEVEL": "WARNING",
            **{f"SYNCBRIDGE_{k.upper()}": str(v) for k, v in overrides.items()},
        }
        env.pop("SYNCBRIDGE_REDIS_URL", None)
        workers: list[subprocess.Popen[bytes]] = []
        try:
            org = connect_org(engine, settings, stack, name="scale")
            workers = [
                subprocess.Popen(
                    [sys.executable, "-m", "syncbridge", "worker", "--threads", "2"],
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL if log_dir is None else (log_dir / f"worker-{n}-{i}.log").open("wb"),
                )
                for i in range(2)
            ]
            service = OrchestrationService(engine, settings)
            view = service.start(
                org, systems=["woocommerce", "odoo"], entities=["products"], settings=RunSettings(batch_size=100)
            )
            view, reached = watch(service, org, view["runId"], [w.pid for w in workers], timeout_s=7200)
            rss = [peak_rss_mb(w.pid) for w in workers]
            started, finished = (datetime.fromisoformat(view[k]) for k in ("startedAt", "finishedAt"))
            seconds = (finished - started).total_seconds()
            in_odoo = len(stack.odoo.env["product.product"].rows)
            return {
                "n": n,
                "status": view["status"],
                "seconds": seconds,
                "items_per_s": n / seconds,
                "rss": rss,
                "db_mb": db_size_mb(engine, schema),
                "in_odoo": in_odoo,
                "load_s": load_s,
                "conflicts": view["progress"]["conflicts"],
                "reached": reached,
            }
        finally:
            for w in workers:
                w.terminate()
            for w in workers:
                w.wait(timeout=60)
            engine.dispose()
            stack.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--pg-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--worker-log-dir", type=Path, default=None, help="keep each worker's stderr there")
    parser.add_argument("--lease-seconds", type=float, default=120.0, help="the workers' batch lease")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s]
    results = []
    with tempfile.TemporaryDirectory() as d:
        for n in sizes:
            results.append(one_size(n, args.pg_url, Path(d), args.worker_log_dir, args.lease_seconds))
            r = results[-1]
            print(f"  done {n}: {r['status']} in {r['seconds']:.1f} s", file=sys.stderr)
    base_rss = max(results[0]["rss"])
    out = sys.stdout
    out.write("WooCommerce sim -> hub -> Odoo sim, products, 2 worker processes x 2 threads, PostgreSQL\n")
    out.write(
        f"{'products':>9} {'status':>10} {'seconds':>9} {'items/s':>9} {'worker RSS MB':>16} {'RSS vs first':>13} "
        f"{'DB MB':>8} {'in Odoo':>8} {'conflicts':>9}\n"
    )
    for r in results:
        rss = "/".join(f"{v:.0f}" for v in r["rss"])
        print(f"  {r['n']}: each worker's peak RSS was reached during: {' / '.join(r['reached'])}", file=sys.stderr)
        out.write(
            f"{r['n']:>9} {r['status']:>10} {r['seconds']:>9.1f} {r['items_per_s']:>9.1f} {rss:>16} "
            f"{max(r['rss']) / base_rss:>12.2f}x {r['db_mb']:>8.1f} {r['in_odoo']:>8} {r['conflicts']:>9}\n"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
