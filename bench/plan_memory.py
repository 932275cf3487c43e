"""Benchmark of planning memory (not a test): one stage's ``plan_stage`` in a process of its own, at several
catalog sizes, against the simulators on PostgreSQL; peak RSS and what the heap holds by source line.

    .venv/bin/python bench/plan_memory.py [--sizes 100000,1000000] [--stages in-woocommerce,out-odoo]
        [--tracemalloc] [--top 12] [--pg-url postgresql+psycopg://postgres@127.0.0.1:5432/test]

Per size: a fresh PostgreSQL schema, a WooCommerce simulator loaded with N simple products (bench/scale.py's
catalog) and an empty Odoo simulator, served by a child process (so their memory is not counted), and a queued
two-way run of ``products``. The stages are those of a first run:

* ``in-woocommerce``: WooCommerce -> hub with an empty hub and no links (N new changes);
* ``out-woocommerce``: hub -> WooCommerce with the hub and its links filled as the "in" stage leaves them (no
  changes, but every link, hub row and WooCommerce product is read);
* ``out-odoo``: hub -> Odoo with the hub filled and Odoo empty (N new changes);
* ``in-odoo`` with ``--odoo-catalog``: the catalog is loaded into the Odoo simulator too, so the stage reads N
  Odoo products into an empty hub (N new changes), as a first run against a filled Odoo does.

Before the "out" stages the hub and the WooCommerce links are written straight into the tables (COPY) from what
the WooCommerce connector reads, as the "in" stage's batches would leave them. Each stage is planned in a fresh
process: ``rss`` is its ``VmHWM`` after planning minus before (the interpreter and imports), ``heap`` the peak
traced by tracemalloc (``--tracemalloc``, which slows planning about 3x). With ``--tracemalloc`` the top lines
are those of the heap when the system's side has been read compared with the heap before planning: what the
planning holds per id, by line.
"""

from __future__ import annotations

import argparse
import dataclasses
import io
import json
import multiprocessing as mp
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Iterator
from multiprocessing.connection import Connection
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import orjson

from syncbridge.config import load_settings
from syncbridge.domain.codec import to_dict
from syncbridge.domain.fingerprint import fingerprint_of
from syncbridge.domain.plan import Selective
from syncbridge.domain.records import EntityType, Product, System
from syncbridge.services.orchestration import OrchestrationService, RunSettings
from syncbridge.sim.stack import SimStack, connect_org, start_sims
from syncbridge.store.bootstrap import open_store
from syncbridge.store.tables import new_id, now_utc

sys.path.insert(0, str(Path(__file__).resolve().parent))
from scale import catalog, fresh_schema

STAGES = {"in-woocommerce": 0, "in-odoo": 1, "out-woocommerce": 2, "out-odoo": 3}


