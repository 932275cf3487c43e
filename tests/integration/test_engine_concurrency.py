"""Organizations syncing at the same time: runs overlap, a run over busy entities queues, serialization failures
are retried, no organization's data reaches another's systems, and the per-organization run limit holds."""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from syncbridge.errors import ConcurrencyLimitError, TransientError
from syncbridge.sim.stack import SimStack, connect_org, start_sims
from syncbridge.store import session as session_module
from tests.chaos import checker
from tests.chaos.world import shop_data
from tests.integration.harness import Engine_, engine_for

# Five runs per organization over different entity sets, the last over the first one's entity (so it queues).
RUN_SETS = [["customers"], ["products"], ["inventory"], ["orders", "payments"], ["customers"]]
TAGS = ("A", "B", "C")


@pytest.fixture
def serialization_retries(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """Counts the transactions ``retry_serializable`` saw fail with a retryable code (it retries them)."""
    seen: Counter[str] = Counter()
    original: Callable[..., Any] = session_module.transaction

    @contextlib.contextmanager
    def counting(engine: sa.Engine, **kwargs: Any) -> Iterator[sa.Connection]:
        try:
            with original(engine, **kwargs) as conn:
                yield conn
        except TransientError as exc:
            if exc.code in session_module.RETRYABLE_CODES:
                seen[str(exc.code)] += 1
            raise

    monkeypatch.setattr(session_module, "transaction", counting)
    return seen


def _orgs(env: Engine_, tags: tuple[str, ...], items: int) -> dict[str, tuple[str, SimStack]]:
    out: dict[str, tuple[str, SimStack]] = {}
    for i, tag in enumerate(tags):
        stack = start_sims(woo_data=shop_data(items, f"{tag}W", i + 1), odoo_data=shop_data(items, f"{tag}O", i + 11))
        out[tag] = (connect_org(env.engine, env.settings, stack, name=f"org-{tag}"), stack)
    return out


def _foreign_keys(tag: str, stack: SimStack, env: Engine_, org: str) -> list[str]:
    """Natural keys in this organization's systems and hub rows that carry another organization's tag."""
    snapshots = [
        checker.woo_snapshot(stack.woo),
        checker.odoo_snapshot(stack.odoo),
        checker.hub_snapshot(env.engine, org),
    ]
    own = (f"{tag}W", f"{tag}O", f"{tag.lower()}w.", f"{tag.lower()}o.")
    return sorted(key for snap in snapshots for entity, keys in snap.items() for key in keys if not key.startswith(own))


def _started_after_finished(later: dict[str, Any], earlier: dict[str, Any]) -> bool:
    return datetime.fromisoformat(later["startedAt"]) >= datetime.fromisoformat(earlier["finishedAt"])


@pytest.mark.pg
def test_three_orgs_five_concurrent_runs_each(pg_url: str, tmp_path: Path, serialization_retries: Counter[str]) -> None:
    with engine_for(pg_url, tmp_path) as env:
        orgs = _orgs(env, TAGS, items=40)
        try:
            env.start_workers(4)
            started: dict[str, list[str]] = {}
            for tag, (org, _) in orgs.items():
                started[tag] = [
                    env.orchestration.start(org, systems=["woocommerce", "odoo"], entities=entities)["runId"]
                    for entities in RUN_SETS
                ]
            with pytest.raises(ConcurrencyLimitError):
                env.orchestration.start(orgs["A"][0], systems=["odoo"], entities=["customers"])
            views = {
                tag: [env.orchestration.wait(orgs[tag][0], run_id, timeout_s=240) for run_id in run_ids]
                for tag, run_ids in started.items()
            }
        finally:
            for _, stack in orgs.values():
                stack.stop()
        for tag, runs in views.items():
            assert [v["status"] for v in runs] == ["completed"] * len(RUN_SETS), (tag, [v["error"] for v in runs])
            assert _started_after_finished(runs[4], runs[0]), "a second run over customers did not wait its turn"
            org, stack = orgs[tag]
            assert _foreign_keys(tag, stack, env, org) == [], tag
            assert env.hub_count(org, "customers") > 0
        print(f"serialization failures retried: {dict(serialization_retries)}")


def test_two_orgs_concurrent_runs_on_sqlite(sqlite_url: str, tmp_path: Path) -> None:
    with engine_for(sqlite_url, tmp_path) as env:
        orgs = _orgs(env, TAGS[:2], items=20)
        try:
            env.start_workers(2)
            run_ids = {
                tag: env.orchestration.start(org, systems=["woocommerce", "odoo"], entities=["customers", "products"])[
                    "runId"
                ]
                for tag, (org, _) in orgs.items()
            }
            views = {tag: env.orchestration.wait(orgs[tag][0], rid, timeout_s=180) for tag, rid in run_ids.items()}
        finally:
            for _, stack in orgs.values():
                stack.stop()
        for tag, view in views.items():
            assert view["status"] == "completed", view
            org, stack = orgs[tag]
            assert _foreign_keys(tag, stack, env, org) == [], tag


@pytest.mark.parametrize("limit", [1, 5])
def test_the_run_past_the_limit_is_refused(sqlite_url: str, tmp_path: Path, limit: int) -> None:
    with engine_for(sqlite_url, tmp_path, max_concurrent_runs_per_org=limit) as env:
        org = env.org("acme")
        other = env.org("other")
        for _ in range(limit):
            env.orchestration.start(org, systems=["woocommerce"], entities=["customers"])
        with pytest.raises(ConcurrencyLimitError) as refused:
            env.orchestration.start(org, systems=["woocommerce"], entities=["products"])
        assert refused.value.details == {"limit": limit, "active": limit}
        env.orchestration.start(other, systems=["woocommerce"], entities=["customers"])  # another org is not counted
