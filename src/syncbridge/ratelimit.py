"""Token buckets and in-flight caps shared by everyone who talks to the same system (or serves the same org).

Two token buckets with one surface:

* ``MemoryTokenBucket``  one process (threads share it);
* ``RedisTokenBucket``   every process on one Redis: a Lua script refills and takes atomically, reading the
  time with ``redis.call('TIME')`` so that hosts with skewed clocks still agree.

``try_acquire(key, cost)`` answers at once: ``0.0`` when granted, else the seconds to wait before it could be.
``acquire`` blocks (raising ``RateLimitedError`` past its timeout). ``block_until(key, seconds)`` empties the
key for everyone, which is how a ``Retry-After`` seen by one caller is honoured by all of them.

``SystemGate`` is the ``connectors.base.RequestGate`` the engine hands connectors: a token per request plus a
cap on requests in flight (a semaphore, or with Redis a shared counter whose expiry heals a crashed holder).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import redis as redis_lib

from syncbridge.config import Settings
from syncbridge.domain.records import System
from syncbridge.errors import RateLimitedError, TransientError

Clock = Callable[[], float]
Sleep = Callable[[float], None]

_TAKE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local data = redis.call('HMGET', KEYS[1], 'tokens', 'ts', 'blocked')
local tokens = tonumber(data[1]) or burst
local ts = tonumber(data[2]) or now
local blocked = tonumber(data[3]) or 0
tokens = math.min(burst, tokens + math.max(0, now - ts) * rate)
local wait = 0
if blocked > now then
  wait = blocked - now
elseif tokens >= cost then
  tokens = tokens - cost
else
  wait = (cost - tokens) / rate
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now), 'blocked', tostring(blocked))
redis.call('EXPIRE', KEYS[1], math.ceil(math.max(burst / rate, blocked - now)) + 1)
return tostring(wait)
"""

_BLOCK = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local till = now + tonumber(ARGV[1])
local current = tonumber(redis.call('HGET', KEYS[1], 'blocked')) or 0
if till > current then
  redis.call('HSET', KEYS[1], 'blocked', tostring(till))
end
local ttl = redis.call('TTL', KEYS[1])
local need = math.ceil(till - now) + 1
if ttl < need then
  redis.call('EXPIRE', KEYS[1], need)
end
return 1
"""

_SLOT_TAKE = """
local n = redis.call('INCR', KEYS[1])
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[2]))
if n > tonumber(ARGV[1]) then
  redis.call('DECR', KEYS[1])
  return 0
end
return 1
"""

_SLOT_RELEASE = """
local n = tonumber(redis.call('GET', KEYS[1])) or 0
if n > 0 then
  redis.call('DECR', KEYS[1])
