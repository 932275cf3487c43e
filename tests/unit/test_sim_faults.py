from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from syncbridge.sim.faults import FaultConfig, FaultInjector
from syncbridge.sim.seed import generate
from syncbridge.sim.server import SimServer


class Counter:
    """A tiny ASGI app that counts the requests it handled (its 'effects')."""

    def __init__(self) -> None:
        self.handled = 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        self.handled += 1
        body = b'{"ok": true}'
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"content-length", b"12")],
            }
        )
        await send({"type": "http.response.body", "body": body})


@pytest.fixture
def served() -> Iterator[tuple[SimServer, FaultInjector, Counter]]:
    inner = Counter()
    injector = FaultInjector(inner)
    with SimServer(injector) as server:
        yield server, injector, inner


def _outcomes(server: SimServer, n: int) -> list[str]:
    out: list[str] = []
    with httpx.Client(base_url=server.url, timeout=0.5) as client:
        for _ in range(n):
            try:
                out.append(str(client.get("/x").status_code))
            except httpx.TransportError as exc:
                out.append(type(exc).__name__)
    return out


def test_same_seed_same_fault_sequence(served: tuple[SimServer, FaultInjector, Counter]) -> None:
    server, injector, _ = served
    config = FaultConfig(seed=7, error_rate=0.2, rate_429=0.1, drop_rate=0.1, lost_response_rate=0.1)
    injector.configure_from(config)
    first = _outcomes(server, 60)
    log1 = [(e.seq, e.fault) for e in injector.log]
    injector.configure_from(config)
    second = _outcomes(server, 60)
    log2 = [(e.seq, e.fault) for e in injector.log]
    assert log1 == log2
    assert first == second
    assert {"429", "RemoteProtocolError"} <= set(first)
    assert any(code in first for code in ("500", "502", "503"))
    injector.configure_from(FaultConfig(seed=8, error_rate=0.2, rate_429=0.1, drop_rate=0.1, lost_response_rate=0.1))
    _outcomes(server, 60)
    assert [(e.seq, e.fault) for e in injector.log] != log1


def test_lost_response_commits_the_effect(served: tuple[SimServer, FaultInjector, Counter]) -> None:
    server, injector, inner = served
    injector.configure(lost_response_rate=1.0)
    assert _outcomes(server, 3) == ["RemoteProtocolError"] * 3
    assert inner.handled == 3
    injector.configure(lost_response_rate=0.0, drop_rate=1.0)
    assert _outcomes(server, 2) == ["RemoteProtocolError"] * 2
    assert inner.handled == 3  # a drop happens before the app


def test_hang_outlives_client_timeout(served: tuple[SimServer, FaultInjector, Counter]) -> None:
    server, injector, _ = served
    injector.configure(hang_rate=1.0, hang_seconds=2)
    assert _outcomes(server, 1) == ["ReadTimeout"]


def test_rate_limit_answers_429_with_retry_after(served: tuple[SimServer, FaultInjector, Counter]) -> None:
    server, injector, _ = served
    injector.configure(rate_limit_rps=1.0, rate_limit_burst=3, retry_after_s=2)
    with httpx.Client(base_url=server.url) as client:
        answers = [client.get("/x") for _ in range(6)]
    assert [a.status_code for a in answers[:3]] == [200, 200, 200]
    assert answers[5].status_code == 429
    assert answers[5].headers["retry-after"] == "2"
    assert injector.accepted_max_per_window(1.0) <= 4
    assert injector.counts["rate_limit"] >= 2


def test_seed_data_is_deterministic_and_awkward() -> None:
    a = generate(customers=1000, products=50, orders=200, seed=3)
    b = generate(customers=1000, products=50, orders=200, seed=3)
    assert a == b
    assert generate(customers=10, products=5, orders=5, seed=4) != generate(customers=10, products=5, orders=5, seed=5)
    emails = [c.email.lower() for c in a.customers]
    assert len(emails) != len(set(emails))  # two customers share an e-mail
    assert any("@" not in e for e in emails)  # a record WooCommerce will refuse
    assert any(not c.name.isascii() for c in a.customers)
    assert any(o.customer_email == "" for o in a.orders)  # guests
    assert any(p.variants for p in a.products)
    assert any(p.state.value == "refunded" for p in a.payments)
    skus = {p.sku for p in a.products} | {v.sku for p in a.products for v in p.variants}
    assert all(line.sku in skus for o in a.orders for line in o.lines)
    assert all(o.total == sum(line.total for line in o.lines) for o in a.orders)
