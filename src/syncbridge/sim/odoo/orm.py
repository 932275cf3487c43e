"""An in-memory, ORM-ish store for the Odoo simulator: tables of rows, a few indexes, the generic methods.

Rows hold stored values in Odoo's wire shapes (``False`` for empty, many2one as an id, x2many as id lists,
datetimes as naive UTC ``"YYYY-MM-DD HH:MM:SS"``). Each table keeps its ids ordered by ``(write_date, id)`` so
incremental reads page through recent changes without scanning the whole table, and an index per many2one.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from syncbridge.sim.odoo import domain as dom
from syncbridge.sim.odoo import values
from syncbridge.sim.odoo.exceptions import (
    AccessError,
    MissingError,
    OdooError,
    PyValueError,
    ValidationError,
    missing,
)
from syncbridge.sim.odoo.schema import Field
from syncbridge.sim.odoo.table import Row, Table, fmt_datetime, now_utc

Compute = Callable[["Env", str, Row], Any]
Clock = Callable[[], datetime]


class Env:
    """All tables plus the hooks that make models behave (computed fields, defaults, constraints)."""

    def __init__(
        self, fields: dict[str, dict[str, Field]], *, version: int = 18, clock: Clock = now_utc, uid: int = 2
    ) -> None:
        self.tables = {name: Table(name, f) for name, f in fields.items()}
        self.version = version
        self.sequences: dict[str, int] = {}
        self.clock = clock
        self.uid = uid
        self.context: dict[str, Any] = {}
        self.computes: dict[tuple[str, str], Compute] = {}
        self.display: dict[str, Callable[[Env, Row], str]] = {}
        self.before_create: dict[str, Callable[[Env, Row], Row]] = {}
        self.after_create: dict[str, Callable[[Env, int, Row], None]] = {}
        self.before_write: dict[str, Callable[[Env, list[int], Row], Row]] = {}
        self.after_write: dict[str, Callable[[Env, list[int], Row], None]] = {}
        self.before_unlink: dict[str, Callable[[Env, list[int]], None]] = {}
        self.denied: set[str] = set()
        self.write_count = 0

    def __getitem__(self, model: str) -> Table:
        return self.tables[model]

    def stamp(self) -> str:
        return fmt_datetime(self.clock())

    def next_sequence(self, name: str) -> int:
        self.sequences[name] = self.sequences.get(name, 0) + 1
        return self.sequences[name]

    # -- values --------------------------------------------------------------------------------------------
    def field(self, model: str, fname: str) -> Field:
        spec = self.tables[model].fields.get(fname)
        if spec is None:
            raise PyValueError(f"Invalid field {fname!r} on model {model!r}")
        return spec

    def value(self, model: str, row: Row, fname: str) -> Any:
        """The raw value of a field (stored, related or computed) in stored shape."""
        if fname == "id":
            return row["id"]
        spec = self.field(model, fname)
        if spec.related:
            first, rest = spec.related.split(".", 1)
            target_id = row.get(first, False)
            relation = self.field(model, first).relation
            if not target_id or relation is None or target_id not in self.tables[relation].rows:
                return values.empty(spec)
            return self.value(relation, self.tables[relation][target_id], rest)
        if spec.type == "one2many":
            assert spec.relation and spec.inverse
            target = self.tables[spec.relation]
            ids = (
                target.lookup(spec.inverse, row["id"])
                if spec.inverse in target.indexes
                else {r["id"] for r in target if r.get(spec.inverse) == row["id"]}
            )
            if "active" in target.fields:
                ids = {i for i in ids if target[i].get("active", True)}
            return sorted(ids)
        compute = self.computes.get((model, fname))
        if compute is not None:
            return compute(self, model, row)
        if fname == "display_name":
            return self.display_name(model, row)
        return row.get(fname, values.empty(spec))

    def path_value(self, model: str, row: Row, path: str) -> Any:
        first, _, rest = path.partition(".")
        value = self.value(model, row, first)
        if not rest:
            return value
        relation = self.field(model, first).relation
        if relation is None or not value:
            return False
        table = self.tables[relation]
        ids = value if isinstance(value, list) else [value]
        values = [self.path_value(relation, table[i], rest) for i in ids if i in table.rows]
        return values if isinstance(value, list) else (values[0] if values else False)

    def display_name(self, model: str, row: Row) -> str:
        custom = self.display.get(model)
        if custom is not None:
            return custom(self, row)
        name = row.get("name")
        return str(name) if name else f"{model},{row['id']}"

    def shaped(self, model: str, row: Row, fname: str) -> Any:
        """The value as ``read`` returns it (many2one as ``[id, display_name]``)."""
        value = self.value(model, row, fname)
        spec = self.tables[model].fields.get(fname)
        if spec is not None and spec.type == "many2one" and value:
            assert spec.relation
            target = self.tables[spec.relation]
            if value not in target.rows:
                return False
            return [value, self.display_name(spec.relation, target[value])]
        return value

    # -- access ---------------------------------------------------------------------------------------------
    def check_access(self, model: str, operation: str) -> None:
        from syncbridge.sim.odoo.exceptions import access_denied_for
        from syncbridge.sim.odoo.schema import DESCRIPTIONS

        if model in self.denied:
            raise access_denied_for(model, operation, DESCRIPTIONS.get(model, model), "Invoicing/Billing")

    # -- the generic methods -------------------------------------------------------------------------------
    def search(
        self,
        model: str,
        domain: list[Any],
        *,
        offset: int = 0,
        limit: int | None = None,
        order: str | None = None,
        active_test: bool = True,
    ) -> list[int]:
        table = self.tables[model]
        try:
            tree = dom.parse(domain)
        except dom.DomainError as exc:
            raise PyValueError(str(exc)) from exc
        for leaf in dom.leaves(tree):
            self.field(model, leaf.field.split(".", 1)[0])
        check_active = active_test and "active" in table.fields and not dom.mentions(tree, "active")
        keys = _parse_order(model, order, table)
        in_write_order = keys == [("write_date", False), ("id", False)]
        candidates = self._candidates(table, tree, in_write_order)
        out: list[int] = []
        stop = None if limit is None or not in_write_order else offset + limit
        for rid in candidates:
            row = table.rows.get(rid)
            if row is None or (check_active and not row.get("active", True)):
                continue
            try:
                ok = dom.evaluate(tree, self._getter(model, row))
            except dom.DomainError as exc:
                raise PyValueError(str(exc)) from exc
            if ok:
                out.append(rid)
                if stop is not None and len(out) >= stop:
                    break
        if not in_write_order:
            for fname, desc in reversed(keys):
                out.sort(key=self._sorter(model, fname), reverse=desc)
        end = None if limit is None else offset + limit
        return out[offset:end]

    def _getter(self, model: str, row: Row) -> Callable[[str], Any]:
        return lambda path: self.path_value(model, row, path)

    def _sorter(self, model: str, fname: str) -> Callable[[int], tuple[int, Any]]:
        table = self.tables[model]
        return lambda rid: _sort_key(self.value(model, table[rid], fname))

    def _candidates(self, table: Table, tree: dom.Tree, in_write_order: bool) -> Iterable[int]:
        key = dom.lower_key(tree, "write_date")
        if key is not None or in_write_order:
            start = bisect.bisect_left(table.by_write, key) if key is not None else 0
            ids = (table.by_write[i][1] for i in range(start, len(table.by_write)))
            return ids if in_write_order else list(ids)
        found = indexed_ids(table, tree)
        return list(table.rows) if found is None else sorted(found)

    def read(self, model: str, ids: list[int], fields: list[str] | None) -> list[Row]:
        table = self.tables[model]
        names = fields or [f for f, spec in table.fields.items() if spec.type not in {"binary"}]
        for fname in names:
            self.field(model, fname)
        out: list[Row] = []
        for rid in ids:
            row = table.rows.get(rid)
            if row is None:
                continue
            record: Row = {"id": rid}
            for fname in names:
                if fname != "id":
                    record[fname] = self.shaped(model, row, fname)
            out.append(record)
        return out

    def create(self, model: str, vals: Row) -> int:
        self.check_access(model, "create")
        table = self.tables[model]
        hook = self.before_create.get(model)
        if hook is not None:
            vals = hook(self, dict(vals))
        commands: dict[str, list[Any]] = {}
        row: Row = {}
        for fname, spec in table.fields.items():
            if spec.stored and fname not in COMMON_NAMES:
                row[fname] = values.empty(spec) if spec.default is None else spec.default
        for fname, value in vals.items():
            spec = self.field(model, fname)
            if spec.type == "one2many":
                commands[fname] = list(value or [])
                continue
            if not spec.stored:
                continue
            row[fname] = self.convert(model, fname, spec, value, None)
        for fname, spec in table.fields.items():
            if spec.required and spec.stored and values.blank(row.get(fname)):
                raise ValidationError(
                    "The operation cannot be completed: Missing required value for the field "
                    f"'{spec.string}' ({fname}).\nModel: {model}"
                )
        stamp = self.stamp()
        row.update(create_date=stamp, write_date=stamp, create_uid=self.uid, write_uid=self.uid)
        rid = table.insert(row)
        for fname, cmds in commands.items():
            self._one2many(model, rid, fname, cmds)
        after = self.after_create.get(model)
        if after is not None:
            after(self, rid, vals)
        self.write_count += 1
        return rid

    def write(self, model: str, ids: list[int], vals: Row) -> bool:
        self.check_access(model, "write")
        table = self.tables[model]
        absent = [i for i in ids if i not in table.rows]
        if absent:
            raise missing(model, absent, self.uid)
        hook = self.before_write.get(model)
        if hook is not None:
            vals = hook(self, ids, dict(vals))
        stamp = self.stamp()
        for rid in ids:
            changes: Row = {"write_date": stamp, "write_uid": self.uid}
            commands: dict[str, list[Any]] = {}
            for fname, value in vals.items():
                spec = self.field(model, fname)
                if spec.type == "one2many":
                    commands[fname] = list(value or [])
                elif spec.stored:
                    changes[fname] = self.convert(model, fname, spec, value, table[rid].get(fname))
            for fname, spec in table.fields.items():
                if spec.required and fname in changes and values.blank(changes[fname]):
                    raise ValidationError(f"Missing required value for the field '{spec.string}' ({fname})")
            table.update(rid, changes)
            for fname, cmds in commands.items():
                self._one2many(model, rid, fname, cmds)
        after = self.after_write.get(model)
        if after is not None:
            after(self, ids, vals)
        self.write_count += 1
        return True

    def touch(self, model: str, rid: int, **changes: Any) -> None:
        self.tables[model].update(rid, {"write_date": self.stamp(), **changes})

    def unlink(self, model: str, ids: list[int]) -> bool:
        self.check_access(model, "delete")
        table = self.tables[model]
        hook = self.before_unlink.get(model)
        if hook is not None:
            hook(self, ids)
        for rid in ids:
            if rid in table.rows:
                for _fname, spec in table.fields.items():
                    if (
                        spec.type == "one2many"
                        and spec.relation
                        and spec.inverse
                        and spec.relation != model
                        and spec.inverse in self.tables[spec.relation].indexes
                    ):
                        children = self.tables[spec.relation].lookup(spec.inverse, rid)
                        self.unlink(spec.relation, sorted(children))
                table.delete(rid)
        self.write_count += 1
        return True

    def convert(self, model: str, fname: str, spec: Field, value: Any, old: Any) -> Any:
        return values.convert(model, fname, spec, value, old, lambda m, i: i in self.tables[m].rows)

    def _one2many(self, model: str, rid: int, fname: str, commands: list[Any]) -> None:
        spec = self.tables[model].fields[fname]
        assert spec.relation and spec.inverse
        for command in commands:
            if not isinstance(command, list | tuple) or not command:
                raise PyValueError(f"Invalid x2many command {command!r}")
            code = command[0]
            if code == 0:
                self.create(spec.relation, {**command[2], spec.inverse: rid})
            elif code == 1:
                self.write(spec.relation, [command[1]], command[2])
            elif code in {2, 3}:
                self.unlink(spec.relation, [command[1]])
            elif code == 5:
                self.unlink(spec.relation, sorted(self.tables[spec.relation].lookup(spec.inverse, rid)))
            elif code in {4, 6}:
                raise PyValueError(f"Command {code} is not supported on one2many {model}.{fname}")
            else:
                raise PyValueError(f"Invalid x2many command {command!r}")

    def ensure(self, model: str, ids: list[int]) -> list[Row]:
        table = self.tables[model]
        absent = [i for i in ids if i not in table.rows]
        if absent:
            raise missing(model, absent, self.uid)
        return [table[i] for i in ids]


def indexed_ids(table: Table, tree: dom.Tree) -> set[int] | None:
    """A superset of the ids matching ``tree``, from the table's indexes (as PostgreSQL plans a bitmap scan over
    Odoo's indexes); None when no index narrows the search and every row has to be evaluated."""
    if isinstance(tree, dom.Leaf):
        return _leaf_ids(table, tree)
    if tree.op == "&":
        best: set[int] | None = None
        for child in tree.children:
            ids = indexed_ids(table, child)
            if ids is not None and (best is None or len(ids) < len(best)):
                best = ids
        return best
    if tree.op == "|":
        union: set[int] = set()
        for child in tree.children:
            ids = indexed_ids(table, child)
            if ids is None:
                return None
            union |= ids
        return union
    return None


