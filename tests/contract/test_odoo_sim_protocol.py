"""The Odoo simulator's protocol behaviour beyond the transcripts: fault codes and error names for every error
family, JSON-2 statuses, the differences between versions 16, 17 and 18, and fault determinism per seed."""

from __future__ import annotations

import socket
import xmlrpc.client
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from syncbridge.sim.odoo import OdooSim
from syncbridge.sim.odoo.exceptions import SERIALIZATION_MESSAGE, SerializationFailure
from syncbridge.sim.seed import generate
from syncbridge.sim.server import SimServer


def serve(app: Any) -> SimServer:
    """A SimServer whose sockets send small writes at once (TCP_NODELAY): without it, each answer waits ~40 ms
    for a delayed ACK (uvicorn writes the head and the body separately)."""
    server = SimServer(app)
    sock = getattr(server, "_sock", None)
    if sock is not None:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return server


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[OdooSim, httpx.Client]]:
    sim = OdooSim(api_key="key", version=18)
    with serve(sim.app) as server, httpx.Client(base_url=server.url, timeout=10) as http:
        yield sim, http


def xmlrpc_call(http: httpx.Client, service: str, method: str, *args: Any) -> Any:
    body = xmlrpc.client.dumps(args, methodname=method, allow_none=False)
    response = http.post(f"/xmlrpc/2/{service}", content=body, headers={"content-type": "text/xml"})
    assert response.status_code == 200
    try:
        return xmlrpc.client.loads(response.content, use_builtin_types=True)[0][0]
    except xmlrpc.client.Fault as fault:
        return fault


def jsonrpc_call(http: httpx.Client, service: str, method: str, *args: Any) -> dict[str, Any]:
    payload = {
        "jsonrpc": "2.0",
        "method": "call",
        "params": {"service": service, "method": method, "args": list(args)},
        "id": 9,
    }
    response = http.post("/jsonrpc", json=payload)
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


# (model, method, args, kwargs, secret, XML-RPC fault code, JSON-RPC error name, last line of the fault 1 text)
ERRORS: list[tuple[str, str, list[Any], dict[str, Any], str, int, str, str]] = [
    ("res.partner", "read", [[1]], {}, "wrong", 3, "odoo.exceptions.AccessDenied", ""),
    ("res.partner", "_private", [[1]], {}, "key", 4, "odoo.exceptions.AccessError", ""),
    ("res.partner", "create", [{"email": "x@y.z"}], {}, "key", 2, "odoo.exceptions.ValidationError", ""),
    ("res.partner", "write", [[99999], {"name": "x"}], {}, "key", 2, "odoo.exceptions.MissingError", ""),
    ("no.such.model", "read", [[1]], {}, "key", 2, "odoo.exceptions.UserError", ""),
    ("sale.order", "action_confirm", [[99999]], {}, "key", 2, "odoo.exceptions.MissingError", ""),
    (
        "res.partner",
        "create",
        [{"name": "x", "nope": 1}],
        {},
        "key",
        1,
        "builtins.ValueError",
        "ValueError: Invalid field 'nope' on model 'res.partner'",
    ),
    (
        "product.template",
        "create",
        [{"name": "x", "type": "product"}],
        {},
        "key",
        1,
        "builtins.ValueError",
        "ValueError: Wrong value for product.template.type: 'product'",
    ),
    (
        "res.partner",
        "no_such_method",
        [[1]],
        {},
        "key",
        1,
        "builtins.AttributeError",
        "AttributeError: The method 'no_such_method' does not exist on the model 'res.partner'",
    ),
    ("stock.quant", "create", [{"inventory_quantity": 3}], {}, "key", 2, "odoo.exceptions.UserError", ""),
]


