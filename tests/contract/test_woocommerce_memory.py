"""Reading a 100k-product catalog through ``iter_changes`` keeps the client's memory flat.

The simulator runs in a child process (so only the connector's allocations are traced) and is filled through
its store, not its API, so the setup takes seconds.
"""

from __future__ import annotations

import subprocess
import sys
import tracemalloc
from collections.abc import Iterator

import pytest

from syncbridge.connectors.woocommerce.connector import WooCommerceConnector
from syncbridge.domain.records import EntityType
from syncbridge.domain.seen import SeenIds

SIZE = 100_000
SERVE = """
import sys, time
from syncbridge.sim.server import SimServer
from syncbridge.sim.woocommerce import WooCommerceSim
from syncbridge.sim.woocommerce.rows import ProductRow
sim = WooCommerceSim("ck_mem", "cs_mem")
s, now = sim.store, sim.store.now()
for i in range(int(sys.argv[1])):
    pid = s.next_id("post")
    s.products[pid] = ProductRow(id=pid, type="simple", name=f"Product {i}", sku=f"SKU-{i}", status="publish",
                                 created=now, modified=now, regular_price="9.99", slug=f"product-{i}")
    s.sku_index[f"SKU-{i}"] = pid
    s.index_add("products", pid, now, False)
server = SimServer(sim.app).start()
print(server.port, flush=True)
while True:
    time.sleep(60)
"""


@pytest.fixture(scope="module")
def catalog() -> Iterator[str]:
    proc = subprocess.Popen([sys.executable, "-c", SERVE, str(SIZE)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    try:
        port = int(proc.stdout.readline())
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=15)
        proc.stdout.close()


@pytest.mark.slow
def test_reading_100k_products_keeps_peak_memory_flat(catalog: str) -> None:
    """The peak over the last 80k records is no higher than the peak over the first 20k (linear growth: 5x)."""
    conn = WooCommerceConnector(catalog, "ck_mem", "cs_mem")
    read, peaks = 0, []
    try:
        next(iter(conn.iter_changes(EntityType.PRODUCTS)))  # warm up: imports, connection pool
        tracemalloc.start()
        for page in conn.iter_changes(EntityType.PRODUCTS):
            read += len(page.records)
            if read == SIZE // 5:
                peaks.append(tracemalloc.get_traced_memory()[1])
                tracemalloc.reset_peak()
        peaks.append(tracemalloc.get_traced_memory()[1])
    finally:
        tracemalloc.stop()
        conn.close()
    assert read == SIZE
    first_20k, last_80k = peaks
    assert last_80k < 1.5 * first_20k, peaks


@pytest.mark.parametrize("ids", [[1, 2, 3], [8, 7, 800_000], [0], list(range(0, 5000, 3))])
def test_seen_ids(ids: list[int]) -> None:
    seen = SeenIds()
    for i in ids:
        seen.add(i)
    assert all(i in seen for i in ids)
    others = [i for i in range(max(ids) + 20) if i not in set(ids)]
    assert not any(i in seen for i in others)
