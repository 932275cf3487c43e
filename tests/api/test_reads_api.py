"""The web UI's read routes: conflicts (list, one, stats), activity with its histogram, masked connections."""

from __future__ import annotations

import pytest
from apikit import API, WEBHOOK_SECRET, Stack, add_conflict, data_of, error_of, start_body


def test_conflict_routes(stack: Stack) -> None:
    run_id = data_of(stack.client.post(f"{API}/sync/orchestrate", json=start_body(), headers=stack.a.headers))["runId"]
    ids = [add_conflict(stack.services, stack.a.id, run_id=run_id, email=f"c{i}@example.com") for i in range(3)]
    h = stack.a.headers
    listed = data_of(stack.client.get(f"{API}/conflicts", params={"pageSize": 2, "page": 1}, headers=h))
    assert (listed["total"], len(listed["items"])) == (3, 2)
    filtered = data_of(
        stack.client.get(
            f"{API}/conflicts",
            params={"runId": run_id, "type": "data_mismatch", "entity": "customers", "status": "open"},
            headers=h,
        )
    )
    assert {i["id"] for i in filtered["items"]} == set(ids)
    assert data_of(stack.client.get(f"{API}/conflicts", params={"entity": "orders"}, headers=h))["total"] == 0
    one = data_of(stack.client.get(f"{API}/conflicts/{ids[0]}", headers=h))
    assert one["id"] == ids[0] and one["diff"] == {"name": {"old": "Ann", "new": "Anne"}}
    stats = data_of(stack.client.get(f"{API}/conflicts/stats", headers=h))
    assert stats["total"] == 3
    error_of(stack.client.get(f"{API}/conflicts/{'e' * 32}", headers=h), 404)


@pytest.mark.parametrize(
    ("params", "field"),
    [({"entity": "invoices"}, "query.entity"), ({"page": 0}, "query.page"), ({"pageSize": 1000}, "query.pageSize")],
)
def test_conflict_list_validation(shared_stack: Stack, params: dict[str, object], field: str) -> None:
    body = error_of(shared_stack.client.get(f"{API}/conflicts", params=params, headers=shared_stack.a.headers), 400)
    assert field in [e["field"] for e in body["details"]["errors"]]


def test_activity_and_histogram(stack: Stack) -> None:
    h = stack.a.headers
    run_id = data_of(stack.client.post(f"{API}/sync/orchestrate", json=start_body(), headers=h))["runId"]
    data = data_of(stack.client.get(f"{API}/activity", headers=h))
    assert data["items"] and all(set(i) >= {"id", "kind", "message", "createdAt"} for i in data["items"])
    assert any(i["runId"] == run_id for i in data["items"])
    buckets = data["histogram"]["buckets"]
    assert data["histogram"]["bucketSeconds"] == 3600
    assert sum(b["count"] for b in buckets) == len(data["items"])
    one = data_of(stack.client.get(f"{API}/activity", params={"limit": 1, "runId": run_id}, headers=h))
    assert len(one["items"]) == 1
    older = data_of(stack.client.get(f"{API}/activity", params={"before": data["items"][-1]["createdAt"]}, headers=h))
    assert data["items"][-1]["id"] not in {i["id"] for i in older["items"]}
    error_of(stack.client.get(f"{API}/activity", params={"bucketSeconds": 1}, headers=h), 400)


def test_connections_are_masked(shared_stack: Stack) -> None:
    response = shared_stack.client.get(f"{API}/connections", headers=shared_stack.a.headers)
    (conn,) = data_of(response)
    assert conn["system"] == "woocommerce" and conn["id"] == shared_stack.a.woo_connection
    assert conn["secrets"]["consumer_secret"] == "cs_…cdef"
    for clear in ("cs_0123456789abcdef", "ck_0123456789abcdef", WEBHOOK_SECRET):
        assert clear not in response.text
