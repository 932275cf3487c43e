"""The isolation matrix: organization A's credentials against organization B's run, conflict, preview,
settings, activity and connections, on every route -> 404 or no data (never 403, never B's data)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from apikit import API, RsaKeys, Stack, add_conflict, data_of, error_of, stacks, start_body

from syncbridge.store.session import transaction
from syncbridge.store.tables import now_utc, sync_preview_cache

MARKER = "only-org-b-may-see-this"


@dataclass
class World:
    stack: Stack
    run_b: str
    conflict_b: str
    run_a: str


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.pg)])
def world(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    hub_template: Path,
    rsa_keys: RsaKeys,
) -> Iterator[World]:
    url: str | None = None
    admin: sa.Engine | None = None
    schema = f"t_{uuid.uuid4().hex[:12]}"
    if request.param == "postgresql":
        admin_url: str = request.getfixturevalue("pg_admin_url")
        admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        url = f"{admin_url}?options=-csearch_path%3D{schema}"
    try:
        with stacks(tmp_path_factory.mktemp("iso"), hub_template, rsa_keys) as factory:
            stack = factory(url)
            yield build_world(stack)
    finally:
        if admin is not None:
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()


def build_world(stack: Stack) -> World:
    c = stack.client
    run_b = data_of(c.post(f"{API}/sync/orchestrate", json=start_body(), headers=stack.b.headers))["runId"]
    run_a = data_of(
        c.post(f"{API}/sync/orchestrate", json=start_body(entityTypes=["orders"]), headers=stack.a.headers)
    )["runId"]
    conflict_b = add_conflict(stack.services, stack.b.id, run_id=run_b, email=f"{MARKER}@example.com")
    data_of(
        c.post(
            f"{API}/sync/preview",
            params={"action": "select", "entity_type": "products"},
            json={"includeDeleted": True, "includeNew": False},
            headers=stack.b.headers,
        )
    )
    with transaction(stack.services.engine) as conn:
        conn.execute(
            sync_preview_cache.insert().values(
                org_id=stack.b.id,
                system="odoo",
                entity="customers",
                direction="inbound",
                payload={"marker": MARKER},
                computed_at=now_utc(),
                expires_at=now_utc().replace(year=now_utc().year + 1),
            )
        )
    return World(stack=stack, run_b=run_b, conflict_b=conflict_b, run_a=run_a)


def as_a(world: World, method: str, path: str, **kwargs: Any) -> Any:
    return world.stack.client.request(method, f"{API}{path}", headers=world.stack.a.headers, **kwargs)


def scrub(error: dict[str, Any], world: World) -> str:
    """The error without the request id, and with the id asked for blanked out."""
    details = {k: v for k, v in error["details"].items() if k != "requestId"}
    return repr((error["error"], details)).replace(world.run_b, "<id>").replace(world.conflict_b, "<id>")


def b_run_status(world: World) -> str:
    view = data_of(world.stack.client.get(f"{API}/sync/runs/{world.run_b}", headers=world.stack.b.headers))
    return str(view["status"])


NOT_FOUND = [
    ("GET run", "GET", "/sync/runs/{run}", None),
    ("status", "POST", "/sync/orchestrate", {"action": "status", "runId": "{run}"}),
    ("pause", "POST", "/sync/orchestrate", {"action": "pause", "runId": "{run}"}),
    ("resume", "POST", "/sync/orchestrate", {"action": "resume", "runId": "{run}"}),
    ("cancel", "POST", "/sync/orchestrate", {"action": "cancel", "runId": "{run}"}),
    ("GET conflict", "GET", "/conflicts/{conflict}", None),
    ("resolve", "POST", "/sync/orchestrate", {"action": "resolve", "conflictId": "{conflict}", "resolution": "skip"}),
]


def fill(value: Any, world: World) -> Any:
    if isinstance(value, str):
        return value.replace("{run}", world.run_b).replace("{conflict}", world.conflict_b)
    if isinstance(value, dict):
        return {k: fill(v, world) for k, v in value.items()}
    return value


@pytest.mark.parametrize(("name", "method", "path", "body"), NOT_FOUND, ids=[n[0] for n in NOT_FOUND])
def test_other_orgs_resources_are_404(world: World, name: str, method: str, path: str, body: Any) -> None:
    before = b_run_status(world)
    response = as_a(world, method, fill(path, world), json=fill(body, world))
    result = error_of(response, 404)
    assert MARKER not in response.text
    # exactly what an id that exists nowhere gets: nothing tells that B's run or conflict exists
    nowhere = World(world.stack, run_b="0" * 32, conflict_b="1" * 32, run_a=world.run_a)
    missing = error_of(as_a(world, method, fill(path, nowhere), json=fill(body, nowhere)), 404)
    assert scrub(result, world) == scrub(missing, nowhere)
    assert b_run_status(world) == before  # and nothing changed for B
    conflict = world.stack.client.get(f"{API}/conflicts/{world.conflict_b}", headers=world.stack.b.headers)
    assert data_of(conflict)["status"] == "open"


EMPTY: list[tuple[str, str, str, dict[str, Any] | None, dict[str, Any] | None]] = [
    ("list runs", "GET", "/sync/runs", None, None),
    ("list conflicts", "GET", "/conflicts", None, None),
    ("conflicts of B's run", "GET", "/conflicts", {"runId": "{run}"}, None),
    ("conflicts action", "POST", "/sync/orchestrate", None, {"action": "conflicts", "runId": "{run}"}),
    ("conflict stats", "GET", "/conflicts/stats", None, None),
    ("activity", "GET", "/activity", None, None),
    ("activity of B's run", "GET", "/activity", {"runId": "{run}"}, None),
    ("connections", "GET", "/connections", None, None),
    ("selective settings", "GET", "/settings/selective", None, None),
]


@pytest.mark.parametrize(("name", "method", "path", "params", "body"), EMPTY, ids=[e[0] for e in EMPTY])
def test_lists_show_no_data_of_the_other_org(
    world: World, name: str, method: str, path: str, params: dict[str, Any] | None, body: dict[str, Any] | None
) -> None:
    response = as_a(world, method, path, params=fill(params, world), json=fill(body, world))
    data = data_of(response)
    text = response.text
    assert world.run_b not in text and world.conflict_b not in text and MARKER not in text
    assert world.stack.b.id not in text and world.stack.b.woo_connection not in text
    if name == "conflict stats":
        assert data["total"] == 0
    if name == "selective settings":
        assert data["products"]["includeDeleted"] is False and data["products"]["includeNew"] is True
    if name == "list runs":
        assert [r["runId"] for r in data] == [world.run_a]


@pytest.mark.parametrize(
    ("method", "params"),
    [
        ("GET", {"sync_type": "odoo", "entity_type": "customers"}),
        ("POST", {"action": "fetch", "sync_type": "odoo", "entity_type": "customers"}),
    ],
)
def test_preview_never_serves_the_other_orgs_cache(world: World, method: str, params: dict[str, Any]) -> None:
    response = as_a(world, method, "/sync/preview", params=params)
    assert response.status_code in {400, 404}  # A has no Odoo connection: B's cached answer is not used
    assert MARKER not in response.text
