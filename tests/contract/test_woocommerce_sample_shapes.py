"""The simulator's bodies against the documented WooCommerce samples (``samples/woocommerce``): same keys, same
JSON types, for the equivalent record.

Allowed differences (documented): the simulator may carry *more* keys than a documentation sample only where
the real WooCommerce 10.0.2 transcripts (``samples/real/woocommerce-10``) carry them too; ``null`` on either
side matches any type (unset dates, optional objects); numbers are one type (the docs write ``line_items[].price``
as a number, ints and floats alike); ``_links`` is not compared (URLs, and ``email`` / ``up`` links that depend
on the record); ``meta_data`` values are free-form (strings, objects or arrays) and compared by key set only;
``image.id`` is ``""`` or an int in real answers.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from syncbridge.sim.seed import generate
from syncbridge.sim.server import SimServer
from syncbridge.sim.woocommerce import WooCommerceSim

Json = dict[str, Any]
FREE_FORM = {"_links", "value", "display_value"}  # meta values: string, object or array


def kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    return type(value).__name__


def differences(docs: Any, ours: Any, extra_ok: set[str], path: str = "$") -> list[str]:
    """Where ``ours`` lacks a key of ``docs``, holds a key neither ``docs`` nor ``extra_ok`` has, or types differ."""
    if docs is None or ours is None:
        return []
    if isinstance(docs, dict) and isinstance(ours, dict):
        out = [f"{path}: missing {k}" for k in sorted(set(docs) - set(ours))]
        out += [f"{path}: unexpected {k}" for k in sorted(set(ours) - set(docs)) if f"{path}.{k}" not in extra_ok]
        for k in sorted(set(docs) & set(ours) - FREE_FORM):
            out += differences(docs[k], ours[k], extra_ok, f"{path}.{k}")
        return out
    if isinstance(docs, list) and isinstance(ours, list):
        return differences(docs[0], ours[0], extra_ok, f"{path}[0]") if docs and ours else []
    if kind(docs) != kind(ours) and not path.endswith("image.id"):
        return [f"{path}: {kind(docs)} in the docs, {kind(ours)} here"]
    return []


@pytest.fixture(scope="module")
def shop() -> Iterator[Callable[[str], Any]]:
    sim = WooCommerceSim("ck_shape", "cs_shape", assume_https=True)
    sim.load(generate(customers=5, products=6, orders=8, seed=4))
    auth = {"authorization": "Basic " + base64.b64encode(b"ck_shape:cs_shape").decode()}
    with SimServer(sim.app) as srv:
        sim.site_url = srv.url

        def get(path: str) -> Any:
            response = httpx.get(f"{srv.url}/wp-json/wc/v3{path}", headers=auth)
            assert response.status_code == 200, response.text
            return response.json()

        yield get


def key_paths(value: Any, path: str = "$") -> set[str]:
    """Every key path of a body (``$.billing.phone``; list items under ``[0]``)."""
    if isinstance(value, dict):
        return {p for k, v in value.items() for p in {f"{path}.{k}", *key_paths(v, f"{path}.{k}")}}
    if isinstance(value, list):
        return {p for item in value for p in key_paths(item, f"{path}[0]")}
    return set()


def real_keys(shared_dir: Path, prefix: str) -> set[str]:
    """The key paths the real WooCommerce 10.0.2 answers for that resource carry."""
    keys: set[str] = set()
    for path in (shared_dir / "samples/real/woocommerce-10").glob(f"{prefix}*.json"):
        body = json.loads(path.read_text())["response"]["body"]
        for item in body if isinstance(body, list) else [body]:
            if isinstance(item, dict) and "id" in item:
                keys |= key_paths(item)
    return keys


def equivalent(get: Callable[[str], Any], resource: str, docs: Json) -> Json:
    """The simulator's body for the record a documentation sample shows."""
    products = get("/products?per_page=100")
    orders = get("/orders?per_page=100")
    refunded = next(o for o in orders if o["refunds"])
    variable = next(p for p in products if p["type"] == "variable")
    found: Json
    if resource == "customer":
        found = get("/customers")[0]
    elif resource == "product":
        found = next(p for p in products if p["type"] == "simple")
    elif resource == "product-variation":
        found = get(f"/products/{variable['id']}/variations")[0]
    elif resource == "order":
        found = refunded
    elif resource == "order-refund":
        found = get(f"/orders/{refunded['id']}/refunds")[0]
    elif resource == "order-note":
        found = get(f"/orders/{refunded['id']}/notes")[0]
    else:
        found = next(g for g in get("/payment_gateways") if g["id"] == docs["id"])
    return found


# (documentation sample, equivalent resource, prefix of the real transcripts of that resource)
CASES = [
    ("customer-retrieve", "customer", "customers-"),
    ("customer-list", "customer", "customers-"),
    ("product-retrieve", "product", "products-retrieve"),
    ("product-list", "product", "products-"),
    ("product-variation-retrieve", "product-variation", "products-variations-"),
    ("product-variation-list", "product-variation", "products-variations-"),
    ("order-retrieve", "order", "orders-retrieve"),
    ("order-list", "order", "orders-"),
    ("order-refund-retrieve", "order-refund", "orders-refund-"),
    ("order-note-retrieve", "order-note", "orders-notes-"),
    ("payment-gateway-retrieve", "payment-gateway", "payment-gateway"),
]


@pytest.mark.parametrize(("sample", "resource", "real"), CASES, ids=[c[0] for c in CASES])
def test_simulator_bodies_have_the_documented_keys_and_types(
    shop: Callable[[str], Any], shared_dir: Path, sample: str, resource: str, real: str
) -> None:
    docs = json.loads((shared_dir / "samples/woocommerce" / f"{sample}.json").read_text())
    docs = docs[0] if isinstance(docs, list) else docs
    ours = equivalent(shop, resource, docs)
    assert differences(docs, ours, real_keys(shared_dir, real)) == []