def _leaf_ids(table: Table, leaf: dom.Leaf) -> set[int] | None:
    if leaf.op in {"=", "in"}:
        wanted = leaf.value if isinstance(leaf.value, list | tuple) else [leaf.value]
        if leaf.field == "id":
            return {v for v in wanted if isinstance(v, int) and not isinstance(v, bool)}
        if leaf.field in table.indexes:
            found: set[int] = set()
            try:
                for value in wanted:
                    found |= table.lookup(leaf.field, value)
            except TypeError:  # an unhashable value: let the evaluation say what it means
                return None
            return found
        return None
    if leaf.op == "=like" and leaf.field in table.ordered and isinstance(leaf.value, str):
        prefix = dom.literal_prefix(leaf.value)
        return table.prefixed(leaf.field, prefix) if prefix else None
    return None


COMMON_NAMES = frozenset({"id", "display_name", "create_date", "write_date", "create_uid", "write_uid"})


def _sort_key(value: Any) -> tuple[int, Any]:
    if value is False or value is None:
        return (0, 0)
    if isinstance(value, list):
        return (1, value[0] if value else 0)
    return (1, value)


def _parse_order(model: str, order: str | None, table: Table) -> list[tuple[str, bool]]:
    if not order:
        return [("id", False)]
    keys: list[tuple[str, bool]] = []
    for part in order.split(","):
        bits = part.strip().split()
        if not bits:
            continue
        fname = bits[0]
        direction = bits[1].lower() if len(bits) > 1 else "asc"
        if (fname != "id" and fname not in table.fields) or direction not in {"asc", "desc"}:
            raise PyValueError(f'Invalid "order" specified ({order}).')
        keys.append((fname, direction == "desc"))
    if keys and keys[-1][0] != "id":
        keys.append(("id", False))
    return keys


__all__ = ["AccessError", "Env", "MissingError", "OdooError", "Row", "Table", "fmt_datetime", "now_utc"]
