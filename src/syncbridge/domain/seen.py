"""A compact set of integer ids: the connectors' ids a read has yielded (a page shifted by a concurrent write can
list an id twice) and the delta's unlinked source ids. A ``set`` of ints would cost some 60 bytes per id, linear
in the catalog."""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections.abc import Iterable


class SeenIds:
    """Integer ids met so far, in about 2 bits each when dense (a ``set`` of ints costs some 60 bytes per id and
    made a full read's memory linear in the catalog).

    Ids are grouped by their high bits into blocks of 65,536; a block holds its low 16 bits as a sorted
    ``array('H')`` (2 bytes per id) while it has few of them, and as an 8 KiB bitmap once it has 4,096. So
    WooCommerce post ids and Odoo ids, which are dense, cost at most 8 KiB per 65,536 ids (128 KiB for a million),
    and sparse or very large ids cost 2 bytes each plus a block's overhead, never a bitmap up to the largest id.
    """

    __slots__ = ("_blocks", "_count")

    _BITS = 16
    _LOW = (1 << _BITS) - 1
    _DENSE = 4096  # a block's ids as a sorted array cost as much as its bitmap (8 KiB) from here on

    def __init__(self, ids: Iterable[int] = ()) -> None:
        self._blocks: dict[int, array[int] | bytearray] = {}
        self._count = 0
        for row_id in ids:
            self.add(row_id)

    def add(self, row_id: int) -> None:
        high, low = row_id >> self._BITS, row_id & self._LOW
        block = self._blocks.get(high)
        if block is None:
            self._blocks[high] = array("H", (low,))
        elif isinstance(block, bytearray):
            bit = 1 << (low & 7)
            if block[low >> 3] & bit:
                return
            block[low >> 3] |= bit
        else:
            at = bisect_left(block, low)
            if at < len(block) and block[at] == low:
                return
            block.insert(at, low)
            if len(block) >= self._DENSE:
                bits = bytearray(1 << (self._BITS - 3))
                for value in block:
                    bits[value >> 3] |= 1 << (value & 7)
                self._blocks[high] = bits
        self._count += 1

    def __contains__(self, row_id: int) -> bool:
        block = self._blocks.get(row_id >> self._BITS)
        if block is None:
            return False
        low = row_id & self._LOW
        if isinstance(block, bytearray):
            return bool(block[low >> 3] & (1 << (low & 7)))
        at = bisect_left(block, low)
        return at < len(block) and block[at] == low

    def __len__(self) -> int:
        return self._count

    def nbytes(self) -> int:
        """The bytes its blocks hold (the ids' storage, without the objects' headers)."""
        return sum(len(b) if isinstance(b, bytearray) else b.itemsize * len(b) for b in self._blocks.values())


class SeenRaw:
    """16-byte ids (packed 32-hex hub ids) met so far: 16 bytes each while they come in ascending order, as the hub
    is read (keyset pages in id order), one ``set`` entry each for those that come out of order."""

    __slots__ = ("_extra", "_last", "_log")

    _SIZE = 16

    def __init__(self) -> None:
        self._log = bytearray()  # ascending, _SIZE bytes each
        self._last = b""
        self._extra: set[bytes] = set()

    def add(self, raw: bytes) -> bool:
        """Remember ``raw`` (16 bytes); False when it was met already."""
        if len(raw) != self._SIZE:
            raise ValueError(f"SeenRaw holds {self._SIZE}-byte ids, not {len(raw)}")
        if raw > self._last:  # above everything met so far (the log and the extras are all <= _last)
            self._log += raw
            self._last = raw
            return True
        if raw in self._extra or self._in_log(raw):
            return False
        self._extra.add(raw)
        return True

    def __contains__(self, raw: bytes) -> bool:
        return raw in self._extra or self._in_log(raw)

    def _in_log(self, raw: bytes) -> bool:
        log, size = self._log, self._SIZE
        low, high = 0, len(log) // size
        while low < high:
            mid = (low + high) // 2
            value = log[mid * size : (mid + 1) * size]
            if value == raw:
                return True
            if value < raw:
                low = mid + 1
            else:
                high = mid
        return False

    def nbytes(self) -> int:
        return len(self._log) + self._SIZE * len(self._extra)
