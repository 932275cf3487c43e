"""Sorted id and modification-date indexes, so a page of a 100k catalog costs O(log n + page size).

Keys are single ints (``modified << 32 | id``) kept in plain sorted lists: compact at 100k rows, bisectable.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right, insort

_SHIFT = 32
_MASK = (1 << _SHIFT) - 1


def _key(modified: int, row_id: int) -> int:
    return (modified << _SHIFT) | row_id


class SortedIndex:
    """The ids of one bucket of rows (e.g. products not in the trash), by id and by modification time."""

    def __init__(self) -> None:
        self._ids: list[int] = []
        self._mods: list[int] = []

    def __len__(self) -> int:
        return len(self._ids)

    def add(self, row_id: int, modified: int) -> None:
        if not self._ids or self._ids[-1] < row_id:
            self._ids.append(row_id)
        else:
            insort(self._ids, row_id)
        key = _key(modified, row_id)
        if not self._mods or self._mods[-1] < key:
            self._mods.append(key)
        else:
            insort(self._mods, key)

    def remove(self, row_id: int, modified: int) -> None:
        i = bisect_left(self._ids, row_id)
        if i < len(self._ids) and self._ids[i] == row_id:
            del self._ids[i]
        key = _key(modified, row_id)
        j = bisect_left(self._mods, key)
        if j < len(self._mods) and self._mods[j] == key:
            del self._mods[j]

    def by_id(self, *, desc: bool, offset: int, limit: int) -> tuple[int, list[int]]:
        total = len(self._ids)
        if desc:
            hi = max(total - offset, 0)
            return total, self._ids[max(hi - limit, 0) : hi][::-1]
        return total, self._ids[offset : offset + limit]

    def by_modified(
        self, *, after: int | None, before: int | None, desc: bool, offset: int, limit: int
    ) -> tuple[int, list[int]]:
        """Rows modified strictly after ``after`` and strictly before ``before`` (epoch seconds)."""
        lo = 0 if after is None else bisect_right(self._mods, _key(after, _MASK))
        hi = len(self._mods) if before is None else bisect_left(self._mods, _key(before, 0))
        hi = max(hi, lo)
        total = hi - lo
        if desc:
            end = max(hi - offset, lo)
            keys = self._mods[max(end - limit, lo) : end][::-1]
        else:
            start = lo + offset
            keys = self._mods[start : min(start + limit, hi)]
        return total, [k & _MASK for k in keys]
