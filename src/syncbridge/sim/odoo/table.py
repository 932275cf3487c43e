"""One model's rows in memory, ordered by ``(write_date, id)`` for incremental reads, with an index per
many2one so lookups by parent do not scan the table."""

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

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, rid: int) -> Row:
        return self.rows[rid]

    def __iter__(self) -> Iterator[Row]:
        return iter(self.rows.values())

    def _index_add(self, rid: int, row: Row) -> None:
        for fname, index in self.indexes.items():
            index.setdefault(row.get(fname, False), set()).add(rid)

    def _index_remove(self, rid: int, row: Row) -> None:
        for fname, index in self.indexes.items():
            bucket = index.get(row.get(fname, False))
            if bucket is not None:
                bucket.discard(rid)

    def insert(self, row: Row) -> int:
        rid = self.next_id
        self.next_id += 1
        row["id"] = rid
        self.rows[rid] = row
        bisect.insort(self.by_write, (row["write_date"], rid))
        self._index_add(rid, row)
        return rid

    def update(self, rid: int, changes: Row) -> None:
        row = self.rows[rid]
        self._index_remove(rid, row)
        old_key = (row["write_date"], rid)
        row.update(changes)
        new_key = (row["write_date"], rid)
        if old_key != new_key:
            pos = bisect.bisect_left(self.by_write, old_key)
            if pos < len(self.by_write) and self.by_write[pos] == old_key:
                del self.by_write[pos]
            bisect.insort(self.by_write, new_key)
        self._index_add(rid, row)

    def delete(self, rid: int) -> None:
        row = self.rows.pop(rid)
        self._index_remove(rid, row)
        key = (row["write_date"], rid)
        pos = bisect.bisect_left(self.by_write, key)
        if pos < len(self.by_write) and self.by_write[pos] == key:
            del self.by_write[pos]

    def lookup(self, fname: str, value: Any) -> set[int]:
        return set(self.indexes[fname].get(value, ()))
