"""The chaos checker's comparison on hand-made snapshots: each kind of finding, and what an open conflict explains."""

from __future__ import annotations

import pytest
from tests.chaos.checker import Snapshot, compare

GOOD: Snapshot = {"customers": {"a@x": [("Ana", "1")]}}


def _systems(woo: Snapshot, hub: Snapshot, odoo: Snapshot) -> dict[str, Snapshot]:
    return {"woocommerce": woo, "hub": hub, "odoo": odoo}


@pytest.mark.parametrize(
    ("woo", "hub", "odoo", "explained", "expected"),
    [
        (GOOD, GOOD, GOOD, set(), (0, 0, 0, 0)),
        (GOOD, GOOD, {"customers": {}}, set(), (1, 0, 0, 0)),
        (GOOD, GOOD, {"customers": {"a@x": [("Ana", "1"), ("Ana", "1")]}}, set(), (0, 1, 0, 0)),
        (GOOD, {"customers": {"a@x": [("Anna", "1")]}}, GOOD, set(), (0, 0, 1, 0)),
        (GOOD, {"customers": {"a@x": [("Anna", "1")]}}, GOOD, {("customers", "a@x")}, (0, 0, 0, 1)),
        (GOOD, GOOD, {"customers": {}}, {("orders", "a@x")}, (1, 0, 0, 0)),  # a conflict of another entity
    ],
    ids=["clean", "lost", "duplicated", "mismatched", "explained", "other-entity-conflict"],
)
def test_compare_counts_each_finding(
    woo: Snapshot, hub: Snapshot, odoo: Snapshot, explained: set[tuple[str, str]], expected: tuple[int, ...]
) -> None:
    report = compare(_systems(woo, hub, odoo), explained)
    assert (report.lost, report.duplicated, report.mismatched, report.explained) == expected


def test_a_duplicate_the_shop_had_before_the_sync_is_not_counted() -> None:
    twin: Snapshot = {"customers": {"a@x": [("Ana", "1"), ("Ana", "1")]}}
    report = compare(_systems(GOOD, GOOD, twin), set(), baseline={"odoo": twin})
    assert report.duplicated == 0
    assert "total" in report.render()
