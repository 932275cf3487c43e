"""The Redis token bucket and in-flight counter: atomic, shared by every client, timed by Redis itself."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
import redis

from syncbridge.config import Settings
from syncbridge.domain.records import System
from syncbridge.errors import RateLimitedError
from syncbridge.ratelimit import RedisSlots, RedisTokenBucket, make_gate

pytestmark = pytest.mark.redis


@pytest.fixture
def clients(redis_url: str) -> Iterator[tuple[redis.Redis, redis.Redis]]:
    a, b = redis.Redis.from_url(redis_url), redis.Redis.from_url(redis_url)
    yield a, b
    a.close()
    b.close()


def test_burst_then_wait(clients: tuple[redis.Redis, redis.Redis]) -> None:
    bucket = RedisTokenBucket(clients[0], 1.0, 3, key_prefix="t")
    assert [bucket.try_acquire("k") for _ in range(3)] == [0.0, 0.0, 0.0]
    wait = bucket.try_acquire("k")
    assert 0.5 < wait <= 1.0


def test_two_clients_share_one_bucket(clients: tuple[redis.Redis, redis.Redis]) -> None:
    one = RedisTokenBucket(clients[0], 0.01, 4, key_prefix="t")
    two = RedisTokenBucket(clients[1], 0.01, 4, key_prefix="t")
    granted = [b.try_acquire("org:x") == 0.0 for b in (one, two, one, two, one, two)]
    assert granted == [True, True, True, True, False, False]
    assert one.try_acquire("org:y") == 0.0  # another key, another bucket


def test_many_threads_never_exceed_the_burst(clients: tuple[redis.Redis, redis.Redis]) -> None:
    bucket = RedisTokenBucket(clients[0], 0.001, 25, key_prefix="t")
    results: list[float] = []
    lock = threading.Lock()

    def hammer() -> None:
        mine = [bucket.try_acquire("hot") for _ in range(10)]
        with lock:
            results.extend(mine)

    threads = [threading.Thread(target=hammer) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(1 for w in results if w == 0.0) == 25


def test_block_until_is_seen_by_every_client(clients: tuple[redis.Redis, redis.Redis]) -> None:
    one = RedisTokenBucket(clients[0], 100.0, 10, key_prefix="t")
    two = RedisTokenBucket(clients[1], 100.0, 10, key_prefix="t")
    one.block_until("woocommerce:c", 30)
    wait = two.try_acquire("woocommerce:c")
    assert 29 < wait <= 30
    with pytest.raises(RateLimitedError):
        two.acquire("woocommerce:c", timeout=1)


def test_keys_expire(clients: tuple[redis.Redis, redis.Redis]) -> None:
    bucket = RedisTokenBucket(clients[0], 2.0, 10, key_prefix="t")
    bucket.try_acquire("k")
    assert 0 < clients[0].ttl("t:k") <= 6
    bucket.block_until("k", 100)
    assert 100 <= clients[0].ttl("t:k") <= 101


def test_slots_are_shared_and_released(clients: tuple[redis.Redis, redis.Redis]) -> None:
    one = RedisSlots(clients[0], "slots", 2)
    two = RedisSlots(clients[1], "slots", 2)
    assert one.try_acquire() and two.try_acquire()
    assert not one.try_acquire()
    with pytest.raises(RateLimitedError):
        two.acquire(timeout=0.05)
    one.release()
    assert two.try_acquire()
    for _ in range(5):  # over-release never drives the counter below zero
        one.release()
    assert int(clients[0].get("slots") or 0) == 0


def test_make_gate_with_redis(clients: tuple[redis.Redis, redis.Redis]) -> None:
    settings = Settings(odoo_rps=100.0, odoo_burst=2, max_in_flight_per_system=1)
    first = make_gate(settings, clients[0], System.ODOO, "c1")
    second = make_gate(settings, clients[1], System.ODOO, "c1")
    first.before_request()
    assert isinstance(second.slots, RedisSlots)
    assert not second.slots.try_acquire()  # the one in-flight slot is taken, across clients
    first.after_response(retry_after=20)
    assert second.slots.try_acquire()
    second.slots.release()
    assert second.bucket.try_acquire("odoo:c1") > 19