@pytest.mark.parametrize(("model", "method", "args", "kwargs", "secret", "code", "name", "last"), ERRORS)
def test_error_families(
    served: tuple[OdooSim, httpx.Client],
    model: str,
    method: str,
    args: list[Any],
    kwargs: dict[str, Any],
    secret: str,
    code: int,
    name: str,
    last: str,
) -> None:
    sim, http = served
    call = ("odoo", sim.uid, secret, model, method, args, kwargs)
    fault = xmlrpc_call(http, "object", "execute_kw", *call)
    assert isinstance(fault, xmlrpc.client.Fault)
    assert fault.faultCode == code
    if code == 1:
        assert fault.faultString.startswith("Traceback (most recent call last):")
        assert fault.faultString.strip().splitlines()[-1] == last
    body = jsonrpc_call(http, "object", "execute_kw", *call)
    assert "result" not in body
    assert body["error"]["code"] == 200 and body["error"]["message"] == "Odoo Server Error"
    assert body["error"]["data"]["name"] == name


def test_access_error_for_a_user_without_accounting_rights(served: tuple[OdooSim, httpx.Client]) -> None:
    sim, http = served
    sim.deny("account.payment")
    try:
        fault = xmlrpc_call(
            http, "object", "execute_kw", "odoo", sim.uid, "key", "account.payment", "create", [{"amount": 1.0}]
        )
    finally:
        sim.allow("account.payment")
    assert isinstance(fault, xmlrpc.client.Fault) and fault.faultCode == 4
    assert "account.payment" in fault.faultString


def test_serialization_failure_is_a_fault_1_and_changes_nothing(served: tuple[OdooSim, httpx.Client]) -> None:
    sim, http = served
    before = sim.write_count
    sim.fail_next(SerializationFailure(SERIALIZATION_MESSAGE))
    fault = xmlrpc_call(
        http, "object", "execute_kw", "odoo", sim.uid, "key", "res.partner", "create", [{"name": "never"}]
    )
    assert isinstance(fault, xmlrpc.client.Fault) and fault.faultCode == 1
    assert fault.faultString.strip().endswith(f"psycopg2.errors.SerializationFailure: {SERIALIZATION_MESSAGE}")
    assert sim.write_count == before
    sim.fail_next(SerializationFailure(SERIALIZATION_MESSAGE))
    body = jsonrpc_call(http, "object", "execute_kw", "odoo", sim.uid, "key", "res.partner", "search", [[]])
    assert body["error"]["data"]["name"] == "psycopg2.errors.SerializationFailure"


@pytest.mark.parametrize(
    ("model", "method", "payload", "auth", "status"),
    [
        ("res.partner", "search_read", {"domain": [], "fields": ["name"], "limit": 1}, "key", 200),
        ("res.partner", "search_read", {"domain": []}, "bad", 401),
        ("res.partner", "_private", {"ids": [1]}, "key", 403),
        ("res.partner", "write", {"ids": [99999], "vals": {"name": "x"}}, "key", 404),
        ("res.partner", "create", {"vals_list": [{"email": "no-name"}]}, "key", 422),
    ],
)
def test_json2_statuses(
    served: tuple[OdooSim, httpx.Client], model: str, method: str, payload: dict[str, Any], auth: str, status: int
) -> None:
    _, http = served
    response = http.post(f"/json/2/{model}/{method}", json=payload, headers={"authorization": f"bearer {auth}"})
    assert response.status_code == status
    if status != 200:
        assert response.json()["name"].startswith(("odoo.exceptions.", "builtins."))


def test_archived_records_need_active_test_false(served: tuple[OdooSim, httpx.Client]) -> None:
    sim, _ = served
    rid = sim.call("res.partner", "create", {"name": "Archived"})
    sim.call("res.partner", "write", [rid], {"active": False})
    assert sim.call("res.partner", "search", [("id", "=", rid)]) == []
    assert sim.call("res.partner", "search", [("id", "=", rid)], context={"active_test": False}) == [rid]
    assert sim.call("res.partner", "read", [rid], fields=["active"]) == [{"id": rid, "active": False}]


