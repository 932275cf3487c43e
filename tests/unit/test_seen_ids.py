"""``SeenIds`` and ``SeenRaw``: compact sets of the ids a read has yielded (duplicates across pages are
dropped with it), checked against a ``set`` and for the memory it promises."""

from __future__ import annotations

import random

import pytest

from syncbridge.domain.seen import SeenIds, SeenRaw

BLOCK = 1 << 16


@pytest.mark.parametrize(
    ("added", "absent"),
    [
        ([], [0, 1, BLOCK]),
        ([0], [1, BLOCK, -1]),
        ([BLOCK - 1], [BLOCK - 2, BLOCK, 2 * BLOCK - 1]),
        ([BLOCK], [0, BLOCK - 1, BLOCK + 1]),
        ([7, 7, 7], [6, 8]),
        ([2**40, 2**62 + 5], [0, 2**40 + 1, 2**62 + 4, 5]),
        ([-1, -BLOCK], [1, BLOCK - 1, -2]),
        (list(range(0, 3 * BLOCK, 3)), [1, 2, 3 * BLOCK, -3]),  # a dense block and more
    ],
)
def test_contains_what_was_added_and_nothing_else(added: list[int], absent: list[int]) -> None:
    seen = SeenIds(added)
    assert all(i in seen for i in added)
    assert not any(i in seen for i in absent)
    assert len(seen) == len(set(added))


def test_a_block_turns_into_a_bitmap_at_4096_ids_and_keeps_them() -> None:
    seen = SeenIds()
    ids = random.Random(3).sample(range(BLOCK), 5000)
    for n, i in enumerate(ids, 1):
        seen.add(i)
        if n == 4095:
            assert seen.nbytes() == 2 * 4095  # still the sorted array
        if n == 4096:
            assert seen.nbytes() == BLOCK // 8  # the bitmap
    assert seen.nbytes() == BLOCK // 8
    assert len(seen) == 5000
    assert [i for i in range(BLOCK) if i in seen] == sorted(ids)


def test_matches_a_set_under_random_adds_and_lookups() -> None:
    rng = random.Random(11)
    seen, reference = SeenIds(), set()
    for _ in range(30000):
        i = rng.choice([rng.randrange(3 * BLOCK), rng.randrange(2**48), rng.randrange(BLOCK, BLOCK + 5000)])
        if rng.random() < 0.6:
            seen.add(i)
            reference.add(i)
        assert (i in seen) is (i in reference)
    assert len(seen) == len(reference)
    assert all(i in seen for i in reference)


def test_a_million_dense_ids_cost_128_kib_and_sparse_ids_two_bytes_each() -> None:
    dense = SeenIds(range(1, 1_000_001))
    assert len(dense) == 1_000_000
    assert dense.nbytes() <= 16 * BLOCK // 8  # 16 blocks of 65,536 ids
    assert 0 not in dense and 1_000_001 not in dense and 999_999 in dense
    sparse = SeenIds(i * 1_000_003 for i in range(1000))
    assert sparse.nbytes() == 2 * 1000  # never a bitmap up to the largest id (about 1e9)


@pytest.mark.parametrize("order", ["ascending", "shuffled", "descending"])
def test_seen_raw_answers_as_a_set_does(order: str) -> None:
    rng = random.Random(7)
    ids = [rng.randbytes(16) for _ in range(3000)]
    ids += ids[::7]  # some met twice
    if order == "ascending":
        ids.sort()
    elif order == "descending":
        ids.sort(reverse=True)
    else:
        rng.shuffle(ids)
    seen, reference = SeenRaw(), set()
    for raw in ids:
        assert seen.add(raw) == (raw not in reference)
        reference.add(raw)
    assert all(raw in seen for raw in reference)
    assert not any(rng.randbytes(16) in seen for _ in range(500))


def test_seen_raw_costs_16_bytes_an_id_read_in_order() -> None:
    seen = SeenRaw()
    for n in range(100_000):
        assert seen.add(n.to_bytes(16, "big"))
    assert seen.nbytes() == 16 * 100_000
    assert not seen.add((5).to_bytes(16, "big"))  # met already, found in the log
    with pytest.raises(ValueError):
        seen.add(b"short")
