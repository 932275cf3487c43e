"""Benchmark of the delta (not a test): N canonical customers in the hub, a system with 1 % new, 2 % updated and
0.5 % deleted records, against the naive approach of the earlier design.

    .venv/bin/python bench/delta.py [--sizes 100000,1000000] [--redis-url redis://127.0.0.1:6379/14]

Figures, per size:
* delta only          ``diff_sides`` over links, hub fingerprints (as the hub stores them) and system fingerprints,
                      all already in memory as SideItem / LinkItem lists;
* fingerprint + delta the same, with every system fingerprint computed from its record (``fingerprint_of``);
* naive               MD5 of ``json.dumps`` of every whole record on both sides, all records held in memory as
                      dicts, compared in Python dicts (hashing and comparing timed; building the dicts not);
* peak memory         tracemalloc peak of a separate, streamed run of ``diff_sides`` (ids, keys and items made as
                      they are read, as from the database and a connector); for the naive approach, the
                      tracemalloc size of the records it holds.
Timings are CPU seconds of this process (``time.process_time``: one core, not disturbed by other processes),
with the input lists frozen out of the garbage collector (``gc.freeze``).
Then a cache hit of a 100k-record preview: ``PreviewService.preview`` served from ``sync_preview_cache`` (SQLite,
and Redis when ``--redis-url`` is given), median of 20.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import statistics
import sys
import tempfile
import time
import tracemalloc
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from syncbridge.connectors.base import Connector
from syncbridge.domain.delta import Change, LinkItem, SideItem, count_changes, diff_sides
from syncbridge.domain.fingerprint import fingerprint_of
from syncbridge.domain.records import Address, Customer, System
from syncbridge.services.preview import RENDER_AHEAD, PreviewService
from syncbridge.services.preview_payload import KIND_KEYS, build_payload, change_row, empty_rows, render_rows

NEW_BASE = 50_000_000


def is_updated(i: int) -> bool:
    return i % 50 == 3  # 2 %


def is_deleted(i: int) -> bool:
    return i % 200 == 7  # 0.5 %


def customer(i: int, *, changed: bool = False) -> Customer:
    street, postcode = f"{i % 997} Main Street", f"{10000 + i % 89999}"
    address = Address(street=street, city="Springfield", postcode=postcode, country="US")
    return Customer(
        email=f"customer{i}@example.com",
        name=f"Customer {i}" + (" Jr." if changed else ""),
        phone=f"+1 555 {i % 10000:04d}",
        billing=address,
        shipping=address,
    )


def plain(i: int, *, changed: bool = False) -> dict[str, Any]:
    """The same customer as the earlier design held it: a whole JSON-like dict."""
    address = {
        "company": "", "street": f"{i % 997} Main Street", "street2": "", "city": "Springfield", "state": "",
        "postcode": f"{10000 + i % 89999}", "country": "US",
    }  # fmt: skip
    return {
        "id": 100_000 + i, "email": f"customer{i}@example.com", "name": f"Customer {i}" + (" Jr." if changed else ""),
        "phone": f"+1 555 {i % 10000:04d}", "billing": address, "shipping": dict(address), "active": True,
    }  # fmt: skip


@dataclass
class Inputs:
    n: int
    hub_ids: list[str]
    hub_fps: list[str]
    links: list[LinkItem]
    hub: list[SideItem]
    source: list[SideItem]

    def source_ids(self) -> Iterator[int]:
        yield from (i for i in range(self.n) if not is_deleted(i))
        yield from range(NEW_BASE, NEW_BASE + self.n // 100)

    def stream_records(self) -> Iterator[tuple[str, Customer]]:
        for i in self.source_ids():
            yield str(100_000 + i), customer(i, changed=is_updated(i))


def build(n: int) -> tuple[Inputs, float]:
    """The inputs, and the seconds it took to fingerprint the hub (what the hub does once, when it stores)."""
    hub_ids = [uuid.UUID(int=(i * 0x9E3779B97F4A7C15 + 12345) % (1 << 128)).hex for i in range(n)]
    started = time.perf_counter()
    hub_fps = [fingerprint_of(customer(i)) for i in range(n)]
    hub_fp_s = time.perf_counter() - started
    links = [LinkItem(hub_ids[i], str(100_000 + i), hub_fps[i]) for i in range(n)]
    hub = [SideItem(hub_ids[i], f"customer{i}@example.com", hub_fps[i], False) for i in range(n)]
    source = []
    for i in range(n):
        if is_deleted(i):
            continue
        fp = fingerprint_of(customer(i, changed=True)) if is_updated(i) else hub_fps[i]
        source.append(SideItem(str(100_000 + i), f"customer{i}@example.com", fp, False))
    for i in range(NEW_BASE, NEW_BASE + n // 100):
        source.append(SideItem(str(100_000 + i), f"customer{i}@example.com", fingerprint_of(customer(i)), False))
    return Inputs(n, hub_ids, hub_fps, links, hub, source), hub_fp_s


def expected_counts(n: int) -> dict[str, int]:
    return {
        "new": n // 100,
        "updated": sum(1 for i in range(n) if is_updated(i) and not is_deleted(i)),
        "deleted": sum(1 for i in range(n) if is_deleted(i)),
        "conflict": 0,
    }


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    gc.collect()
    gc.freeze()
    try:
        started = time.process_time()
        result = fn()
        return time.process_time() - started, result
    finally:
        gc.unfreeze()


def delta_only(inputs: Inputs) -> dict[str, int]:
    return count_changes(diff_sides(inputs.source, inputs.hub, inputs.links, source_is_hub=False)).as_dict()


def fingerprint_and_delta(inputs: Inputs) -> dict[str, int]:
    records = inputs.stream_records()
    source = (SideItem(ext_id, record.natural_key, fingerprint_of(record), False) for ext_id, record in records)
    return count_changes(diff_sides(source, inputs.hub, inputs.links, source_is_hub=False)).as_dict()


def delta_peak_bytes(inputs: Inputs) -> int:
    """Streamed as from the database and a connector: every id, key and item is made during the run and counted
    (only the precomputed fingerprint strings exist before; the delta keeps 16-byte copies of them)."""
    n, hub_ids, fps = inputs.n, inputs.hub_ids, inputs.hub_fps
    changed = {i: fingerprint_of(customer(i, changed=True)) for i in range(n) if is_updated(i)}
    fresh = {i: fingerprint_of(customer(i)) for i in range(NEW_BASE, NEW_BASE + n // 100)}

    def hub_id(i: int) -> str:
        return hub_ids[i][:16] + hub_ids[i][16:]  # a new string each time, as read from the database

    def links() -> Iterator[LinkItem]:
        return (LinkItem(hub_id(i), str(100_000 + i), fps[i]) for i in range(n))

    def hub() -> Iterator[SideItem]:
        return (SideItem(hub_id(i), f"customer{i}@example.com", fps[i], False) for i in range(n))

    def source() -> Iterator[SideItem]:
        for i in inputs.source_ids():
            fp = fresh[i] if i >= NEW_BASE else changed.get(i, fps[i])
            yield SideItem(str(100_000 + i), f"customer{i}@example.com", fp, False)

    gc.collect()
    tracemalloc.start()
    try:
        counts = count_changes(diff_sides(source(), hub(), links(), source_is_hub=False)).as_dict()
        assert counts == expected_counts(n), counts
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def naive(n: int) -> tuple[float, int, dict[str, int]]:
    """(seconds hashing and comparing, bytes of the records held, counts)."""
    gc.collect()
    tracemalloc.start()
    hub = {f"customer{i}@example.com": plain(i) for i in range(n)}
    system = {f"customer{i}@example.com": plain(i, changed=is_updated(i)) for i in range(n) if not is_deleted(i)} | {
        f"customer{i}@example.com": plain(i) for i in range(NEW_BASE, NEW_BASE + n // 100)
    }
    held = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()

    def run() -> dict[str, int]:
        def md5(record: dict[str, Any]) -> str:
            return hashlib.md5(json.dumps(record, sort_keys=True).encode()).hexdigest()

        old = {key: md5(record) for key, record in hub.items()}
        new = {key: md5(record) for key, record in system.items()}
        return {
            "new": sum(1 for key in new if key not in old),
            "updated": sum(1 for key, digest in new.items() if key in old and old[key] != digest),
            "deleted": sum(1 for key in old if key not in new),
            "conflict": 0,
        }

    seconds, counts = timed(run)
    return seconds, held, counts


# -- a cache hit of a 100k-record preview -----------------------------------------------------------------------


def _refuse(org_id: str, system: System) -> Connector:
    raise AssertionError("a cache hit calls no system")


def cache_hit_ms(inputs: Inputs, redis_url: str | None) -> dict[str, float]:
    from syncbridge.config import load_settings
    from syncbridge.store import orgs, preview_cache
    from syncbridge.store.bootstrap import open_store
    from syncbridge.store.session import transaction

    changes: list[Change] = list(diff_sides(inputs.source, inputs.hub, inputs.links, source_is_hub=False))
    rows = empty_rows()
    for change in changes:
        rows[KIND_KEYS[change.kind]].append(change_row(change))
    ahead = {key: bucket[:RENDER_AHEAD] for key, bucket in rows.items()}
    hub_index = {hub_id: i for i, hub_id in enumerate(inputs.hub_ids)}
    wanted_hub = {r[1] for bucket in ahead.values() for r in bucket if r[1]}
    hub = {h: customer(hub_index[h]) for h in wanted_hub}
    system_index = (int(r[0]) - 100_000 for bucket in ahead.values() for r in bucket)
    system = {str(100_000 + i): customer(i, changed=is_updated(i)) for i in system_index}
    records = render_rows(ahead, inbound=True, hub=hub, system=system)
    now = datetime.now(UTC)
    payload = build_payload(
        system="woocommerce", entity="customers", direction="inbound", rows=rows, records=records,
        computed_at=now, ttl=timedelta(hours=1),
    )  # fmt: skip
    out: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(database_url=f"sqlite:///{Path(tmp) / 'bench.db'}", secret_key_file=Path(tmp) / "k")
        engine = open_store(settings)
        with transaction(engine) as conn:
            org = orgs.create_org(conn, "bench").id
            preview_cache.put_cached(
                conn, org, "woocommerce", "customers", "inbound",
                payload=payload, computed_at=now, expires_at=now + timedelta(hours=1),
            )  # fmt: skip
        clients: dict[str, Any] = {"sqlite": None}
        if redis_url:
            import redis

            clients["sqlite + redis"] = redis.Redis.from_url(redis_url)
        for label, client in clients.items():
            service = PreviewService(engine, connector_for=_refuse, redis=client)
            service.preview(org, "woocommerce", "customers")  # warm: fills Redis from the database copy
            samples = []
            for _ in range(20):
                started = time.perf_counter()
                answer = service.preview(org, "woocommerce", "customers")
                samples.append((time.perf_counter() - started) * 1000)
                assert answer["cacheHit"] is True
            out[label] = statistics.median(samples)
            if client is not None:
                client.delete(f"syncbridge:preview:{org}:woocommerce:customers:inbound")
                client.close()
        engine.dispose()
    return out


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="100000,1000000", help="comma-separated record counts")
    parser.add_argument("--redis-url", default=None, help="also time a cache hit served from Redis")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]

    header = (
        f"{'records':>9} | {'hub fp (setup)':>14} | {'delta only':>10} | {'rec/s':>9} | {'peak MB':>7} | "
        f"{'fp + delta':>10} | {'rec/s':>8} | {'naive':>8} | {'naive MB':>8} | {'naive/delta':>11} | "
        f"{'naive/(fp+delta)':>16}"
    )
    lines = [header, "-" * len(header)]
    hit: dict[str, float] = {}
    for n in sizes:
        inputs, hub_fp_s = build(n)
        want = expected_counts(n)
        d_s, d_counts = timed(lambda inputs=inputs: delta_only(inputs))
        assert d_counts == want, (d_counts, want)
        peak = delta_peak_bytes(inputs)
        f_s, f_counts = timed(lambda inputs=inputs: fingerprint_and_delta(inputs))
        assert f_counts == want, (f_counts, want)
        if n == 100_000:
            hit = cache_hit_ms(inputs, args.redis_url)
        del inputs
        n_s, n_held, n_counts = naive(n)
        assert n_counts == want, (n_counts, want)
        lines.append(
            f"{n:>9} | {hub_fp_s:>13.2f}s | {d_s:>9.3f}s | {n / d_s:>9.0f} | {peak / 1e6:>7.1f} | "
            f"{f_s:>9.2f}s | {n / f_s:>8.0f} | {n_s:>7.2f}s | {n_held / 1e6:>8.0f} | {n_s / d_s:>10.1f}x | "
            f"{n_s / f_s:>15.2f}x"
        )
        print(lines[-1], file=sys.stderr, flush=True)
    print()
    print("\n".join(lines))
    print(f"changes per size: {', '.join(f'{k} {v}' for k, v in expected_counts(sizes[-1]).items())} (largest)")
    for label, ms in hit.items():
        print(f"cache hit, 100k-record preview ({label}): median {ms:.1f} ms")
    print(f"process peak RSS (resource.getrusage, whole run): {_max_rss_mb():.0f} MB")


def _max_rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


if __name__ == "__main__":
    main(sys.argv[1:])
