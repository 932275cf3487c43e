from __future__ import annotations

from typing import Any

import pytest

from syncbridge.sim.odoo import domain as dom

ROW: dict[str, Any] = {
    "name": "Zoë Müller",
    "email": "zoe@example.com",
    "phone": False,
    "customer_rank": 2,
    "write_date": "2026-11-22 15:33:12",
    "category_id": [3, 4],
    "parent_id": False,
}


@pytest.mark.parametrize(
    ("domain", "expected"),
    [
        ([], True),
        ([("name", "=", "Zoë Müller")], True),
        ([("name", "!=", "Zoë Müller")], False),
        ([("phone", "=", False)], True),
        ([("phone", "!=", False)], False),
        ([("email", "!=", False)], True),
        ([("customer_rank", ">", 0)], True),
        ([("customer_rank", ">=", 3)], False),
        ([("customer_rank", "<", 3)], True),
        ([("customer_rank", "<=", 1)], False),
        ([("write_date", ">=", "2026-11-22 15:33:04")], True),
        ([("write_date", ">", "2026-11-22 15:33:12")], False),
        ([("customer_rank", "in", [1, 2])], True),
        ([("customer_rank", "not in", [1, 2])], False),
        ([("name", "like", "Müll")], True),
        ([("name", "like", "müll")], False),
        ([("name", "ilike", "müll")], True),
        ([("name", "not ilike", "müll")], False),
        ([("email", "=like", "zoe@%")], True),
        ([("email", "=ilike", "ZOE@EXAMPLE.COM")], True),
        ([("email", "=ilike", "zoe_example.com")], True),  # "_" is a wildcard, as in SQL
        ([("phone", "like", "5")], False),
        ([("category_id", "in", [4])], True),
        ([("category_id", "=", False)], False),
        ([("parent_id", "in", [False])], True),
        (["|", ("name", "=", "x"), ("customer_rank", "=", 2)], True),
        (["&", ("name", "=", "x"), ("customer_rank", "=", 2)], False),
        (["!", ("name", "=", "x")], True),
        ([("name", "=", "x"), "|", ("customer_rank", "=", 2), ("email", "!=", False)], False),
        (["|", "&", ("name", "=", "x"), ("phone", "=", False), ("customer_rank", ">", 1)], True),
    ],
)
def test_evaluate(domain: list[Any], expected: bool) -> None:
    assert dom.evaluate(dom.parse(domain), lambda path: ROW[path]) is expected


@pytest.mark.parametrize(
    "domain",
    [["|", ("name", "=", "x")], [("name", "===", "x")], ["&"], [42], [("name", "=")]],
)
def test_malformed_domains_are_refused(domain: list[Any]) -> None:
    with pytest.raises(dom.DomainError):
        dom.parse(domain)


@pytest.mark.parametrize(
    ("domain", "key"),
    [
        ([("write_date", ">=", "2026-01-01 00:00:00")], ("2026-01-01 00:00:00", 0)),
        ([("write_date", ">=", "A"), ("write_date", ">", "B")], ("B", 2**62)),
        (["|", ("write_date", ">", "B"), "&", ("write_date", "=", "B"), ("id", ">", 4)], ("B", 5)),
        ([("name", "=", "x"), "|", ("write_date", ">", "B"), "&", ("write_date", "=", "B"), ("id", ">=", 4)], ("B", 4)),
        (["|", ("write_date", ">", "B"), ("id", ">", 4)], None),
        (["!", ("write_date", ">", "B")], None),
        ([("name", "=", "x")], None),
    ],
)
def test_keyset_lower_key(domain: list[Any], key: tuple[str, int] | None) -> None:
    assert dom.lower_key(dom.parse(domain), "write_date") == key
