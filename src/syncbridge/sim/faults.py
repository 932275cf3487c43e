"""Fault injection for the simulators, as ASGI middleware.

Faults are drawn from a ``random.Random(seed)`` in request arrival order, so the same serial workload with the
same seed meets the same faults. The rate limit is a token bucket (time-based, like a real host's firewall).

Faults, in the order they are tried for a request:
* rate limit      the bucket is empty -> 429 with ``Retry-After``;
* drop            the connection is cut before the request is handled (no effect);
* hang            the answer comes after ``hang_seconds`` (past the client's timeout);
* error           500 / 502 / 503 (no effect);
* 429             a random 429 with ``Retry-After`` (no effect);
* lost response   the request IS handled (its effect committed), then the connection is cut.
"""

from __future__ import annotations

import asyncio
import random
import threading
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field, replace
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


@dataclass(frozen=True)
class FaultConfig:
    seed: int = 0
    latency_ms: float = 0.0
    jitter_ms: float = 0.0
    rate_limit_rps: float | None = None
    rate_limit_burst: int = 10
    error_rate: float = 0.0
    rate_429: float = 0.0
    drop_rate: float = 0.0
    hang_rate: float = 0.0
    hang_seconds: float = 60.0
    lost_response_rate: float = 0.0
    retry_after_s: int = 1


@dataclass(frozen=True, slots=True)
class FaultEvent:
    seq: int
    method: str
    path: str
    fault: str


class ConnectionCut(Exception):
    """Raised after a partial response start: the server closes the connection, the answer unfinished."""


@dataclass
class _Bucket:
    rate: float
    burst: int
    tokens: float = 0.0
    stamp: float = field(default_factory=time.monotonic)

    def take(self) -> float:
        """0 when a token was taken, else the seconds until one is available."""
        now = time.monotonic()
        self.tokens = min(float(self.burst), self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return 0.0
        return (1.0 - self.tokens) / self.rate


class FaultInjector:
    def __init__(
        self,
        app: ASGIApp,
        config: FaultConfig | None = None,
        *,
        exempt: Callable[[Scope], bool] | None = None,
    ) -> None:
        self.app = app
        self.exempt = exempt or (lambda scope: False)
        self._lock = threading.Lock()
        self.configure_from(config or FaultConfig())

    # -- configuration -------------------------------------------------------------------------------------
    def configure_from(self, config: FaultConfig) -> None:
        with getattr(self, "_lock", threading.Lock()):
            self.config = config
            self._rng = random.Random(config.seed)
            self._bucket = (
                _Bucket(config.rate_limit_rps, config.rate_limit_burst, tokens=float(config.rate_limit_burst))
                if config.rate_limit_rps
                else None
            )
            self._seq = 0
            self.log: list[FaultEvent] = []
            self.counts: Counter[str] = Counter()
            self._accepted: deque[float] = deque()
            self.requests = 0

    def configure(self, **changes: Any) -> None:
        self.configure_from(replace(self.config, **changes))

    # -- observation ---------------------------------------------------------------------------------------
    def accepted_max_per_window(self, window_s: float = 1.0) -> int:
        """The most requests accepted (not refused by the rate limit) within any window of ``window_s``."""
        with self._lock:
            stamps = list(self._accepted)
        best, lo = 0, 0
        for hi, stamp in enumerate(stamps):
            while stamp - stamps[lo] >= window_s:
                lo += 1
            best = max(best, hi - lo + 1)
        return best

    # -- the middleware ------------------------------------------------------------------------------------
    def _decide(self, method: str, path: str) -> tuple[str | None, float, int]:
        """(fault, delay seconds, status) for the next request; all randomness drawn under the lock."""
        cfg = self.config
        with self._lock:
            seq = self._seq
            self._seq += 1
            self.requests += 1
            delay = cfg.latency_ms / 1000.0
            if cfg.jitter_ms:
                delay += self._rng.uniform(0.0, cfg.jitter_ms / 1000.0)
            draw = self._rng.random()
            status_draw = self._rng.choice((500, 502, 503))
            fault: str | None = None
            status = 0
            if self._bucket is not None and self._bucket.take() > 0:
                fault, status = "rate_limit", 429
            else:
                edges = (
                    ("drop", cfg.drop_rate),
                    ("hang", cfg.hang_rate),
                    ("error", cfg.error_rate),
                    ("429", cfg.rate_429),
                    ("lost_response", cfg.lost_response_rate),
                )
                acc = 0.0
                for name, rate in edges:
                    acc += rate
                    if draw < acc:
                        fault = name
                        break
                status = status_draw if fault == "error" else 429 if fault == "429" else 0
                if fault not in {"429"}:
                    self._accepted.append(time.monotonic())
            if fault is not None:
                self.log.append(FaultEvent(seq, method, path, fault))
                self.counts[fault] += 1
            return fault, delay, status

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.exempt(scope):
            await self.app(scope, receive, send)
            return
        fault, delay, status = self._decide(scope.get("method", ""), scope.get("path", ""))
        if delay:
            await asyncio.sleep(delay)
        if fault in {"rate_limit", "429"}:
            await _answer(
                send,
                429,
                b'{"code":"too_many_requests","message":"Too many requests."}',
                [(b"retry-after", str(self.config.retry_after_s).encode())],
            )
            return
        if fault == "error":
            await _answer(
                send,
                status,
                b"<html><body><h1>Server error</h1></body></html>",
                [],
                content_type=b"text/html",
            )
            return
        if fault == "drop":
            await _cut(send)
        if fault == "hang":
            await asyncio.sleep(self.config.hang_seconds)
        if fault == "lost_response":

            async def swallow(message: Message) -> None:
                return None

            await self.app(scope, receive, swallow)
            await _cut(send)
        await self.app(scope, receive, send)


async def _answer(
    send: Send,
    status: int,
    body: bytes,
    headers: list[tuple[bytes, bytes]],
    *,
    content_type: bytes = b"application/json",
) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", content_type),
                (b"content-length", str(len(body)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _cut(send: Send) -> None:
    # A response that promises a body it never sends: the server drops the connection, the client sees a
    # protocol error (as with a reset), and no answer.
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"1000")]})
    raise ConnectionCut("connection dropped by fault injection")
