"""The Odoo simulator's indexed searches answer exactly what a scan of every row answers."""

from __future__ import annotations

import random
from typing import Any

import pytest

from syncbridge.sim.odoo import OdooSim, orm
from syncbridge.sim.odoo import domain as dom
from syncbridge.sim.odoo.table import SortedValues


def test_sorted_values_match_a_sorted_set() -> None:
    rng = random.Random(7)
    values = SortedValues()
    SortedValues.BLOCK, block = 4, SortedValues.BLOCK  # small blocks: splits and emptied blocks happen
    try:
        reference: set[str] = set()
        for _ in range(3000):
            value = f"S-{rng.randrange(400):04d}{rng.choice(['', '-A', '-B'])}"
            if rng.random() < 0.35:
                values.discard(value)
                reference.discard(value)
            else:
                values.add(value)
                reference.add(value)
            assert len(values) == len(reference)
        assert list(values) == sorted(reference)
        for prefix in ["", "S-", "S-01", "S-0123", "S-0123-", "S-0123-A", "T", "S-9"]:
            assert list(values.starting_with(prefix)) == sorted(v for v in reference if v.startswith(prefix))
    finally:
        SortedValues.BLOCK = block


@pytest.mark.parametrize(
    ("pattern", "prefix"),
    [("ABC%", "ABC"), ("AB_C%", "AB"), ("%ABC", ""), ("ABC", "ABC"), ("_", ""), ("", "")],
)
def test_literal_prefix(pattern: str, prefix: str) -> None:
    assert dom.literal_prefix(pattern) == prefix


@pytest.fixture(scope="module")
def sim() -> OdooSim:
    sim = OdooSim(version=18)
    rng = random.Random(3)
    for n in range(120):
        vals: dict[str, Any] = {"name": f"Product {n}", "list_price": float(n % 7)}
        if n % 5:
            vals["default_code"] = f"SKU-{n % 60:03d}" + ("" if n % 3 else "_X")
        if n % 4 == 0:
            vals["barcode"] = f"BAR{n:05d}"
        template = sim.call("product.template", "create", vals)
        if n % 9 == 0:
            sim.call("product.template", "write", [template], {"active": False})
    for product in sim.call("product.product", "search", [], context={"active_test": False}):
        if rng.random() < 0.2:  # re-coded: the indexes follow writes
            sim.call("product.product", "write", [product], {"default_code": f"SKU-{rng.randrange(70):03d}"})
    return sim


DOMAINS: list[list[Any]] = [
    [("default_code", "=", "SKU-007")],
    [("default_code", "=", False)],
    [("default_code", "!=", False)],
    [("default_code", "in", ["SKU-001", "SKU-002_X", "nope", False])],
    [("default_code", "in", [])],
    [("default_code", "=like", "SKU-01%")],
    [("default_code", "=like", "SKU-0_1%")],
    [("default_code", "=like", "%X")],
    [("default_code", "=like", "SKU-003")],
    [("default_code", "=ilike", "sku-003%")],
    ["|", ("default_code", "=like", "SKU-02%"), ("default_code", "=like", "SKU-05%")],
    ["|", "|", ("default_code", "=", "SKU-010"), ("id", "in", [1, 2, 3]), ("default_code", "=like", "SKU-04%")],
    ["|", ("default_code", "=", "SKU-010"), ("list_price", ">", 5)],
    [("default_code", "=like", "SKU-0%"), ("product_tmpl_id", "in", [1, 5, 9, 10, 11, 40])],
    [("product_tmpl_id", "=", 12)],
    [("product_tmpl_id", "in", [3, 4, 999])],
    [("id", "in", [5, 1, 3, 9999])],
    [("id", "=", 7), ("default_code", "!=", False)],
    ["!", ("default_code", "=", "SKU-007")],
    [("barcode", "=", "BAR00008")],
    [("barcode", "in", ["BAR00000", "BAR00004", "x"])],
    [("product_tmpl_id.name", "=", "Product 8")],
]


@pytest.mark.parametrize("domain", DOMAINS)
@pytest.mark.parametrize("active_test", [True, False])
def test_indexed_search_equals_a_scan(
    sim: OdooSim, domain: list[Any], active_test: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    context = {"active_test": active_test}
    indexed = sim.call("product.product", "search", domain, context=context)
    with monkeypatch.context() as patch:
        patch.setattr(orm, "indexed_ids", lambda table, tree: None)
        scanned = sim.call("product.product", "search", domain, context=context)
    assert indexed == scanned


def test_index_narrows_the_candidates(sim: OdooSim) -> None:
    table = sim.env["product.product"]
    tree = dom.parse(["|", ("default_code", "=like", "SKU-02%"), ("default_code", "=", "SKU-050")])
    found = orm.indexed_ids(table, tree)
    assert found is not None and 0 < len(found) < len(table)
    assert orm.indexed_ids(table, dom.parse([("default_code", "like", "SKU")])) is None
    assert orm.indexed_ids(table, dom.parse(["|", ("default_code", "=", "x"), ("list_price", "=", 1)])) is None


def test_duplicate_barcode_is_refused_through_the_index(sim: OdooSim) -> None:
    from syncbridge.sim.odoo.exceptions import ValidationError

    product = sim.call("product.product", "search", [("barcode", "=", False)], limit=1)
    with pytest.raises(ValidationError, match="BAR00004"):
        sim.call("product.product", "write", product, {"barcode": "BAR00004"})