end
return 1
"""


def _run(script: Any, keys: list[str], args: list[Any]) -> Any:
    """Run a registered Lua script; Redis being away is a ``TransientError`` (503), not a crash."""
    try:
        return script(keys=keys, args=args)
    except redis_lib.RedisError as exc:
        raise TransientError(
            f"rate limiter unavailable: Redis {type(exc).__name__}", code="redis_unavailable", retry_after=1.0
        ) from exc


class TokenBucket(Protocol):
    rate_per_s: float
    burst: int

    def try_acquire(self, key: str, cost: int = 1) -> float: ...

    def block_until(self, key: str, seconds: float) -> None: ...

    def acquire(self, key: str, cost: int = 1, *, timeout: float | None = None) -> None: ...


def _check(rate_per_s: float, burst: int) -> None:
    if rate_per_s <= 0:
        raise ValueError("rate_per_s must be positive")
    if burst < 1:
        raise ValueError("burst must be at least 1")


def _check_cost(cost: int, burst: int) -> None:
    if cost < 1 or cost > burst:
        raise ValueError(f"cost must be between 1 and the burst ({burst}), not {cost}")


def _blocking_acquire(
    bucket: TokenBucket, key: str, cost: int, timeout: float | None, clock: Clock, sleep: Sleep
) -> None:
    deadline = None if timeout is None else clock() + timeout
    while True:
        wait = bucket.try_acquire(key, cost)
        if wait <= 0:
            return
        if deadline is not None:
            remaining = deadline - clock()
            if wait > remaining:
                raise RateLimitedError(f"rate limit on {key}: no token within {timeout:g}s", retry_after=wait)
        sleep(wait)


@dataclass
class _State:
    tokens: float
    stamp: float
    blocked_until: float = 0.0


class MemoryTokenBucket:
    """A token bucket per key, in this process; thread-safe."""

    def __init__(
        self, rate_per_s: float, burst: int, *, clock: Clock = time.monotonic, sleep: Sleep = time.sleep
    ) -> None:
        _check(rate_per_s, burst)
        self.rate_per_s = rate_per_s
        self.burst = burst
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._states: dict[str, _State] = {}

    def _state(self, key: str, now: float) -> _State:
        state = self._states.get(key)
        if state is None:
            state = self._states[key] = _State(tokens=float(self.burst), stamp=now)
        state.tokens = min(float(self.burst), state.tokens + max(0.0, now - state.stamp) * self.rate_per_s)
        state.stamp = now
        return state

    def try_acquire(self, key: str, cost: int = 1) -> float:
        _check_cost(cost, self.burst)
        with self._lock:
            now = self._clock()
            state = self._state(key, now)
            if state.blocked_until > now:
                return state.blocked_until - now
            if state.tokens >= cost:
                state.tokens -= cost
                return 0.0
            return (cost - state.tokens) / self.rate_per_s

    def block_until(self, key: str, seconds: float) -> None:
        if seconds <= 0:
            return
        with self._lock:
            now = self._clock()
            state = self._state(key, now)
            state.blocked_until = max(state.blocked_until, now + seconds)

    def acquire(self, key: str, cost: int = 1, *, timeout: float | None = None) -> None:
        _blocking_acquire(self, key, cost, timeout, self._clock, self._sleep)


class RedisTokenBucket:
    """A token bucket per key in Redis, shared by every process using the same ``key_prefix``."""

    def __init__(
        self,
        redis: redis_lib.Redis,
        rate_per_s: float,
        burst: int,
        *,
        key_prefix: str,
        clock: Clock = time.monotonic,
        sleep: Sleep = time.sleep,
    ) -> None:
        _check(rate_per_s, burst)
        self.rate_per_s = rate_per_s
        self.burst = burst
        self.key_prefix = key_prefix
        self._take = redis.register_script(_TAKE)
        self._block = redis.register_script(_BLOCK)
        self._clock = clock
        self._sleep = sleep

    def _key(self, key: str) -> str:
        return f"{self.key_prefix}:{key}"

    def try_acquire(self, key: str, cost: int = 1) -> float:
        _check_cost(cost, self.burst)
        answer = _run(self._take, [self._key(key)], [repr(self.rate_per_s), self.burst, cost])
        return max(0.0, float(answer.decode() if isinstance(answer, bytes) else answer))

    def block_until(self, key: str, seconds: float) -> None:
        if seconds > 0:
            _run(self._block, [self._key(key)], [repr(float(seconds))])

    def acquire(self, key: str, cost: int = 1, *, timeout: float | None = None) -> None:
        _blocking_acquire(self, key, cost, timeout, self._clock, self._sleep)


class InFlightSlots(Protocol):
    def acquire(self, timeout: float | None = None) -> None: ...

    def release(self) -> None: ...


class MemorySlots:
    """At most ``limit`` holders at once in this process."""

    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        self.limit = limit
        self._semaphore = threading.BoundedSemaphore(limit)

    def acquire(self, timeout: float | None = None) -> None:
        if not self._semaphore.acquire(timeout=timeout):
            raise RateLimitedError("too many requests in flight", retry_after=0.1)

    def release(self) -> None:
        try:
            self._semaphore.release()
        except ValueError:  # released more often than acquired: a bug elsewhere must not wedge the gate
            pass


class RedisSlots:
    """At most ``limit`` holders at once across processes: a counter in Redis.

    Every take renews the counter's expiry (``lease_s``), so slots held by a process that died without
    releasing them come back once nobody has taken a slot for ``lease_s`` seconds.
    """

    def __init__(
        self,
        redis: redis_lib.Redis,
        key: str,
        limit: int,
        *,
        lease_s: int = 60,
        poll_s: float = 0.01,
        clock: Clock = time.monotonic,
        sleep: Sleep = time.sleep,
    ) -> None:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        self.key = key
        self.limit = limit
        self.lease_s = lease_s
        self._take = redis.register_script(_SLOT_TAKE)
        self._release = redis.register_script(_SLOT_RELEASE)
        self._poll_s = poll_s
        self._clock = clock
        self._sleep = sleep

    def try_acquire(self) -> bool:
        return int(_run(self._take, [self.key], [self.limit, self.lease_s])) == 1

    def acquire(self, timeout: float | None = None) -> None:
        deadline = None if timeout is None else self._clock() + timeout
        delay = self._poll_s
        while not self.try_acquire():
            if deadline is not None and self._clock() >= deadline:
                raise RateLimitedError("too many requests in flight", retry_after=self._poll_s)
            self._sleep(delay)
            delay = min(delay * 2, 0.25)

    def release(self) -> None:
        _run(self._release, [self.key], [])


class SystemGate:
    """``RequestGate`` for one connection: a token and an in-flight slot before each request."""

    def __init__(self, bucket: TokenBucket, key: str, *, max_in_flight: int, slots: InFlightSlots | None = None):
        self.bucket = bucket
        self.key = key
        self.slots: InFlightSlots = slots if slots is not None else MemorySlots(max_in_flight)

    def before_request(self) -> None:
        self.bucket.acquire(self.key)
        self.slots.acquire()

    def after_response(self, retry_after: float | None) -> None:
        self.slots.release()
        if retry_after is not None and retry_after > 0 and math.isfinite(retry_after):
            self.bucket.block_until(self.key, retry_after)


_memory_parts: dict[tuple[str, float, int, int], tuple[MemoryTokenBucket, MemorySlots]] = {}
_memory_lock = threading.Lock()


def _limits(settings: Settings, system: System) -> tuple[float, int]:
    if system is System.WOOCOMMERCE:
        return settings.woocommerce_rps, settings.woocommerce_burst
    if system is System.ODOO:
        return settings.odoo_rps, settings.odoo_burst
    raise ValueError(f"no rate limit for {system}: the hub is not paced")


def make_gate(settings: Settings, redis: redis_lib.Redis | None, system: System, connection_id: str) -> SystemGate:
    """The gate for a connection: shared by every connector of that connection in this process, and across
    processes when Redis is given."""
    rate, burst = _limits(settings, system)
    key = f"{system.value}:{connection_id}"
    limit = settings.max_in_flight_per_system
    if redis is not None:
        bucket = RedisTokenBucket(redis, rate, burst, key_prefix="syncbridge:rl:system")
        slots = RedisSlots(redis, f"syncbridge:inflight:{key}", limit)
        return SystemGate(bucket, key, max_in_flight=limit, slots=slots)
    with _memory_lock:
        parts = _memory_parts.get((key, rate, burst, limit))
        if parts is None:
            parts = _memory_parts[(key, rate, burst, limit)] = (
                MemoryTokenBucket(rate, burst),
                MemorySlots(limit),
            )
    return SystemGate(parts[0], key, max_in_flight=limit, slots=parts[1])
