"""Odoo search domains: parsing the prefix notation into a tree and evaluating it against stored values.

A domain is a list of leaves ``(field, operator, value)`` and the prefix operators ``"&"``, ``"|"``, ``"!"``;
terms without an operator are joined with ``"&"``. Field names may follow many2one links
(``location_id.usage``).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

OPERATORS = frozenset(
    {
        "=",
        "!=",
        "<>",
        ">",
        ">=",
        "<",
        "<=",
        "in",
        "not in",
        "like",
        "ilike",
        "not like",
        "not ilike",
        "=like",
        "=ilike",
    }
)


class DomainError(ValueError):
    """A malformed domain (Odoo answers it with a ValueError, fault 1)."""


@dataclass(frozen=True, slots=True)
class Leaf:
    field: str
    op: str
    value: Any


@dataclass(frozen=True, slots=True)
class Node:
    op: str  # "&", "|", "!"
    children: tuple[Tree, ...]


Tree = Leaf | Node
TRUE = Node("&", ())


def parse(domain: Sequence[Any]) -> Tree:
    items = list(domain)
    pos = 0

    def term() -> Tree:
        nonlocal pos
        if pos >= len(items):
            raise DomainError(f"Invalid domain {domain!r}: missing operand")
        item = items[pos]
        pos += 1
        if item in ("&", "|"):
            return Node(str(item), (term(), term()))
        if item == "!":
            return Node("!", (term(),))
        if isinstance(item, list | tuple) and len(item) == 3 and isinstance(item[0], str):
            op = str(item[1]).lower()
            if op not in OPERATORS:
                raise DomainError(f"Invalid operator {item[1]!r} in domain term {list(item)!r}")
            return Leaf(item[0], "!=" if op == "<>" else op, item[2])
        raise DomainError(f"Invalid domain term {item!r}")

    terms: list[Tree] = []
    while pos < len(items):
        terms.append(term())
    if not terms:
        return TRUE
    return terms[0] if len(terms) == 1 else Node("&", tuple(terms))


@functools.lru_cache(maxsize=4096)
def _like_regex(pattern: str, wrap: bool, fold: bool) -> re.Pattern[str]:
    regex = "".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in pattern)
    if wrap:
        regex = f".*{regex}.*"
    return re.compile(regex, re.IGNORECASE | re.DOTALL if fold else re.DOTALL)


def _like(pattern: str, value: str, *, wrap: bool, fold: bool) -> bool:
    return _like_regex(pattern, wrap, fold).fullmatch(value) is not None


def literal_prefix(pattern: str) -> str:
    """The characters a ``=like`` pattern fixes at the start of every match (up to its first wildcard)."""
    for i, c in enumerate(pattern):
        if c in "%_":
            return pattern[:i]
    return pattern


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple | set | frozenset) else [value]


def compare(stored: Any, op: str, value: Any) -> bool:
    """One leaf against a stored value; ``False`` is Odoo's NULL (only ``=``/``!=``/``in`` match it)."""
    if isinstance(stored, list):  # x2many: true when any linked id matches
        if op in {"=", "in"}:
            if value is False:
                return not stored
            return bool(set(stored) & set(_as_list(value)))
        if op in {"!=", "not in"}:
            if value is False:
                return bool(stored)
            return not set(stored) & set(_as_list(value))
        return any(compare(item, op, value) for item in stored)
    if op == "=":
        return stored == value if value is not False else stored is False or stored is None
    if op == "!=":
        return stored != value if value is not False else not (stored is False or stored is None)
    if op == "in":
        return stored in _as_list(value) or (stored is False and False in _as_list(value))
    if op == "not in":
        return stored not in _as_list(value)
    if stored is False or stored is None or value is False or value is None:
        if op in {"not like", "not ilike"}:
            return True
        return False
    if op in {">", ">=", "<", "<="}:
        try:
            if op == ">":
                return bool(stored > value)
            if op == ">=":
                return bool(stored >= value)
            if op == "<":
                return bool(stored < value)
            return bool(stored <= value)
        except TypeError as exc:
            raise DomainError(f"Cannot compare {stored!r} {op} {value!r}") from exc
    text, pattern = str(stored), str(value)
    if op == "like":
        return _like(pattern, text, wrap=True, fold=False)
    if op == "ilike":
        return _like(pattern, text, wrap=True, fold=True)
    if op == "not like":
        return not _like(pattern, text, wrap=True, fold=False)
    if op == "not ilike":
        return not _like(pattern, text, wrap=True, fold=True)
    if op == "=like":
        return _like(pattern, text, wrap=False, fold=False)
    return _like(pattern, text, wrap=False, fold=True)  # =ilike


Getter = Callable[[str], Any]


def evaluate(tree: Tree, getter: Getter) -> bool:
    """Evaluate against a record; ``getter(path)`` returns the stored value of a (dotted) field."""
    if isinstance(tree, Leaf):
        return compare(getter(tree.field), tree.op, tree.value)
    if tree.op == "!":
        return not evaluate(tree.children[0], getter)
    if tree.op == "|":
        return any(evaluate(child, getter) for child in tree.children)
    return all(evaluate(child, getter) for child in tree.children)


def leaves(tree: Tree) -> list[Leaf]:
    if isinstance(tree, Leaf):
        return [tree]
    return [leaf for child in tree.children for leaf in leaves(child)]


def mentions(tree: Tree, field: str) -> bool:
    return any(leaf.field == field for leaf in leaves(tree))


_AFTER_ALL_IDS = 2**62


def lower_key(tree: Tree, field: str = "write_date") -> tuple[str, int] | None:
    """The smallest ``(field, id)`` a matching record can have (keyset paging), when the domain implies one."""
    if isinstance(tree, Leaf):
        if tree.field != field or tree.value in (False, None):
            return None
        if tree.op == ">":
            return (str(tree.value), _AFTER_ALL_IDS)
        return (str(tree.value), 0) if tree.op in {">=", "="} else None
    if tree.op == "!":
        return None
    bounds = [lower_key(child, field) for child in tree.children]
    if tree.op == "|":
        if not bounds or any(b is None for b in bounds):
            return None
        return min(b for b in bounds if b is not None)
    known = [b for b in bounds if b is not None]
    leaves_here = [c for c in tree.children if isinstance(c, Leaf)]
    for eq in (c for c in leaves_here if c.field == field and c.op == "=" and c.value not in (False, None)):
        for after in (c for c in leaves_here if c.field == "id" and c.op in {">", ">="}):
            known.append((str(eq.value), int(after.value) + (1 if after.op == ">" else 0)))
    return max(known) if known else None
