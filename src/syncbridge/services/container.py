"""Everything a process needs, built once from the settings: the store, Redis, the services, the engine context."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import Engine

from syncbridge.config import Settings
from syncbridge.connectors.base import RequestGate
from syncbridge.connectors.factory import ConnectorFactory, make_connector_factory
from syncbridge.domain.records import System
from syncbridge.engine.context import EngineContext
from syncbridge.services.orchestration import OrchestrationService
from syncbridge.store.bootstrap import open_store

if TYPE_CHECKING:
    import redis as redis_lib

    from syncbridge.services.conflicts import ConflictService
    from syncbridge.services.preview import PreviewService


@dataclass
class Services:
    settings: Settings
    engine: Engine
    redis: redis_lib.Redis | None
    preview: PreviewService
    orchestration: OrchestrationService
    conflicts: ConflictService
    connector_for: ConnectorFactory

    def engine_context(self) -> EngineContext:
        return EngineContext(
            engine=self.engine, settings=self.settings, connector_for=self.connector_for, preview=self.preview
        )

    def close(self) -> None:
        self.engine.dispose()
        if self.redis is not None:
            self.redis.close()


def gate_factory(settings: Settings, redis: Any) -> Any:
    """One token bucket and in-flight cap per connection, shared by every connector this process builds."""
    try:
        from syncbridge.ratelimit import make_gate
    except ImportError:  # pragma: no cover - the rate limiter ships with the package
        return None
    gates: dict[tuple[System, str], RequestGate] = {}

    def gate_for(system: System, connection_id: str) -> RequestGate:
        # One gate per connection in this process, so every worker thread shares its bucket and in-flight cap.
        key = (system, connection_id)
        if key not in gates:
            gates[key] = make_gate(settings, redis, system, connection_id)
        return gates[key]

    return gate_for


def build_services(
    settings: Settings, *, engine: Engine | None = None, connector_for: ConnectorFactory | None = None
) -> Services:
    from syncbridge.services.conflicts import ConflictService
    from syncbridge.services.preview import PreviewService

    engine = engine or open_store(settings)
    redis_client: Any = None
    if settings.redis_url:
        import redis

        redis_client = redis.Redis.from_url(settings.redis_url)
    factory = connector_for or make_connector_factory(engine, settings, gate_for=gate_factory(settings, redis_client))
    preview = PreviewService(engine, connector_for=factory, ttl_s=settings.preview_ttl_s, redis=redis_client)
    orchestration = OrchestrationService(engine, settings, preview=preview)
    conflicts = ConflictService(engine, connector_for=factory)
    return Services(
        settings=settings,
        engine=engine,
        redis=redis_client,
        preview=preview,
        orchestration=orchestration,
        conflicts=conflicts,
        connector_for=factory,
    )