def vm(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


# -- the simulators, in a child process -----------------------------------------------------------------------


def serve_sims(n: int, pipe: Connection, odoo_too: bool = False) -> None:
    stack = start_sims(woo_data=catalog(n), odoo_data=catalog(n) if odoo_too else None)
    pipe.send(
        {
            "woo_url": stack.woo_url,
            "odoo_url": stack.odoo_url,
            "consumer_key": stack.woo.consumer_key,
            "consumer_secret": stack.woo.consumer_secret,
            "api_key": stack.odoo.api_key,
            "database": stack.odoo.database,
            "login": stack.odoo.login,
            "version": stack.odoo.version,
        }
    )
    pipe.recv()  # until the parent is done
    stack.stop()


def stack_view(info: dict[str, Any]) -> SimStack:
    woo = SimpleNamespace(consumer_key=info["consumer_key"], consumer_secret=info["consumer_secret"])
    odoo = SimpleNamespace(
        api_key=info["api_key"], database=info["database"], login=info["login"], version=info["version"]
    )
    return cast(SimStack, SimpleNamespace(woo_url=info["woo_url"], odoo_url=info["odoo_url"], woo=woo, odoo=odoo))


# -- one stage, in a process of its own -----------------------------------------------------------------------


def plan_one(db_url: str, key_file: str, org_id: str, run_id: str, stage_index: int, trace: bool, top: int) -> None:
    from syncbridge.connectors.factory import make_connector_factory
    from syncbridge.engine import planner
    from syncbridge.engine.stages import Stage
    from syncbridge.store import runs as run_repo
    from syncbridge.store.session import transaction

    settings = load_settings(database_url=db_url, secret_key_file=Path(key_file))
    engine = open_store(settings)
    with transaction(engine) as conn:
        run = run_repo.get_run(conn, org_id, run_id)
    stage = Stage.from_json(run.stages[stage_index])
    connector = make_connector_factory(engine, settings)(org_id, stage.system)
    ctx = planner.PlanContext(
        engine=engine,
        org_id=org_id,
        run_id=run_id,
        stage_index=stage_index,
        stage=stage,
        batch_size=100,
        selective=Selective(),
        policies={},
    )
    snapshots: list[tracemalloc.Snapshot] = []
    if trace:
        # When the system's side is exhausted, whatever the delta keeps per id is as full as it gets (the walk
        # of the hub or the links that follows keeps nothing per id). Keep the heap as it is then.
        pages = planner._pages

        def traced(inner: Iterator[Any]) -> Iterator[Any]:
            yield from inner
            snapshots[1:] = [tracemalloc.take_snapshot()]

        planner._pages = lambda *a: traced(pages(*a))  # type: ignore[assignment]
        tracemalloc.start(1)
        snapshots.append(tracemalloc.take_snapshot())
    before = vm("VmHWM")
    started = time.perf_counter()
    plan = planner.plan_stage(ctx, connector)
    seconds = time.perf_counter() - started
    out: dict[str, Any] = {
        "stage": f"{stage.way}-{stage.system.value}",
        "operations": plan.operations,
        "seconds": seconds,
        "rss_before": before,
        "rss_peak": vm("VmHWM"),
    }
    if trace:
        out["heap_peak"] = tracemalloc.get_traced_memory()[1] / 2**20
        if len(snapshots) == 2:
            stats = snapshots[1].compare_to(snapshots[0], "lineno")
            out["full_heap"] = sum(s.size_diff for s in stats) / 2**20
            out["top"] = [
                (
                    f"{s.traceback[0].filename.split('/site-packages/')[-1].split('/src/')[-1]}:{s.traceback[0].lineno}",
                    s.size_diff / 2**20,
                    s.count_diff,
                )
                for s in stats[:top]
            ]
    connector.close()
    engine.dispose()
    print(json.dumps(out))


# -- the hub as the "in" stage leaves it ----------------------------------------------------------------------


def fill_hub(engine: Any, org_id: str, settings: Any) -> int:
    """Hub rows and WooCommerce links for every product WooCommerce lists (what the "in" stage's batches write)."""
    from syncbridge.connectors.factory import make_connector_factory

    connector = make_connector_factory(engine, settings)(org_id, System.WOOCOMMERCE)
    now = now_utc().isoformat()
    count = 0
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        for page in connector.iter_changes(EntityType.PRODUCTS):
            hub, link = io.StringIO(), io.StringIO()
            for record in page.records:
                assert isinstance(record, Product)
                hub_id, fp = new_id(), fingerprint_of(record)
                data = orjson.dumps(to_dict(dataclasses.replace(record, external_id=None))).decode()
                data = data.replace("\\", "\\\\")
                hub.write(f"{hub_id}\t{org_id}\t{record.sku}\t{data}\t{fp}\tf\t{now}\t{now}\n")
                link.write(
                    f"{new_id()}\t{org_id}\tproducts\t{hub_id}\twoocommerce\t{record.external_id}\t{fp}\t{now}\n"
                )
                count += 1
            with cur.copy(
                "COPY hub_product (id, org_id, sku, data, fingerprint, deleted, created_at, updated_at) FROM STDIN"
            ) as copy:
                copy.write(hub.getvalue())
            with cur.copy(
                "COPY sync_link (id, org_id, entity, hub_id, system, external_id, last_fingerprint, last_synced_at) "
                "FROM STDIN"
            ) as copy:
                copy.write(link.getvalue())
        raw.commit()
    finally:
        raw.close()
        connector.close()
    return count


def run_stage(ctx: mp.context.SpawnContext, args: tuple[Any, ...]) -> dict[str, Any]:
    reader, writer = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(writer, *args))
    proc.start()
    writer.close()
    line = reader.recv()
    proc.join()
    return cast(dict[str, Any], json.loads(line))


def _child(pipe: Connection, *args: Any) -> None:
    buf = io.StringIO()
    real, sys.stdout = sys.stdout, buf
    try:
        plan_one(*args)
    finally:
        sys.stdout = real
    pipe.send(buf.getvalue())


def one_size(
    n: int, admin_url: str, tmp: Path, stages: list[str], trace: bool, top: int, odoo_too: bool = False
) -> list[dict[str, Any]]:
    spawn = mp.get_context("spawn")
    results: list[dict[str, Any]] = []
    with fresh_schema(admin_url) as (db_url, _schema):
        parent, child = spawn.Pipe()
        sims = spawn.Process(target=serve_sims, args=(n, child, odoo_too))
        sims.start()
        try:
            info = parent.recv()
            key_file = tmp / f"secret-{n}.key"
            settings = load_settings(database_url=db_url, secret_key_file=key_file)
            engine = open_store(settings)
            org = connect_org(engine, settings, stack_view(info), name="plan-memory")
            service = OrchestrationService(engine, settings)
            run = service.start(
                org, systems=["woocommerce", "odoo"], entities=["products"], settings=RunSettings(batch_size=100)
            )
            filled = False
            for name in stages:
                if name.startswith("out") and not filled:
                    t = time.perf_counter()
                    rows = fill_hub(engine, org, settings)
                    print(f"  {n}: hub filled with {rows} rows in {time.perf_counter() - t:.0f} s", file=sys.stderr)
                    filled = True
                r = run_stage(spawn, (db_url, str(key_file), org, run["runId"], STAGES[name], trace, top))
                r["n"] = n
                print(f"  {n} {name}: {r['operations']} ops in {r['seconds']:.1f} s", file=sys.stderr)
                results.append(r)
            engine.dispose()
        finally:
            parent.send("stop")
            sims.join(timeout=60)
    return results


