"""The WooCommerce simulator against the recorded real answers (status, error code, body shape)."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from syncbridge.sim.server import SimServer
from syncbridge.sim.woocommerce import WooCommerceSim
from syncbridge.sim.woocommerce.webhooks import signature

REAL = "samples/real/woocommerce-10"


def shape(value: Any) -> Any:
    """Keys and JSON types, recursively; int and float are one "number"; lists by their first item."""
    if isinstance(value, dict):
        return {k: shape(v) for k, v in value.items() if k != "_links"}
    if isinstance(value, list):
        return ["list", shape(value[0])] if value else ["list"]
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    return type(value).__name__


def same_shape(real: Any, ours: Any, path: str = "$") -> list[str]:
    """Differences; ``null`` on one side matches anything (dates and optional objects are null when unset)."""
    if real is None or ours is None:
        return []
    if isinstance(real, dict) and isinstance(ours, dict):
        out = [f"{path}: missing {sorted(set(real) - set(ours))}"] if set(real) - set(ours) else []
        for k in set(real) & set(ours):
            if k not in {"_links", "meta_data", "related_ids", "permalink_template", "generated_slug"}:
                out += same_shape(real[k], ours[k], f"{path}.{k}")
        return out
    if isinstance(real, list) and isinstance(ours, list):
        return same_shape(real[0], ours[0], f"{path}[0]") if real and ours else []
    if shape(real) != shape(ours) and not path.endswith("image.id"):  # the real image id is "" or 0
        return [f"{path}: {shape(real)} != {shape(ours)}"]
    return []


@pytest.fixture(scope="module")
def shop() -> Iterator[tuple[WooCommerceSim, str]]:
    sim = WooCommerceSim("ck_test", "cs_test", assume_https=True)
    with SimServer(sim.app) as srv:
        yield sim, srv.url


def call(
    url: str,
    method: str,
    path: str,
    query: dict[str, Any] | None = None,
    body: Any = None,
    auth: tuple[str, str] | None = ("ck_test", "cs_test"),
) -> httpx.Response:
    headers = {}
    if auth is not None:
        headers["authorization"] = "Basic " + base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
    return httpx.request(method, f"{url}/wp-json/wc/v3{path}", params=query, json=body, headers=headers)


def transcript(shared_dir: Path, name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((shared_dir / REAL / f"{name}.json").read_text())
    return data


@pytest.fixture(scope="module")
def seeded(shop: tuple[WooCommerceSim, str]) -> dict[str, int]:
    _sim, url = shop
    ids: dict[str, int] = {}
    for i in range(1, 4):
        r = call(
            url,
            "POST",
            "/customers",
            body={
                "email": f"c{i}@example.com",
                "first_name": f"C{i}",
                "last_name": "Customer",
                "billing": {"phone": "555-0100"},
            },
        )
        ids[f"customer{i}"] = r.json()["id"]
    for i in range(1, 6):
        r = call(
            url,
            "POST",
            "/products",
            body={
                "name": f"Widget {i}",
                "type": "simple",
                "regular_price": "10.50",
                "sku": f"W-{i}",
                "manage_stock": i % 2 == 0,
                "stock_quantity": 20,
            },
        )
        ids[f"product{i}"] = r.json()["id"]
    tee = call(
        url,
        "POST",
        "/products",
        body={
            "name": "Tee",
            "type": "variable",
            "sku": "TEE",
            "attributes": [{"name": "Size", "position": 0, "visible": True, "variation": True, "options": ["S", "M"]}],
        },
    ).json()
    ids["tee"] = tee["id"]
    for size in ("S", "M"):
        v = call(
            url,
            "POST",
            f"/products/{tee['id']}/variations",
            body={
                "regular_price": "15.00",
                "sku": f"TEE-{size}",
                "manage_stock": True,
                "stock_quantity": 7,
                "attributes": [{"name": "Size", "option": size}],
            },
        ).json()
        ids[f"tee{size}"] = v["id"]
    order = call(
        url,
        "POST",
        "/orders",
        body={
            "customer_id": ids["customer1"],
            "payment_method": "bacs",
            "set_paid": True,
            "billing": {"email": "c1@example.com", "first_name": "C1"},
            "line_items": [
                {"product_id": ids["product1"], "quantity": 2},
                {"product_id": tee["id"], "variation_id": ids["teeS"], "quantity": 1},
            ],
        },
    ).json()
    ids["order"] = order["id"]
    call(url, "POST", f"/orders/{order['id']}/refunds", body={"amount": "5.00", "reason": "r", "api_refund": False})
    ids["spare_order"] = call(
        url, "POST", "/orders", body={"line_items": [{"product_id": ids["product2"], "quantity": 1}]}
    ).json()["id"]
    return ids


# (transcript, method, path template, query, body, auth) -- the equivalent request against the seeded shop
CASES: list[tuple[str, str, str, dict[str, Any] | None, Any]] = [
    ("auth-none", "GET", "/products", {"per_page": 1}, "none"),
    ("auth-wrong-secret-basic", "GET", "/products", {"per_page": 1}, "wrong"),
    (
        "auth-wrong-secret-query",
        "GET",
        "/products",
        {"per_page": 1, "consumer_key": "ck_test", "consumer_secret": "cs_wrong"},
        "none",
    ),
    (
        "auth-query-string-ok",
        "GET",
        "/products",
        {"per_page": 1, "consumer_key": "ck_test", "consumer_secret": "cs_test"},
        "none",
    ),
    ("unknown-route", "GET", "/nosuchthing", None, None),
    ("customers-retrieve", "GET", "/customers/{customer1}", None, None),
    ("customers-list", "GET", "/customers", {"per_page": 2}, None),
    ("customers-list-by-email", "GET", "/customers", {"email": "c2@example.com"}, None),
    ("customers-list-modified-after", "GET", "/customers", {"modified_after": "2099-01-01T00:00:00"}, None),
    ("customers-delete-without-force", "DELETE", "/customers/{customer3}", None, None),
    ("customers-retrieve-deleted", "GET", "/customers/99999", None, None),
    ("products-retrieve", "GET", "/products/{product1}", None, None),
    ("products-retrieve-variable-parent", "GET", "/products/{tee}", None, None),
    ("products-retrieve-variation-via-products-endpoint", "GET", "/products/{teeS}", None, None),
    ("products-update-variation-via-products-endpoint", "PUT", "/products/{teeS}", None, None),
    ("products-retrieve-unknown-id", "GET", "/products/99999999", None, None),
    ("products-list-by-sku", "GET", "/products", {"sku": "W-1"}, None),
    ("products-list-by-sku-unknown", "GET", "/products", {"sku": "NO-SUCH-SKU-XYZ"}, None),
    ("products-list-per-page-101", "GET", "/products", {"per_page": 101}, None),
    ("products-list-per-page-100", "GET", "/products", {"per_page": 100}, None),
    ("products-list-modified-after-invalid", "GET", "/products", {"modified_after": "not-a-date"}, None),
    (
        "products-list-modified-after-future",
        "GET",
        "/products",
        {"modified_after": "2099-01-01T00:00:00", "dates_are_gmt": "true"},
        None,
    ),
    ("products-list-page-beyond-last", "GET", "/products", {"per_page": 2, "page": 14}, None),
    ("products-create-invalid-type", "POST", "/products", None, None),
    (
        "products-create-duplicate-sku",
        "POST",
        "/products",
        None,
        {"name": "Dup", "regular_price": "1.00", "sku": "W-1"},
    ),
    ("products-variations-list", "GET", "/products/{tee}/variations", None, None),
    ("products-variations-update", "PUT", "/products/{tee}/variations/{teeS}", None, None),
    ("products-update-stock", "PUT", "/products/{product2}", None, None),
    ("orders-retrieve-after-refund", "GET", "/orders/{order}", None, None),
    ("orders-list-invalid-status", "GET", "/orders", {"status": "bogus"}, None),
    ("orders-notes-list", "GET", "/orders/{order}/notes", None, None),
    ("orders-refund-list", "GET", "/orders/{order}/refunds", None, None),
    ("orders-update-status-completed", "PUT", "/orders/{order}", None, None),
    ("orders-delete-without-force", "DELETE", "/orders/{spare_order}", None, None),
    ("orders-delete-without-force-again", "DELETE", "/orders/{spare_order}", None, None),
    ("orders-delete-force", "DELETE", "/orders/{spare_order}", {"force": "true"}, None),
    ("orders-retrieve-deleted", "GET", "/orders/{spare_order}", None, None),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_simulator_answers_like_the_real_shop(
    shop: tuple[WooCommerceSim, str], seeded: dict[str, int], shared_dir: Path, case: tuple[Any, ...]
) -> None:
    name, method, path, query, extra = case
    real = transcript(shared_dir, name)
    body = real["request"]["body"]
    auth: tuple[str, str] | None = ("ck_test", "cs_test")
    if extra == "none":
        auth = None
    elif extra == "wrong":
        auth = ("ck_test", "cs_wrong")
    elif isinstance(extra, dict):
        body = extra
    answer = call(shop[1], method, path.format(**seeded), query, body, auth)
    expected = real["response"]
    assert answer.status_code == expected["status"], answer.text
    ours = answer.json()
    if isinstance(expected["body"], dict) and "code" in expected["body"]:
        assert ours["code"] == expected["body"]["code"]
        assert set(ours["data"]) == set(expected["body"]["data"])
    assert same_shape(expected["body"], ours) == []
    for header in ("x-wp-total", "x-wp-totalpages"):
        assert (header in answer.headers) == (header in expected["headers"])


def test_basic_auth_over_plain_http_is_refused_like_the_real_shop(shared_dir: Path) -> None:
    real = transcript(shared_dir, "auth-basic-over-plain-http")
    sim = WooCommerceSim("ck_test", "cs_test")
    with SimServer(sim.app) as srv:
        answer = call(srv.url, "GET", "/products", {"per_page": 1})
    assert answer.status_code == 401
    assert answer.json()["code"] == real["response"]["body"]["code"]


@pytest.mark.parametrize(("where", "rels"), [("first", {"next"}), ("middle", {"prev", "next"}), ("last", {"prev"})])
def test_pagination_headers(
    shop: tuple[WooCommerceSim, str], seeded: dict[str, int], where: str, rels: set[str]
) -> None:
    total = int(call(shop[1], "GET", "/products", {"per_page": 1}).headers["x-wp-total"])
    pages = -(-total // 2)
    page = {"first": 1, "middle": 2, "last": pages}[where]
    answer = call(shop[1], "GET", "/products", {"per_page": 2, "page": page})
    assert answer.headers["x-wp-totalpages"] == str(pages)
    assert len(answer.json()) == (2 if page < pages else total - 2 * (pages - 1))
    found = {part.split('rel="')[1].rstrip('"') for part in answer.headers["link"].split(", ")}
    assert found == rels


def test_batch_limit_and_per_item_errors(shop: tuple[WooCommerceSim, str], seeded: dict[str, int]) -> None:
    too_many = call(shop[1], "POST", "/products/batch", body={"create": [{"name": f"x{i}"} for i in range(101)]})
    assert too_many.status_code == 413
    assert too_many.json()["code"] == "woocommerce_rest_request_entity_too_large"
    mixed = call(
        shop[1],
        "POST",
        "/products/batch",
        body={
            "create": [{"name": "ok", "sku": "BATCH-OK"}, {"name": "dup", "sku": "W-1"}],
            "update": [{"id": 99999999, "name": "ghost"}],
        },
    )
    assert mixed.status_code == 200
    created, dup = mixed.json()["create"]
    assert created["sku"] == "BATCH-OK"
    assert dup["error"]["code"] == "product_invalid_sku"
    assert dup["error"]["data"]["resource_id"] == seeded["product1"]
    assert mixed.json()["update"][0]["error"]["data"]["status"] == 404


class Receiver:
    """A tiny ASGI app that records what it receives and answers a fixed status."""

    def __init__(self) -> None:
        self.calls: list[tuple[dict[str, str], bytes]] = []
        self.status = 200

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        self.calls.append(({k.decode(): v.decode() for k, v in scope["headers"]}, body))
        await send({"type": "http.response.start", "status": self.status, "headers": []})
        await send({"type": "http.response.body", "body": b""})


def test_webhooks_ping_signature_deleted_and_disable() -> None:
    sim = WooCommerceSim("ck_test", "cs_test", assume_https=True)
    receiver = Receiver()
    with SimServer(sim.app) as srv, SimServer(receiver) as hook_srv:
        secret = "s3cr€t &=%"
        hook = call(
            srv.url,
            "POST",
            "/webhooks",
            body={"topic": "product.created", "delivery_url": hook_srv.url, "secret": secret},
        ).json()
        headers, body = receiver.calls[0]
        assert body == f"webhook_id={hook['id']}".encode()
        assert not any(k.startswith("x-wc-webhook") for k in headers)
        call(
            srv.url,
            "POST",
            "/webhooks",
            body={"topic": "product.deleted", "delivery_url": hook_srv.url, "secret": secret},
        )
        product = call(srv.url, "POST", "/products", body={"name": "Hooked", "sku": "HOOK"}).json()
        call(srv.url, "DELETE", f"/products/{product['id']}", {"force": "true"})
        sim.webhooks.flush()
        created, deleted = receiver.calls[2], receiver.calls[3]
        assert created[0]["x-wc-webhook-topic"] == "product.created"
        assert created[0]["x-wc-webhook-signature"] == signature(created[1], secret)
        assert json.loads(created[1])["sku"] == "HOOK"
        assert json.loads(deleted[1]) == {"id": product["id"]}
        receiver.status = 500
        for i in range(6):
            call(srv.url, "POST", "/products", body={"name": f"f{i}"})
            sim.webhooks.flush()
        assert call(srv.url, "GET", f"/webhooks/{hook['id']}").json()["status"] == "disabled"
        sim.close()


def test_faults_are_deterministic_for_a_seed() -> None:
    runs = []
    for _ in range(2):
        sim = WooCommerceSim("ck_test", "cs_test", assume_https=True)
        sim.faults.configure(seed=7, error_rate=0.3, rate_429=0.1)
        with SimServer(sim.app) as srv:
            for i in range(30):
                call(srv.url, "GET", "/products", {"per_page": 1, "page": i + 1})
        runs.append([(e.seq, e.fault) for e in sim.faults.log])
    assert runs[0] == runs[1]
    assert runs[0]
