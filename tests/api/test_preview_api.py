"""Preview routes against the WooCommerce simulator: counts, paging, cache headers, refresh, selective settings."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from apikit import API, Stack, StackFactory, data_of, error_of

from syncbridge.sim.seed import generate
from syncbridge.sim.stack import SimStack, connect_org, start_sims
from syncbridge.store.orgs import create_api_key
from syncbridge.store.session import transaction

URL = f"{API}/sync/preview"
CUSTOMERS = 5


@pytest.fixture(scope="module")
def sims() -> Iterator[SimStack]:
    with start_sims(woo_data=generate(customers=CUSTOMERS, products=3, orders=2, seed=3)) as stack:
        yield stack


def loaded_customers(sims: SimStack) -> int:
    """The seed holds a deliberate duplicate email, which WooCommerce refuses."""
    refused = [r for r in sims.reports["woocommerce"].refused if r.startswith("customer ")]
    return CUSTOMERS - len(refused)


def connected(stack: Stack, sims: SimStack) -> dict[str, str]:
    """An organization connected to the simulators; its API key headers."""
    org_id = connect_org(stack.services.engine, stack.services.settings, sims, name="sim-org")
    with transaction(stack.services.engine) as conn:
        _, key = create_api_key(conn, org_id)
    return {"X-Api-Key": key}


def max_age(response: Any) -> int:
    match = re.fullmatch(r"private, max-age=(\d+)", response.headers["Cache-Control"])
    assert match, response.headers["Cache-Control"]
    return int(match.group(1))


@pytest.fixture
def sim_stack(stack_factory: StackFactory, sims: SimStack) -> tuple[Stack, dict[str, str]]:
    stack = stack_factory()
    return stack, connected(stack, sims)


def test_preview_counts_cache_and_refresh(sim_stack: tuple[Stack, dict[str, str]], sims: SimStack) -> None:
    stack, headers = sim_stack
    expected = loaded_customers(sims)
    assert expected >= 3
    params = {"sync_type": "woocommerce", "entity_type": "customers"}
    first = stack.client.get(URL, params=params, headers=headers)
    data = data_of(first)
    assert (data["syncType"], data["entityType"], data["cacheHit"]) == ("woocommerce", "customers", False)
    assert data["delta"]["new"]["count"] == expected
    assert data["delta"]["updated"]["count"] == data["delta"]["deleted"]["count"] == 0
    assert 0 < max_age(first) <= 600
    second = stack.client.get(URL, params=params, headers=headers)
    assert data_of(second)["cacheHit"] is True
    assert max_age(second) <= max_age(first)
    fetched = stack.client.post(URL, params={**params, "action": "fetch"}, headers=headers)
    assert data_of(fetched)["cacheHit"] is False
    assert data_of(fetched)["delta"]["new"]["count"] == expected


def test_preview_pages(sim_stack: tuple[Stack, dict[str, str]], sims: SimStack) -> None:
    stack, headers = sim_stack
    total = loaded_customers(sims)
    params = {"sync_type": "woocommerce", "entity_type": "customers", "page": 2, "page_size": 2}
    new = data_of(stack.client.get(URL, params=params, headers=headers))["delta"]["new"]
    pages = -(-total // 2)
    assert (new["page"], new["pageSize"], new["totalPages"]) == (2, 2, pages)
    assert len(new["records"]) == min(2, total - 2)


def test_selective_settings(sim_stack: tuple[Stack, dict[str, str]]) -> None:
    stack, headers = sim_stack
    before = data_of(stack.client.get(f"{API}/settings/selective", headers=headers))
    assert before["products"] == {
        "entityType": "products",
        "includeNew": True,
        "includeUpdated": True,
        "includeDeleted": False,
    }
    saved = stack.client.post(
        URL, params={"action": "select", "entity_type": "products"}, json={"includeDeleted": True}, headers=headers
    )
    assert data_of(saved) == {
        "entityType": "products",
        "includeNew": True,
        "includeUpdated": True,
        "includeDeleted": True,
    }
    stack.client.post(
        URL, params={"action": "select", "entity_type": "products"}, json={"includeNew": False}, headers=headers
    )
    after = data_of(stack.client.get(f"{API}/settings/selective", headers=headers))
    assert after["products"]["includeNew"] is False and after["products"]["includeDeleted"] is True
    assert after["customers"] == before["customers"]
    # another organization's settings are untouched
    others = data_of(stack.client.get(f"{API}/settings/selective", headers=stack.a.headers))
    assert others["products"]["includeNew"] is True and others["products"]["includeDeleted"] is False


BAD: list[tuple[str, str, dict[str, Any], Any, str]] = [
    ("get", "no entity", {"sync_type": "woocommerce"}, None, "query.entity_type"),
    ("get", "bad entity", {"sync_type": "woocommerce", "entity_type": "invoices"}, None, "query.entity_type"),
    ("get", "bad system", {"sync_type": "shopify", "entity_type": "customers"}, None, "query.sync_type"),
    ("get", "bad page", {"sync_type": "odoo", "entity_type": "customers", "page": 0}, None, "query.page"),
    ("post", "bad action", {"action": "zap", "entity_type": "customers"}, None, "query.action"),
    ("post", "fetch without system", {"action": "fetch", "entity_type": "customers"}, None, "query.sync_type"),
    ("post", "select without body", {"action": "select", "entity_type": "customers"}, None, "body"),
    (
        "post",
        "select bad body",
        {"action": "select", "entity_type": "customers"},
        {"includeNew": "maybe"},
        "body.includeNew",
    ),
]


@pytest.mark.parametrize(("method", "name", "params", "body", "field"), BAD, ids=[b[1] for b in BAD])
def test_invalid_preview_requests_are_400(
    shared_stack: Stack, method: str, name: str, params: dict[str, Any], body: Any, field: str
) -> None:
    response = shared_stack.client.request(method, URL, params=params, json=body, headers=shared_stack.a.headers)
    result = error_of(response, 400)
    assert field in [e["field"] for e in result["details"]["errors"]], result


def test_preview_without_a_connection_is_a_clear_400(stack: Stack) -> None:
    params = {"sync_type": "odoo", "entity_type": "customers"}  # org A has no Odoo connection
    body = error_of(stack.client.get(URL, params=params, headers=stack.a.headers), 400)
    assert "odoo" in body["error"].lower()
