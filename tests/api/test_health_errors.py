"""Health, readiness, metrics, OpenAPI, the envelopes and the error mapping (no internals leak)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from apikit import API, RsaKeys, Stack, StackFactory, add_conflict, data_of, error_of, make_settings, start_body

from syncbridge.api.app import create_app
from syncbridge.errors import DuplicateKeyError, RateLimitedError, SyncError, TransientError
from syncbridge.sim.server import SimServer

SECRET_TEXT = "password=hunter2 at /srv/internal/db.sqlite"


def test_healthz_envelope_and_request_id(shared_stack: Stack) -> None:
    response = shared_stack.client.get("/healthz")
    assert data_of(response) == {"status": "ok"}
    body = response.json()
    assert response.headers["X-Request-Id"] == body["meta"]["requestId"]
    assert body["meta"]["processingTime"].endswith("ms")


@pytest.mark.parametrize(("sent", "kept"), [("req-123.abc", True), ("bad id with spaces", False), ("x" * 101, False)])
def test_incoming_request_id(shared_stack: Stack, sent: str, kept: bool) -> None:
    response = shared_stack.client.get("/healthz", headers={"X-Request-Id": sent})
    assert (response.json()["meta"]["requestId"] == sent) is kept
    assert response.headers["X-Request-Id"] == response.json()["meta"]["requestId"]


def test_readyz_checks_the_database(shared_stack: Stack) -> None:
    assert data_of(shared_stack.client.get("/readyz")) == {"status": "ready", "checks": {"database": "ok"}}


@pytest.mark.redis
def test_readyz_checks_redis(stack_factory: StackFactory, redis_url: str) -> None:
    up = stack_factory(redis_url=redis_url)
    assert data_of(up.client.get("/readyz"))["checks"] == {"database": "ok", "redis": "ok"}
    down = stack_factory(redis_url="redis://127.0.0.1:1/0")
    body = error_of(down.client.get("/readyz"), 503)
    assert body["details"]["checks"]["database"] == "ok"
    assert body["details"]["checks"]["redis"].startswith("unavailable")
    # the org rate limit lives in Redis: without it, authenticated routes answer 503, not 500
    limited = error_of(down.client.get(f"{API}/connections", headers=down.a.headers), 503)
    assert limited["details"]["code"] == "redis_unavailable"


def test_metrics(stack: Stack) -> None:
    stack.client.get("/healthz")
    stack.client.post(f"{API}/sync/orchestrate", json=start_body(), headers=stack.a.headers)
    add_conflict(stack.services, stack.b.id)
    stack.client.get(f"{API}/sync/runs/nope", headers=stack.a.headers)
    response = stack.client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert 'syncbridge_http_requests_total{method="GET",route="/healthz",status="200"} 1.0' in text
    assert 'route="/api/v1/integrations/sync/runs/{run_id}",status="404"' in text
    assert 'syncbridge_http_request_duration_seconds_bucket{le="0.005",method="GET",route="/healthz"}' in text
    assert "syncbridge_conflicts_open 1.0" in text
    assert 'syncbridge_runs{status="running"} 1.0' in text or 'syncbridge_runs{status="pending"} 1.0' in text


def test_openapi_and_docs(shared_stack: Stack) -> None:
    spec = shared_stack.client.get("/openapi.json").json()
    for path in (
        "/api/v1/integrations/sync/orchestrate",
        "/api/v1/integrations/sync/preview",
        "/api/v1/integrations/webhooks/woocommerce/{connection_id}",
        "/api/v1/integrations/conflicts/{conflict_id}",
        "/healthz",
        "/readyz",
        "/metrics",
    ):
        assert path in spec["paths"], path
    assert "HTTPBearer" in spec["components"]["securitySchemes"]
    docs = shared_stack.client.get("/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()


def test_unknown_route_and_method(shared_stack: Stack) -> None:
    assert error_of(shared_stack.client.get(f"{API}/nothing-here"), 404)["details"]["code"] == "http_404"
    error_of(shared_stack.client.delete("/healthz"), 405)


@pytest.mark.parametrize(
    ("exc", "status", "message"),
    [
        (RuntimeError(SECRET_TEXT), 500, "internal error"),
        (SyncError("database error", details={"db": SECRET_TEXT}), 500, "internal error"),
        (
            DuplicateKeyError("a row with the same unique key exists already", details={"db": SECRET_TEXT}),
            409,
            "a row with the same unique key exists already",
        ),
        (TransientError("database unavailable", details={"db": SECRET_TEXT}), 503, "database unavailable"),
        (RateLimitedError("slow down", retry_after=2.2), 429, "slow down"),
    ],
)
def test_errors_map_to_statuses_without_internals(stack: Stack, exc: Exception, status: int, message: str) -> None:
    def explode() -> None:
        raise exc

    stack.app.add_api_route("/test-explode", explode)
    response = stack.client.get("/test-explode")
    body = error_of(response, status)
    assert body["error"] == message
    assert "hunter2" not in response.text and "/srv/internal" not in response.text
    assert "Traceback" not in response.text
    if status == 429:
        assert response.headers["Retry-After"] == "3"


def test_create_app_builds_its_services_from_settings(tmp_path: Path, rsa_keys: RsaKeys) -> None:
    url = f"sqlite:///{tmp_path / 'own.db'}"
    app = create_app(settings=make_settings(url, tmp_path, rsa_keys))
    try:
        with SimServer(app) as server:
            assert data_of(httpx.get(f"{server.url}/readyz"))["checks"] == {"database": "ok"}
    finally:
        app.state.services.close()
