"""One model's rows in memory, ordered by ``(write_date, id)`` for incremental reads, with an index per
indexed field (many2one, ``index=True`` chars) so lookups by value do not scan the table, like the database
indexes of a real Odoo. Indexed chars also keep their distinct values in order, for prefix lookups
(``=like 'ABC%'``, which PostgreSQL answers from a btree)."""

from __future__ import annotations

import bisect
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from syncbridge.sim.odoo.schema import Field

Row = dict[str, Any]


def now_utc() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def fmt_datetime(value: datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S")


class SortedValues:
    """Distinct strings in order, kept in blocks: an insert or a removal moves one block, not the whole list
    (a million SKUs arriving in any order stay cheap)."""

    BLOCK = 512

    def __init__(self) -> None:
        self._blocks: list[list[str]] = []
        self._maxes: list[str] = []

    def __len__(self) -> int:
        return sum(len(b) for b in self._blocks)

    def __iter__(self) -> Iterator[str]:
        for block in self._blocks:
            yield from block

    def add(self, value: str) -> None:
        if not self._blocks:
            self._blocks.append([value])
            self._maxes.append(value)
            return
        i = min(bisect.bisect_left(self._maxes, value), len(self._maxes) - 1)
        block = self._blocks[i]
        j = bisect.bisect_left(block, value)
        if j < len(block) and block[j] == value:
            return
        block.insert(j, value)
        self._maxes[i] = block[-1]
        if len(block) > 2 * self.BLOCK:
            half = len(block) // 2
            self._blocks[i : i + 1] = [block[:half], block[half:]]
            self._maxes[i : i + 1] = [block[half - 1], block[-1]]

    def discard(self, value: str) -> None:
        i = bisect.bisect_left(self._maxes, value)
        if i == len(self._maxes):
            return
        block = self._blocks[i]
        j = bisect.bisect_left(block, value)
        if j < len(block) and block[j] == value:
            del block[j]
            if block:
                self._maxes[i] = block[-1]
            else:
                del self._blocks[i]
                del self._maxes[i]

    def starting_with(self, prefix: str) -> Iterator[str]:
        for i in range(bisect.bisect_left(self._maxes, prefix), len(self._blocks)):
            block = self._blocks[i]
            for j in range(bisect.bisect_left(block, prefix), len(block)):
                if not block[j].startswith(prefix):
                    return
                yield block[j]


class Table:
    def __init__(self, name: str, fields: dict[str, Field]) -> None:
        self.name = name
        self.fields = fields
        self.rows: dict[int, Row] = {}
        self.next_id = 1
        self.by_write: list[tuple[str, int]] = []
        self.indexes: dict[str, dict[Any, set[int]]] = {
            fname: {} for fname, f in fields.items() if f.index and f.stored
        }
        self.ordered: dict[str, SortedValues] = {
            fname: SortedValues() for fname, f in fields.items() if f.index and f.stored and f.type == "char"
        }

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, rid: int) -> Row:
        return self.rows[rid]

    def __iter__(self) -> Iterator[Row]:
        return iter(self.rows.values())

    def _index_put(self, fname: str, value: Any, rid: int) -> None:
        index = self.indexes[fname]
        bucket = index.get(value)
        if bucket is None:
            bucket = index[value] = set()
            ordered = self.ordered.get(fname)
            if ordered is not None and isinstance(value, str):
                ordered.add(value)
        bucket.add(rid)

    def _index_drop(self, fname: str, value: Any, rid: int) -> None:
        index = self.indexes[fname]
        bucket = index.get(value)
        if bucket is None:
            return
        bucket.discard(rid)
        if not bucket:
            del index[value]
            ordered = self.ordered.get(fname)
            if ordered is not None and isinstance(value, str):
                ordered.discard(value)

    def insert(self, row: Row) -> int:
        rid = self.next_id
        self.next_id += 1
        row["id"] = rid
        self.rows[rid] = row
        key = (row["write_date"], rid)
        if not self.by_write or self.by_write[-1] < key:
            self.by_write.append(key)
        else:
            bisect.insort(self.by_write, key)
        for fname in self.indexes:
            self._index_put(fname, row.get(fname, False), rid)
        return rid

    def update(self, rid: int, changes: Row) -> None:
        row = self.rows[rid]
        moved = {
            fname: row.get(fname, False)
            for fname in self.indexes
            if fname in changes and changes[fname] != row.get(fname, False)
        }
        old_key = (row["write_date"], rid)
        for fname, value in moved.items():
            self._index_drop(fname, value, rid)
        row.update(changes)
        new_key = (row["write_date"], rid)
        if old_key != new_key:
            pos = bisect.bisect_left(self.by_write, old_key)
            if pos < len(self.by_write) and self.by_write[pos] == old_key:
                del self.by_write[pos]
            bisect.insort(self.by_write, new_key)
        for fname in moved:
            self._index_put(fname, row.get(fname, False), rid)

    def delete(self, rid: int) -> None:
        row = self.rows.pop(rid)
        for fname in self.indexes:
            self._index_drop(fname, row.get(fname, False), rid)
        key = (row["write_date"], rid)
        pos = bisect.bisect_left(self.by_write, key)
        if pos < len(self.by_write) and self.by_write[pos] == key:
            del self.by_write[pos]

    def lookup(self, fname: str, value: Any) -> set[int]:
        return set(self.indexes[fname].get(value, ()))

    def prefixed(self, fname: str, prefix: str) -> set[int]:
        """The ids whose indexed char ``fname`` starts with ``prefix``."""
        index = self.indexes[fname]
        found: set[int] = set()
        for value in self.ordered[fname].starting_with(prefix):
            found |= index[value]
        return found
