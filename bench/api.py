"""Benchmark of the API (not a test): latency of a run's status and of a preview served from the cache, at a fixed
request rate, from another process on loopback, against PostgreSQL and Redis; baseline ``/healthz``.

    .venv/bin/python bench/api.py [--rate 100] [--requests 1000] \
        [--pg-url postgresql+psycopg://postgres@127.0.0.1:5432/test] [--redis-url redis://127.0.0.1:6379/14]

The API runs as ``python -m syncbridge serve --no-workers`` (uvicorn on ``create_app``) in a subprocess, on a fresh
PostgreSQL schema (dropped afterwards) and a flushed Redis database; ``api_rate_limit_per_minute`` is set out of
reach. This process sends requests on an open-loop schedule (request i is due at t0 + i / rate) over one
keep-alive connection; a latency is measured from the request's due time, so a slow answer delaying the next
ones is counted (no coordinated omission).
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import sqlalchemy as sa

from syncbridge.config import load_settings
from syncbridge.services.orchestration import OrchestrationService
from syncbridge.sim.seed import generate
from syncbridge.sim.stack import connect_org, start_sims
from syncbridge.store.bootstrap import open_store
from syncbridge.store.orgs import create_api_key
from syncbridge.store.session import transaction

API = "/api/v1/integrations"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def fresh_schema(admin_url: str) -> Iterator[str]:
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{admin_url}?options=-csearch_path%3D{schema}"
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def measure(client: httpx.Client, path: str, headers: dict[str, str], rate: float, n: int) -> list[float]:
    latencies: list[float] = []
    t0 = time.perf_counter()
    for i in range(n):
        due = t0 + i / rate
        now = time.perf_counter()
        if now < due:
            time.sleep(due - now)
        response = client.get(path, headers=headers)
        if response.status_code != 200:
            raise SystemExit(f"{path}: {response.status_code} {response.text[:200]}")
        latencies.append(time.perf_counter() - due)
    return latencies


def pct(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--pg-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/14")
    args = parser.parse_args(argv)
    import redis

    redis.Redis.from_url(args.redis_url).flushdb()
    with (
        tempfile.TemporaryDirectory() as d,
        fresh_schema(args.pg_url) as db_url,
        start_sims(woo_data=generate(customers=500, products=100, orders=100, seed=5)) as sims,
    ):
        key_file = Path(d) / "secret.key"
        settings = load_settings(database_url=db_url, redis_url=args.redis_url, secret_key_file=key_file)
        engine = open_store(settings)
        org = connect_org(engine, settings, sims, name="bench")
        with transaction(engine) as conn:
            _, key = create_api_key(conn, org, name="bench")
        run_id = OrchestrationService(engine, settings).start(
            org, systems=["woocommerce"], entities=["customers"], direction="to-hub"
        )["runId"]
        engine.dispose()
        port = free_port()
        env = {
            **os.environ,
            "SYNCBRIDGE_DATABASE_URL": db_url,
            "SYNCBRIDGE_REDIS_URL": args.redis_url,
            "SYNCBRIDGE_SECRET_KEY_FILE": str(key_file),
            "SYNCBRIDGE_API_RATE_LIMIT_PER_MINUTE": str(10**9),
            "SYNCBRIDGE_LOG_LEVEL": "WARNING",
        }
        server = subprocess.Popen(
            [sys.executable, "-m", "syncbridge", "serve", "--no-workers", "--poll-odoo-s", "0", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            headers = {"X-Api-Key": key}
            with httpx.Client(base_url=base, timeout=30) as client:
                deadline = time.monotonic() + 30
                while True:
                    try:
                        client.get("/healthz")
                        break
                    except httpx.TransportError:
                        if time.monotonic() > deadline:
                            raise
                        time.sleep(0.1)
                preview = f"{API}/sync/preview?sync_type=woocommerce&entity_type=customers"
                first = client.get(preview, headers=headers).json()["data"]
                hit = client.get(preview, headers=headers).json()["data"]
                assert hit["cacheHit"] is True, hit
                for path in ("/healthz", f"{API}/sync/runs/{run_id}", preview):  # warm-up
                    measure(client, path, headers, args.rate, 50)
                rows: list[tuple[str, list[float]]] = [
                    ("/healthz (baseline)", measure(client, "/healthz", headers, args.rate, args.requests)),
                    ("run status", measure(client, f"{API}/sync/runs/{run_id}", headers, args.rate, args.requests)),
                    ("preview, cache hit", measure(client, preview, headers, args.rate, args.requests)),
                ]
        finally:
            server.terminate()
            server.wait(timeout=30)
    base_p50, base_p99 = pct(rows[0][1], 50), pct(rows[0][1], 99)
    out = sys.stdout
    out.write(
        f"API latency at {args.rate:g} req/s, {args.requests} requests each, PostgreSQL + Redis, loopback "
        f"(preview of the customers of a 500-customer shop; first call cacheHit={first['cacheHit']})\n"
    )
    out.write(f"{'endpoint':<22} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'p50 vs base':>12} {'p99 vs base':>12}\n")
    for name, lat in rows:
        p50, p99 = pct(lat, 50), pct(lat, 99)
        out.write(
            f"{name:<22} {p50 * 1e3:>8.2f} {p99 * 1e3:>8.2f} {max(lat) * 1e3:>8.2f} {p50 / base_p50:>11.1f}x "
            f"{p99 / base_p99:>11.1f}x\n"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