@pytest.mark.parametrize(
    ("version", "present", "absent"),
    [
        (
            18,
            {"product.template": "is_storable", "account.payment": "memo", "sale.order": "locked"},
            {"product.template": "detailed_type", "account.payment": "ref"},
        ),
        (
            17,
            {"product.template": "detailed_type", "account.payment": "ref", "sale.order": "locked"},
            {"product.template": "is_storable", "account.payment": "memo"},
        ),
        (
            16,
            {"product.template": "detailed_type", "account.payment": "ref"},
            {"product.template": "is_storable", "account.payment": "memo", "sale.order": "locked"},
        ),
    ],
)
def test_version_field_differences(version: int, present: dict[str, str], absent: dict[str, str]) -> None:
    sim = OdooSim(version=version)
    for model, field in present.items():
        assert field in sim.call(model, "fields_get", [field], attributes=["type"])
    for model, field in absent.items():
        assert sim.call(model, "fields_get", [field]) == {}
    info = sim.version_info()
    assert info["server_version_info"][0] == version


@pytest.mark.parametrize(
    ("version", "model", "field", "selection"),
    [
        (18, "product.template", "type", ["consu", "service", "combo"]),
        (17, "product.template", "detailed_type", ["consu", "service", "product"]),
        (18, "account.payment", "state", ["draft", "in_process", "paid", "canceled", "rejected"]),
        (16, "account.payment", "state", ["draft", "posted", "cancel"]),
        (17, "sale.order", "state", ["draft", "sent", "sale", "cancel"]),
        (16, "sale.order", "state", ["draft", "sent", "sale", "done", "cancel"]),
    ],
)
def test_version_selections(version: int, model: str, field: str, selection: list[str]) -> None:
    spec = OdooSim(version=version).call(model, "fields_get", [field], attributes=["selection"])
    assert [key for key, _ in spec[field]["selection"]] == selection


@pytest.mark.parametrize(("version", "posted"), [(18, "in_process"), (17, "posted"), (16, "posted")])
def test_payment_post_per_version(version: int, posted: str) -> None:
    sim = OdooSim(version=version)
    memo = "memo" if version >= 18 else "ref"
    rid = sim.call("account.payment", "create", {"amount": 3.0, memo: "1001"})
    assert sim.call("account.payment", "action_post", [rid]) is None
    assert sim.call("account.payment", "read", [rid], fields=["state"])[0]["state"] == posted


def test_faults_are_deterministic_per_seed(served: tuple[OdooSim, httpx.Client]) -> None:
    sim, http = served

    def run(seed: int) -> list[tuple[int, str]]:
        sim.faults.configure(seed=seed, error_rate=0.2, rate_429=0.1)
        statuses = [jsonrpc_call_status(http) for _ in range(40)]
        log = [(e.seq, e.fault) for e in sim.faults.log]
        assert statuses.count(200) == 40 - len(log)
        return log

    try:
        first, again, other = run(7), run(7), run(8)
    finally:
        sim.faults.configure(seed=0, error_rate=0.0, rate_429=0.0)
    assert first == again and first
    assert first != other


def jsonrpc_call_status(http: httpx.Client) -> int:
    payload = {
        "jsonrpc": "2.0",
        "method": "call",
        "params": {"service": "common", "method": "version", "args": []},
        "id": 1,
    }
    return http.post("/jsonrpc", json=payload).status_code


def test_seed_data_loads_with_nothing_hidden() -> None:
    data = generate(customers=30, products=20, orders=30, seed=2)
    sim = OdooSim(version=18)
    report = sim.load(data)
    total = len(data.customers) + len(data.products) + len(data.stock) + len(data.orders) + len(data.payments)
    assert report.loaded + len(report.refused) == total
    assert report.refused == []  # Odoo takes invalid and shared e-mails
    assert sim.call("sale.order", "search_count", []) == len(data.orders)
    invalid = [c.email for c in data.customers if "@" not in c.email]
    for email in invalid:
        assert sim.call("res.partner", "search_count", [("email", "=", email)]) == 1


def test_keyset_search_on_write_date_is_ordered() -> None:
    sim = OdooSim(version=18)
    for n in range(30):
        sim.call("res.partner", "create", {"name": f"P{n}", "customer_rank": 1, "email": f"p{n}@x.io"})
    rows = sim.call(
        "res.partner",
        "search_read",
        [("write_date", ">=", "2000-01-01 00:00:00")],
        fields=["write_date"],
        order="write_date asc, id asc",
        limit=10,
        offset=5,
    )
    keys = [(r["write_date"], r["id"]) for r in rows]
    assert keys == sorted(keys) and len(keys) == 10