# -- the delta alone, on synthetic sides shaped like each stage's ---------------------------------------------


def delta_alone(n: int, shape: str, top: int) -> dict[str, Any]:
    """``diff_sides`` over ``n`` synthetic items shaped like a stage's sides (ids, keys and fingerprints as the
    systems and the hub have them); the heap held when the source is read, by line, in bytes per id."""
    from syncbridge.domain.delta import LinkItem, SideItem, diff_sides

    def hub_id(i: int) -> str:
        return f"{i:032x}"

    def fp(i: int) -> str:
        return f"{i * 2654435761 % 2**128:032x}"

    def woo(i: int) -> SideItem:
        return SideItem(id=str(i + 1), natural_key=f"S-{i:07d}", fingerprint=fp(i))

    def hub(i: int) -> SideItem:
        return SideItem(id=hub_id(i), natural_key=f"S-{i:07d}", fingerprint=fp(i))

    linked = (LinkItem(hub_id=hub_id(i), external_id=str(i + 1), last_fingerprint=fp(i)) for i in range(n))
    sides: dict[str, tuple[Iterator[SideItem], Iterator[SideItem], Iterator[LinkItem], bool]] = {
        "in, first run": ((woo(i) for i in range(n)), iter(()), iter(()), False),
        "out, first run": ((hub(i) for i in range(n)), iter(()), iter(()), True),
        "in, synced": ((woo(i) for i in range(n)), (hub(i) for i in range(n)), linked, False),
        "out, synced": ((hub(i) for i in range(n)), (woo(i) for i in range(n)), linked, True),
    }
    source, target, links, source_is_hub = sides[shape]
    snapshots: list[tracemalloc.Snapshot] = []

    def traced(inner: Iterator[SideItem]) -> Iterator[SideItem]:
        yield from inner
        snapshots.append(tracemalloc.take_snapshot())

    tracemalloc.start(1)
    start = tracemalloc.take_snapshot()
    changes = sum(1 for _ in diff_sides(traced(source), target, links, source_is_hub=source_is_hub))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    stats = snapshots[0].compare_to(start, "lineno")
    return {
        "n": n,
        "shape": shape,
        "changes": changes,
        "peak_per_id": peak / n,
        "held_per_id": sum(s.size_diff for s in stats) / n,
        "top": [
            (f"{Path(s.traceback[0].filename).name}:{s.traceback[0].lineno}", s.size_diff / n) for s in stats[:top]
        ],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--stages", default="in-woocommerce,out-woocommerce,out-odoo")
    parser.add_argument("--pg-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--tracemalloc", action="store_true", help="trace the heap (slower); top lines at its peak")
    parser.add_argument("--top", type=int, default=12)
    parser.add_argument("--odoo-catalog", action="store_true", help="load the catalog into Odoo too (in-odoo)")
    parser.add_argument("--delta-alone", action="store_true", help="diff_sides alone on synthetic sides")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s]
    stages = [s for s in args.stages.split(",") if s]
    if args.delta_alone:
        for n in sizes:
            for shape in ("in, first run", "out, first run", "in, synced", "out, synced"):
                r = delta_alone(n, shape, args.top)
                print(
                    f"\n{n} {shape}: {r['changes']} changes; heap peak {r['peak_per_id']:.0f} B/id, held when the "
                    f"source is read {r['held_per_id']:.0f} B/id; by line (B/id):"
                )
                for where, per_id in r["top"]:
                    print(f"  {per_id:>7.1f}  {where}")
        return 0
    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as d:
        for n in sizes:
            results.extend(one_size(n, args.pg_url, Path(d), stages, args.tracemalloc, args.top, args.odoo_catalog))
    out = sys.stdout
    out.write("plan_stage of products in a process of its own; MB\n")
    out.write(
        f"{'products':>9} {'stage':>16} {'ops':>8} {'seconds':>8} {'RSS before':>11} {'RSS peak':>9} "
        f"{'growth':>7} {'heap peak':>10} {'held at peak':>13}\n"
    )
    for r in results:
        out.write(
            f"{r['n']:>9} {r['stage']:>16} {r['operations']:>8} {r['seconds']:>8.1f} {r['rss_before']:>11.0f} "
            f"{r['rss_peak']:>9.0f} {r['rss_peak'] - r['rss_before']:>7.0f} {r.get('heap_peak', float('nan')):>10.1f} "
            f"{r.get('full_heap', float('nan')):>13.1f}\n"
        )
    for r in results:
        if r.get("top"):
            out.write(f"\n{r['n']} {r['stage']}: held when the source is read, by line (MB, blocks)\n")
            for where, mb, count in r["top"]:
                out.write(f"  {mb:>8.1f} {count:>9}  {where}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
