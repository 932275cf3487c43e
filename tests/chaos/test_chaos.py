"""Two-way sync rounds (WooCommerce <-> hub <-> Odoo, both shops seeded, edits on each side between rounds) while
workers and the API process are SIGKILLed, PostgreSQL connections cut, Redis restarted and both simulators answer
with 429s, 5xx, resets, hangs and lost responses; then the independent checker compares the three systems.

CI runs small sizes; by hand: ``CHAOS_ITEMS=10000 CHAOS_ROUNDS=20 .venv/bin/pytest tests/chaos -s``.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.chaos import checker
from tests.chaos.conftest import (
    CHAOS_ITEMS,
    CHAOS_ROUNDS,
    CHAOS_SEED,
    ChaosDb,
    PrivateRedis,
    Processes,
    process_env,
)
from tests.chaos.world import edit_odoo, edit_woocommerce, shop_data
from tests.integration.harness import ALL_ENTITIES, engine_for

from syncbridge.sim.faults import FaultConfig
from syncbridge.sim.stack import SimStack, connect_org, start_sims
from syncbridge.store.orgs import create_api_key
from syncbridge.store.session import transaction

ROUND_TIMEOUT_S = 600 + CHAOS_ITEMS / 5
# Every round may take its run and one more (a run the chaos failed is followed by another): a large hand-run size
# (CHAOS_ITEMS=10000 CHAOS_ROUNDS=20 takes hours) must not be cut by a fixed test timeout.
pytestmark = [
    pytest.mark.chaos,
    pytest.mark.pg,
    pytest.mark.timeout(max(3600, int(CHAOS_ROUNDS * 2 * ROUND_TIMEOUT_S))),
]

FINAL = {"completed", "failed", "cancelled"}


def _faults(seed: int) -> FaultConfig:
    return FaultConfig(
        seed=seed,
        error_rate=0.03,
        rate_429=0.03,
        drop_rate=0.02,
        hang_rate=0.005,
        hang_seconds=3.0,
        lost_response_rate=0.03,
        retry_after_s=0,
    )


class ApiClient:
    """Starts and polls runs through the API process, respawning it when it was killed under us."""

    def __init__(self, procs: Processes, key: str) -> None:
        self.procs = procs
        self.headers = {"X-Api-Key": key}
        self.errors = 0

    def call(self, body: dict[str, Any]) -> dict[str, Any]:
        url = f"{self.procs.api_url}/api/v1/integrations/sync/orchestrate"
        for _ in range(60):
            try:
                response = httpx.post(url, json=body, headers=self.headers, timeout=10)
            except httpx.TransportError:
                self.errors += 1
                if self.procs.api is None or self.procs.api.poll() is not None:
                    self.procs.start_api()
                time.sleep(0.2)
                continue
            if response.status_code >= 500:  # a cut database connection inside the API: try again
                self.errors += 1
                time.sleep(0.2)
                continue
            assert response.status_code < 300, response.text
            data: dict[str, Any] = response.json()["data"]
            return data
        raise AssertionError("the API never answered")


def _chaos_step(rng: random.Random, procs: Processes, db: ChaosDb, redis: PrivateRedis, tally: Counter[str]) -> None:
    action = rng.choice(("worker", "worker", "api", "postgres", "redis"))
    if action == "worker":
        procs.kill_worker(rng.randrange(len(procs.workers)))
    elif action == "api":
        procs.kill_api()
    elif action == "postgres":
        db.drop_connections()
    else:
        redis.restart()
    tally[action] += 1


def _round(
    api: ApiClient,
    rng: random.Random,
    procs: Processes,
    db: ChaosDb,
    redis: PrivateRedis,
    tally: Counter[str],
    timeout_s: float,
) -> dict[str, Any]:
    body = {
        "action": "start",
        "systems": ["woocommerce", "odoo"],
        "entityTypes": ALL_ENTITIES,
        "direction": "two-way",
        "syncConfig": {"batchSize": 50, "maxRetries": 10},
    }
    view = api.call(body)
    deadline = time.monotonic() + timeout_s
    while view["status"] not in FINAL:
        assert time.monotonic() < deadline, view
        time.sleep(rng.uniform(0.3, 1.2))
        _chaos_step(rng, procs, db, redis, tally)
        view = api.call({"action": "status", "runId": view["runId"]})
    return view


def test_two_way_sync_survives_chaos(chaos_db: ChaosDb, private_redis: PrivateRedis, tmp_path: Path) -> None:
    rng = random.Random(CHAOS_SEED)
    woo_data = shop_data(CHAOS_ITEMS // 2, "W", CHAOS_SEED)
    odoo_data = shop_data(CHAOS_ITEMS // 2, "O", CHAOS_SEED + 1)
    edits_per_round = max(2, CHAOS_ITEMS // 100)
    with (
        engine_for(chaos_db.url, tmp_path, redis_url=private_redis.url) as env,
        start_sims(woo_data=woo_data, odoo_data=odoo_data, seed=CHAOS_SEED) as stack,
    ):
        org = connect_org(env.engine, env.settings, stack, name="chaos")
        with transaction(env.engine) as conn:
            _, key = create_api_key(conn, org, name="chaos")
        baseline = {"woocommerce": checker.woo_snapshot(stack.woo), "odoo": checker.odoo_snapshot(stack.odoo)}
        _set_faults(stack, on=True)
        procs = Processes(
            env=process_env(chaos_db.url, private_redis.url, env.settings.secret_key_file),
            log=tmp_path / "processes.log",
        )
        tally: Counter[str] = Counter()
        outcomes: Counter[str] = Counter()
        failures: list[str] = []
        try:
            procs.start_api()
            for _ in range(2):
                procs.start_worker()
            api = ApiClient(procs, key)
            for round_no in range(CHAOS_ROUNDS):
                if round_no:
                    edit_woocommerce(stack.woo, rng, edits_per_round, round_no)
                    edit_odoo(stack.odoo, rng, edits_per_round, round_no)
                view = _round(api, rng, procs, chaos_db, private_redis, tally, timeout_s=ROUND_TIMEOUT_S)
                outcomes[view["status"]] += 1
                while view["status"] != "completed":  # a run the chaos failed: the next run takes over
                    failures.append(str(view.get("error"))[:200])
                    view = _round(api, rng, procs, chaos_db, private_redis, tally, timeout_s=ROUND_TIMEOUT_S)
                    outcomes[f"retry-{view['status']}"] += 1
        finally:
            procs.stop()
            faults = Counter(stack.woo.faults.counts) + Counter(stack.odoo.faults.counts)
            _set_faults(stack, on=False)
        report = checker.check(stack.woo, stack.odoo, env.engine, org, baseline)
        print(
            f"\nchaos: items={CHAOS_ITEMS} rounds={CHAOS_ROUNDS} runs={dict(outcomes)} actions={dict(tally)} "
            f"kills={procs.kills} pg_drops={chaos_db.drops} redis_restarts={private_redis.restarts} "
            f"sim_faults={dict(faults)} api_errors={api.errors}\nfailed runs: {failures}\n{report.render()}"
        )
        assert sum(tally.values()) >= CHAOS_ROUNDS, "the chaos never struck"
        assert sum(faults.values()) > 0
        assert report.clean, report.render()


def _set_faults(stack: SimStack, *, on: bool) -> None:
    for index, injector in enumerate((stack.woo.faults, stack.odoo.faults)):
        injector.configure_from(_faults(CHAOS_SEED + index) if on else FaultConfig(seed=CHAOS_SEED + index))
