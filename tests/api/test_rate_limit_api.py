"""The per-organization rate limit through HTTP: in-process, and in Redis across two API servers."""

from __future__ import annotations

import httpx
import pytest
from apikit import API, StackFactory, data_of, error_of, open_stack

from syncbridge.config import Settings
from syncbridge.services.container import Services
from syncbridge.sim.server import SimServer

URL = f"{API}/connections"
LIMIT = 4


def test_limit_per_org_with_retry_after(stack_factory: StackFactory) -> None:
    stack = stack_factory(api_rate_limit_per_minute=LIMIT)
    for _ in range(LIMIT):
        data_of(stack.client.get(URL, headers=stack.a.headers))
    response = stack.client.get(URL, headers=stack.a.headers)
    body = error_of(response, 429)
    assert body["details"]["code"] == "rate_limited"
    assert 1 <= int(response.headers["Retry-After"]) <= 60 // LIMIT
    # the JWT of the same org shares the bucket; the other org has its own
    error_of(stack.client.get(URL, headers={"Authorization": f"Bearer {stack.token(stack.a)}"}), 429)
    data_of(stack.client.get(URL, headers=stack.b.headers))
    # health, metrics and webhooks are not org-limited
    for path in ("/healthz", "/readyz", "/metrics"):
        assert stack.client.get(path).status_code == 200
    ping = stack.client.post(
        f"{API}/webhooks/woocommerce/{stack.a.woo_connection}",
        content=b"webhook_id=3",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    data_of(ping)


def test_bad_credentials_do_not_spend_the_orgs_tokens(stack_factory: StackFactory) -> None:
    stack = stack_factory(api_rate_limit_per_minute=LIMIT)
    for _ in range(LIMIT * 2):
        error_of(stack.client.get(URL, headers={"X-Api-Key": "sbk_nope_nope"}), 401)
    for _ in range(LIMIT):
        data_of(stack.client.get(URL, headers=stack.a.headers))


def _second_api(settings: Settings) -> tuple[SimServer, httpx.Client, Services]:
    """Another API server: its own app, services, Redis client and limiter; the same database and Redis."""
    services, app = open_stack(settings)
    server = SimServer(app).start()
    return server, httpx.Client(base_url=server.url, timeout=30), services


@pytest.mark.parametrize(
    ("shared", "granted"),
    [pytest.param(True, LIMIT, marks=pytest.mark.redis), (False, 2 * LIMIT)],
    ids=["redis", "in-process"],
)
def test_limit_holds_across_two_api_servers_only_with_redis(
    stack_factory: StackFactory, request: pytest.FixtureRequest, shared: bool, granted: int
) -> None:
    redis_url = request.getfixturevalue("redis_url") if shared else None
    first = stack_factory(api_rate_limit_per_minute=LIMIT, redis_url=redis_url)
    server, second, services = _second_api(first.services.settings)  # same database, same Redis
    try:
        statuses = []
        for i in range(LIMIT * 3):
            client = first.client if i % 2 == 0 else second
            statuses.append(client.get(URL, headers=first.a.headers).status_code)
        assert statuses.count(200) == granted
        assert set(statuses) == {200, 429}
    finally:
        second.close()
        server.stop()
        services.close()
