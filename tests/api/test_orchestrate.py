"""Every action of ``POST /sync/orchestrate`` and the run read routes, through HTTP."""

from __future__ import annotations

from typing import Any

import pytest
from apikit import API, Stack, StackFactory, add_conflict, data_of, error_of, start_body

URL = f"{API}/sync/orchestrate"


def start(stack: Stack, **changes: Any) -> dict[str, Any]:
    response = stack.client.post(URL, json=start_body(**changes), headers=stack.a.headers)
    assert response.status_code == 201, response.text
    run: dict[str, Any] = data_of(response)
    return run


def act(stack: Stack, action: str, run_id: str) -> Any:
    return stack.client.post(URL, json={"action": action, "runId": run_id}, headers=stack.a.headers)


def test_start_answers_201_with_the_run_view(stack: Stack) -> None:
    run = start(stack)
    assert run["runId"]
    assert run["systems"] == ["woocommerce", "odoo"]
    assert run["entities"] == ["customers"]
    assert run["direction"] == "two-way"
    assert run["dryRun"] is True
    assert run["status"] in {"pending", "running"}
    for key in ("total", "processed", "applied", "skipped", "conflicts", "itemsPerSecond", "etaSeconds"):
        assert key in run["progress"]


def test_lifecycle_status_pause_resume_cancel(stack: Stack) -> None:
    run_id = start(stack)["runId"]
    assert data_of(act(stack, "status", run_id))["runId"] == run_id
    assert data_of(act(stack, "pause", run_id))["status"] == "paused"
    assert data_of(act(stack, "resume", run_id))["status"] in {"running", "pending"}
    assert data_of(act(stack, "cancel", run_id))["status"] == "cancelled"
    body = error_of(act(stack, "resume", run_id), 409)  # a finished run cannot come back
    assert body["details"]["code"] == "illegal_transition"
    error_of(act(stack, "pause", run_id), 409)


def test_concurrency_limit_is_409(stack_factory: StackFactory) -> None:
    stack = stack_factory(max_concurrent_runs_per_org=1)
    start(stack)
    response = stack.client.post(URL, json=start_body(entityTypes=["products"]), headers=stack.a.headers)
    assert error_of(response, 409)["details"]["code"] == "concurrency_limit"
    other = stack.client.post(URL, json=start_body(), headers=stack.b.headers)  # the limit is per org
    assert other.status_code == 201


@pytest.mark.parametrize("action", ["status", "pause", "resume", "cancel"])
def test_unknown_run_is_404(shared_stack: Stack, action: str) -> None:
    error_of(act(shared_stack, action, "0" * 32), 404)


BAD_BODIES: list[tuple[str, dict[str, Any], str]] = [
    ("unknown action", {"action": "explode"}, "body.action"),
    ("no action", {"runId": "x"}, "body.action"),
    ("status without runId", {"action": "status"}, "body.status.runId"),
    ("unknown system", start_body(systems=["shopify"]), "body.start.systems.0"),
    ("no systems", start_body(systems=[]), "body.start.systems"),
    ("unknown entity", start_body(entityTypes=["invoices"]), "body.start.entityTypes.0"),
    ("bad direction", start_body(direction="sideways"), "body.start.direction"),
    ("batch too big", start_body(syncConfig={"batchSize": 0}), "body.start.syncConfig.batchSize"),
    ("extra field", start_body(surprise=1), "body.start.surprise"),
    ("resolve without id", {"action": "resolve", "resolution": "skip"}, "body.resolve.conflictId"),
    ("page zero", {"action": "conflicts", "page": 0}, "body.conflicts.page"),
]


@pytest.mark.parametrize(("name", "body", "field"), BAD_BODIES, ids=[b[0] for b in BAD_BODIES])
def test_invalid_bodies_are_400_naming_the_field(
    shared_stack: Stack, name: str, body: dict[str, Any], field: str
) -> None:
    result = error_of(shared_stack.client.post(URL, json=body, headers=shared_stack.a.headers), 400)
    fields = [e["field"] for e in result["details"]["errors"]]
    assert field in fields, fields
    assert field in result["error"]


def test_not_json_is_400(shared_stack: Stack) -> None:
    response = shared_stack.client.post(
        URL, content=b"{not json", headers={**shared_stack.a.headers, "Content-Type": "application/json"}
    )
    error_of(response, 400)


def test_conflicts_action_lists_with_filters_and_pages(stack: Stack) -> None:
    run_id = start(stack)["runId"]
    ids = [add_conflict(stack.services, stack.a.id, run_id=run_id, email=f"c{i}@example.com") for i in range(3)]
    add_conflict(stack.services, stack.a.id, email="other-run@example.com")
    body = {"action": "conflicts", "runId": run_id, "page": 1, "pageSize": 2}
    first = data_of(stack.client.post(URL, json=body, headers=stack.a.headers))
    assert (first["total"], first["page"], first["pageSize"], len(first["items"])) == (3, 1, 2, 2)
    second = data_of(stack.client.post(URL, json={**body, "page": 2}, headers=stack.a.headers))
    assert {i["id"] for i in first["items"] + second["items"]} == set(ids)
    by_type = {"action": "conflicts", "type": "data_mismatch", "entity": "customers", "status": "open"}
    assert data_of(stack.client.post(URL, json=by_type, headers=stack.a.headers))["total"] == 4


def test_resolve_action_skips_a_conflict(stack: Stack) -> None:
    conflict_id = add_conflict(stack.services, stack.a.id)
    body = {"action": "resolve", "conflictId": conflict_id, "resolution": "skip"}
    result = data_of(stack.client.post(URL, json=body, headers=stack.a.headers))
    assert result["ok"] is True
    assert result["conflict"]["status"] == "skipped"
    again = stack.client.post(URL, json=body, headers=stack.a.headers)
    error_of(again, 409)  # closed already


def test_resolve_with_unknown_resolution_is_400(stack: Stack) -> None:
    conflict_id = add_conflict(stack.services, stack.a.id)
    body = {"action": "resolve", "conflictId": conflict_id, "resolution": "shrug"}
    error_of(stack.client.post(URL, json=body, headers=stack.a.headers), 400)


def test_run_routes(stack: Stack) -> None:
    first = start(stack)["runId"]
    second = start(stack, entityTypes=["products"])["runId"]
    runs = data_of(stack.client.get(f"{API}/sync/runs", headers=stack.a.headers))
    assert {r["runId"] for r in runs} == {first, second}
    limited = data_of(stack.client.get(f"{API}/sync/runs", params={"limit": 1}, headers=stack.a.headers))
    assert len(limited) == 1
    one = data_of(stack.client.get(f"{API}/sync/runs/{first}", headers=stack.a.headers))
    assert one["runId"] == first
    error_of(stack.client.get(f"{API}/sync/runs/{'9' * 32}", headers=stack.a.headers), 404)
    error_of(stack.client.get(f"{API}/sync/runs", params={"limit": 0}, headers=stack.a.headers), 400)
