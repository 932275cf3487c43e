"""Property-based run of the app's own OpenAPI document against a live server: no 5xx, no schema violation.

Schemathesis generates the requests (positive and negative data, bounded examples); every answer must be a
documented status with the documented content type and body schema, and never a server error. The organization
the requests authenticate as is connected to live WooCommerce and Odoo simulators, so a valid preview or start
reaches real upstreams (an unreachable upstream is a 503 by design, which ``not_a_server_error`` would count).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
import schemathesis
from apikit import RsaKeys, Stack, stacks
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

OPERATIONS = [
    "GET /healthz",
    "GET /readyz",
    "GET /metrics",
    "POST /api/v1/integrations/sync/orchestrate",
    "GET /api/v1/integrations/sync/runs",
    "GET /api/v1/integrations/sync/runs/{run_id}",
    "GET /api/v1/integrations/sync/preview",
    "POST /api/v1/integrations/sync/preview",
    "GET /api/v1/integrations/settings/selective",
    "GET /api/v1/integrations/conflicts",
    "GET /api/v1/integrations/conflicts/stats",
    "GET /api/v1/integrations/conflicts/{conflict_id}",
    "GET /api/v1/integrations/activity",
    "GET /api/v1/integrations/connections",
    "POST /api/v1/integrations/webhooks/woocommerce/{connection_id}",
]
MAX_EXAMPLES = 6  # bounded: a smoke run in CI, not a soak
CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance, content_type_conformance]


@pytest.fixture(scope="module")
def live_stack(
    tmp_path_factory: pytest.TempPathFactory, hub_template: Path, rsa_keys: RsaKeys
) -> Iterator[tuple[Stack, dict[str, str]]]:
    """A stack whose "live" organization (API key headers returned) is connected to running simulators."""
    from syncbridge.sim.stack import connect_org, start_sims
    from syncbridge.store.orgs import create_api_key
    from syncbridge.store.session import transaction

    with start_sims() as sims, stacks(tmp_path_factory.mktemp("schemathesis"), hub_template, rsa_keys) as factory:
        stack = factory()
        org = connect_org(stack.services.engine, stack.services.settings, sims, name="live")
        with transaction(stack.services.engine) as conn:
            _, key = create_api_key(conn, org, name="schemathesis")
        yield stack, {"X-Api-Key": key}


@pytest.fixture(scope="module")
def api_schema(live_stack: tuple[Stack, dict[str, str]]) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_url(f"{live_stack[0].server.url}/openapi.json")


def test_every_operation_is_covered(api_schema: schemathesis.BaseSchema) -> None:
    labels = {result.ok().label for result in api_schema.get_all_operations()}
    assert labels == set(OPERATIONS)


WITHOUT_INPUT = {"GET /healthz", "GET /readyz", "GET /metrics"}  # nothing to make invalid
CASES = [(label, schemathesis.GenerationMode.POSITIVE) for label in OPERATIONS] + [
    (label, schemathesis.GenerationMode.NEGATIVE) for label in OPERATIONS if label not in WITHOUT_INPUT
]


@pytest.mark.parametrize(("label", "mode"), CASES, ids=[f"{m.value} {label}" for label, m in CASES])
def test_no_server_errors_and_no_schema_violations(
    api_schema: schemathesis.BaseSchema,
    live_stack: tuple[Stack, dict[str, str]],
    label: str,
    mode: schemathesis.GenerationMode,
) -> None:
    stack, live_headers = live_stack
    operation = api_schema.find_operation_by_label(label)
    assert operation is not None
    strategy = operation.as_strategy(generation_mode=mode)

    @given(case=strategy, auth=st.sampled_from(["key", "none"]))
    @settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
    def run(case: schemathesis.Case, auth: str) -> None:
        headers = dict(live_headers) if auth == "key" else {}
        response = send(stack.client, case.as_transport_kwargs(base_url=stack.server.url, headers=headers))
        if response is not None:
            case.validate_response(response, checks=CHECKS)

    run()


def send(client: httpx.Client, kwargs: dict[str, Any]) -> httpx.Response | None:
    """Send what schemathesis built for ``requests`` with httpx (its own transport needs a missing extra).

    ``None`` when the client itself refuses the request (e.g. a header value that is not Latin-1): nothing
    reached the server, so there is no answer to check.
    """
    body: dict[str, Any] = {}
    if "json" in kwargs:
        body["content"] = json.dumps(kwargs["json"]).encode()
    elif isinstance(kwargs.get("data"), dict):
        body["content"] = urlencode(
            [(k, v if isinstance(v, str) else json.dumps(v)) for k, v in kwargs["data"].items()]
        ).encode()
    elif kwargs.get("data") is not None:
        data = kwargs["data"]
        body["content"] = data if isinstance(data, bytes) else str(data).encode()
    try:
        return client.request(
            kwargs["method"],
            kwargs["url"],
            headers={k: str(v) for k, v in kwargs["headers"].items()},
            params=kwargs.get("params") or None,
            cookies=kwargs.get("cookies") or None,
            **body,
        )
    except (httpx.LocalProtocolError, httpx.InvalidURL, UnicodeEncodeError):
        return None
