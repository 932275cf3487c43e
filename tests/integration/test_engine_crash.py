"""SIGKILL a worker process in the middle of batches, again and again: nothing lost, nothing created twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from syncbridge.domain.records import EntityType, System
from syncbridge.services.orchestration import RunSettings
from syncbridge.sim.faults import FaultConfig
from syncbridge.sim.seed import generate
from syncbridge.sim.server import SimServer
from syncbridge.sim.woocommerce import WooCommerceSim
from syncbridge.sim.woocommerce.loader import load
from tests.integration.harness import ALL_ENTITIES, engine_for, system_fingerprints

pytestmark = pytest.mark.slow


def _worker(db_url: str, key_file: Path, log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return _spawn(db_url, key_file, out)


def _spawn(db_url: str, key_file: Path, out: Any) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "SYNCBRIDGE_DATABASE_URL": db_url,
        "SYNCBRIDGE_SECRET_KEY_FILE": str(key_file),
        "SYNCBRIDGE_LEASE_SECONDS": "1.5",
        "SYNCBRIDGE_RETRY_BASE_S": "0.01",
        "SYNCBRIDGE_RETRY_CAP_S": "0.05",
        "SYNCBRIDGE_WOOCOMMERCE_RPS": "1000",
        "SYNCBRIDGE_WOOCOMMERCE_BURST": "1000",
        "SYNCBRIDGE_LOG_FORMAT": "json",
    }
    env.pop("SYNCBRIDGE_REDIS_URL", None)
    return subprocess.Popen(
        [sys.executable, "-m", "syncbridge", "worker", "--threads", "2"],
        env=env,
        stdout=out,
        stderr=subprocess.STDOUT,
    )


@pytest.mark.parametrize("kill_points", [(5, 25, 60)])
def test_sigkill_workers_mid_run(db_url: str, tmp_path: Path, kill_points: tuple[int, ...]) -> None:
    data = generate(customers=40, products=30, orders=30, seed=21)
    with engine_for(db_url, tmp_path) as env:
        # The hub learns the catalog from one shop (in-process workers) ...
        org = env.org("acme")
        source = WooCommerceSim(seed=1)
        load(source, data)
        with SimServer(source.app) as first:
            env.connect_woocommerce(org, first.url, source.consumer_key, source.consumer_secret)
            env.start_workers(2)
            assert env.run(org, systems=["woocommerce"], direction="to-hub")["status"] == "completed"
            env.stop_workers()
        env.drop_connection(org, "woocommerce")
        # ... and pushes it into an empty one through worker processes that keep being killed.
        shop = WooCommerceSim(seed=2, faults=FaultConfig(latency_ms=15))
        with SimServer(shop.app) as server:
            shop.site_url = server.url
            env.connect_woocommerce(org, server.url, shop.consumer_key, shop.consumer_secret)
            view = env.orchestration.start(org, systems=["woocommerce"], entities=ALL_ENTITIES,
                                           direction="from-hub", settings=RunSettings(batch_size=5))
            run_id = view["runId"]
            log = tmp_path / "worker.log"
            kills = 0
            for point in kill_points:
                proc = _worker(db_url, env.settings.secret_key_file, log)
                deadline = time.monotonic() + 90
                while env.orchestration.status(org, run_id)["progress"]["processed"] < point:
                    assert proc.poll() is None, log.read_text()[-2000:]
                    assert time.monotonic() < deadline, "no progress"
                    time.sleep(0.02)
                proc.send_signal(signal.SIGKILL)
                proc.wait()
                kills += 1
            proc = _worker(db_url, env.settings.secret_key_file, log)
            try:
                done = env.orchestration.wait(org, run_id, timeout_s=180)
            finally:
                proc.send_signal(signal.SIGTERM)
                proc.wait(timeout=60)
            assert kills == len(kill_points)
            assert done["status"] == "completed", (done, log.read_text()[-3000:])
            assert done["progress"]["conflicts"] == 0
            connector = env.connector_for(org, System.WOOCOMMERCE)
            for entity in ALL_ENTITIES:
                listed = Counter(r.natural_key for page in connector.iter_changes(EntityType(entity))
                                 for r in page.records)
                assert not [k for k, n in listed.items() if n > 1], f"{entity} created twice"
                assert system_fingerprints(env.connector_for(org, System.WOOCOMMERCE), entity) == \
                    env.hub_fingerprints(org, entity), entity
            connector.close()
