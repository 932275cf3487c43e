"""The in-process token bucket, slots and gate, on an injected clock (no wall-clock assertions)."""

from __future__ import annotations

import pytest

from syncbridge.config import Settings
from syncbridge.domain.records import System
from syncbridge.errors import RateLimitedError
from syncbridge.ratelimit import MemorySlots, MemoryTokenBucket, SystemGate, make_gate


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def bucket(rate: float, burst: int, clock: FakeClock) -> MemoryTokenBucket:
    return MemoryTokenBucket(rate, burst, clock=clock, sleep=clock.sleep)


# (rate, burst, steps of (advance seconds, cost, expected wait))
CASES = [
    ("burst then empty", 1.0, 3, [(0, 1, 0.0), (0, 1, 0.0), (0, 1, 0.0), (0, 1, 1.0)]),
    ("refill one token", 2.0, 1, [(0, 1, 0.0), (0, 1, 0.5), (0.5, 1, 0.0)]),
    ("refill caps at burst", 10.0, 2, [(0, 2, 0.0), (100, 2, 0.0), (0, 1, 0.1)]),
    ("cost of several", 1.0, 5, [(0, 4, 0.0), (0, 3, 2.0), (2, 3, 0.0)]),
    ("partial refill", 4.0, 4, [(0, 4, 0.0), (0.25, 2, 0.25), (0.25, 2, 0.0)]),
    ("per minute limit", 10 / 60, 10, [*[(0, 1, 0.0)] * 10, (0, 1, 6.0), (6, 1, 0.0)]),
]


@pytest.mark.parametrize(("name", "rate", "burst", "steps"), CASES, ids=[c[0] for c in CASES])
def test_try_acquire(name: str, rate: float, burst: int, steps: list[tuple[float, int, float]]) -> None:
    clock = FakeClock()
    b = bucket(rate, burst, clock)
    for advance, cost, expected in steps:
        clock.now += advance
        assert b.try_acquire("k", cost) == pytest.approx(expected)


def test_keys_are_independent() -> None:
    clock = FakeClock()
    b = bucket(1.0, 1, clock)
    assert b.try_acquire("org:a") == 0.0
    assert b.try_acquire("org:a") > 0
    assert b.try_acquire("org:b") == 0.0


@pytest.mark.parametrize(
    ("block_s", "advance", "expected"),
    [(5.0, 0.0, 5.0), (5.0, 2.0, 3.0), (5.0, 5.0, 0.0), (0.0, 0.0, 0.0), (-1.0, 0.0, 0.0)],
)
def test_block_until(block_s: float, advance: float, expected: float) -> None:
    clock = FakeClock()
    b = bucket(100.0, 10, clock)
    b.block_until("k", block_s)
    clock.now += advance
    assert b.try_acquire("k") == pytest.approx(expected)


def test_block_until_never_shortens_a_block() -> None:
    clock = FakeClock()
    b = bucket(100.0, 10, clock)
    b.block_until("k", 10)
    b.block_until("k", 1)
    assert b.try_acquire("k") == pytest.approx(10.0)


def test_acquire_sleeps_for_the_wait() -> None:
    clock = FakeClock()
    b = bucket(2.0, 1, clock)
    b.acquire("k")
    b.acquire("k")
    assert clock.slept == [pytest.approx(0.5)]


def test_acquire_times_out_with_retry_after() -> None:
    clock = FakeClock()
    b = bucket(0.1, 1, clock)
    b.acquire("k")
    with pytest.raises(RateLimitedError) as err:
        b.acquire("k", timeout=1.0)
    assert err.value.retry_after == pytest.approx(10.0)
    assert clock.slept == []


@pytest.mark.parametrize(("rate", "burst", "cost"), [(0, 1, 1), (-1, 1, 1), (1, 0, 1), (1, 2, 3), (1, 2, 0)])
def test_bad_arguments(rate: float, burst: int, cost: int) -> None:
    with pytest.raises(ValueError):
        MemoryTokenBucket(rate, burst).try_acquire("k", cost)


def test_slots_cap_and_release() -> None:
    slots = MemorySlots(2)
    slots.acquire()
    slots.acquire()
    with pytest.raises(RateLimitedError):
        slots.acquire(timeout=0)
    slots.release()
    slots.acquire(timeout=0)


def test_gate_takes_token_and_slot_and_honours_retry_after() -> None:
    clock = FakeClock()
    b = bucket(100.0, 5, clock)
    slots = MemorySlots(1)
    gate = SystemGate(b, "woocommerce:c1", max_in_flight=1, slots=slots)
    gate.before_request()
    with pytest.raises(RateLimitedError):
        slots.acquire(timeout=0)  # the gate holds the only slot
    gate.after_response(retry_after=7.0)
    slots.acquire(timeout=0)  # released
    slots.release()
    assert b.try_acquire("woocommerce:c1") == pytest.approx(7.0)


@pytest.mark.parametrize("retry_after", [None, 0.0, float("inf"), float("nan")])
def test_gate_ignores_absent_or_silly_retry_after(retry_after: float | None) -> None:
    clock = FakeClock()
    b = bucket(100.0, 5, clock)
    gate = SystemGate(b, "k", max_in_flight=1)
    gate.before_request()
    gate.after_response(retry_after)
    assert b.try_acquire("k") == 0.0


@pytest.mark.parametrize(("system", "rate", "burst"), [(System.WOOCOMMERCE, 3.0, 7), (System.ODOO, 11.0, 13)])
def test_make_gate_uses_the_system_limits_and_shares_per_connection(system: System, rate: float, burst: int) -> None:
    settings = Settings(woocommerce_rps=3.0, woocommerce_burst=7, odoo_rps=11.0, odoo_burst=13)
    gate = make_gate(settings, None, system, f"conn-{system.value}")
    assert (gate.bucket.rate_per_s, gate.bucket.burst) == (rate, burst)
    again = make_gate(settings, None, system, f"conn-{system.value}")
    assert again.bucket is gate.bucket and again.slots is gate.slots
    other = make_gate(settings, None, system, "another-connection")
    assert other.bucket is not gate.bucket


def test_make_gate_refuses_the_hub() -> None:
    with pytest.raises(ValueError):
        make_gate(Settings(), None, System.HUB, "x")
