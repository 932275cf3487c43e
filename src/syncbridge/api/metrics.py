"""Prometheus metrics: requests by route and status, their latency, runs by status and open conflicts.

Each app owns a ``CollectorRegistry`` (several apps in one process, as in tests, must not collide). Run and
conflict counts are read from the database when scraped, summed over all organizations (no org label: the
endpoint is for operators, and org ids would explode the cardinality).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator

import sqlalchemy as sa
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy.engine import Engine
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from syncbridge.store.tables import sync_conflict, sync_orchestration

log = logging.getLogger("syncbridge.api")


class StoreCollector(Collector):
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def collect(self) -> Iterator[Metric]:
        runs = GaugeMetricFamily("syncbridge_runs", "Sync runs by status", labels=["status"])
        conflicts = GaugeMetricFamily("syncbridge_conflicts_open", "Conflicts waiting for a decision")
        try:
            with self.engine.connect() as conn:
                by_status = conn.execute(
                    sa.select(sync_orchestration.c.status, sa.func.count()).group_by(sync_orchestration.c.status)
                ).all()
                open_count = conn.execute(
                    sa.select(sa.func.count()).where(sync_conflict.c.status == "open")
                ).scalar_one()
        except sa.exc.SQLAlchemyError as exc:
            log.warning("metrics: cannot read the store: %s", type(exc).__name__)
            return
        for status, count in by_status:
            runs.add_metric([str(status)], float(count))
        conflicts.add_metric([], float(open_count))
        yield runs
        yield conflicts


class ApiMetrics:
    def __init__(self, engine: Engine) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "syncbridge_http_requests",
            "HTTP requests by route and status",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "syncbridge_http_request_duration_seconds",
            "HTTP request latency by route",
            ["method", "route"],
            registry=self.registry,
        )
        self.registry.register(StoreCollector(engine))


class MetricsMiddleware:
    def __init__(self, app: ASGIApp, metrics: ApiMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            method = str(scope.get("method", "?"))
            self.metrics.requests.labels(method, route, str(status)).inc()
            self.metrics.latency.labels(method, route).observe(time.perf_counter() - started)
