"""A hub database, simulators on loopback, an organization connected to them, and workers: a whole engine."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from syncbridge.config import Settings, load_settings
from syncbridge.connectors.base import Connector
from syncbridge.connectors.factory import make_connector_factory
from syncbridge.domain.fingerprint import fingerprint_of
from syncbridge.domain.records import EntityType, Record, System
from syncbridge.engine.worker import EngineContext, run_worker
from syncbridge.services.orchestration import OrchestrationService, RunSettings
from syncbridge.store import connections as connection_repo
from syncbridge.store import hub_records, orgs
from syncbridge.store.bootstrap import open_store
from syncbridge.store.crypto import cipher_from_settings
from syncbridge.store.session import transaction

ALL_ENTITIES = ["customers", "products", "inventory", "orders", "payments"]


def make_settings(db_url: str, tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": db_url,
        "secret_key_file": tmp_path / "secret.key",
        "retry_base_s": 0.01,
        "retry_cap_s": 0.05,
        "lease_seconds": 3.0,
        "woocommerce_rps": 1000.0,
        "woocommerce_burst": 1000,
        "odoo_rps": 1000.0,
        "odoo_burst": 1000,
        "http_timeout_s": 5.0,
    }
    values.update(overrides)
    return load_settings(**values)


@dataclass
class Engine_:
    settings: Settings
    engine: Engine
    gate_for: Callable[[System, str], Any] | None = None
    stop: threading.Event = field(default_factory=threading.Event)
    threads: list[threading.Thread] = field(default_factory=list)

    def __post_init__(self) -> None:
        from syncbridge.services.container import gate_factory

        gates = self.gate_for or gate_factory(self.settings, None)  # paced as in production
        self.connector_for = make_connector_factory(self.engine, self.settings, gate_for=gates)
        self.orchestration = OrchestrationService(self.engine, self.settings)

    def context(self) -> EngineContext:
        return EngineContext(engine=self.engine, settings=self.settings, connector_for=self.connector_for)

    def start_workers(self, count: int = 2) -> None:
        for _ in range(count):
            t = threading.Thread(target=run_worker, args=(self.context(),), kwargs={"stop": self.stop}, daemon=True)
            t.start()
            self.threads.append(t)

    def stop_workers(self) -> None:
        self.stop.set()
        for t in self.threads:
            t.join(timeout=60)
        self.threads.clear()
        self.stop = threading.Event()

    def org(self, name: str) -> str:
        with transaction(self.engine) as conn:
            return orgs.create_org(conn, name).id

    def connect_woocommerce(self, org_id: str, url: str, key: str, secret: str, *, name: str = "default") -> str:
        with transaction(self.engine) as conn:
            return connection_repo.add_connection(
                conn, org_id, system="woocommerce", name=name, base_url=url,
                secrets={"consumer_key": key, "consumer_secret": secret, "webhook_secret": "s3cret"},
                cipher=cipher_from_settings(self.settings),
            ).id

    def connect_odoo(self, org_id: str, url: str, *, database: str, login: str, api_key: str,
                     protocol: str = "jsonrpc", version: int = 18, name: str = "default") -> str:
        with transaction(self.engine) as conn:
            return connection_repo.add_connection(
                conn, org_id, system="odoo", name=name, base_url=url, secrets={"api_key": api_key},
                database=database, login=login, protocol=protocol, options={"version": version},
                cipher=cipher_from_settings(self.settings),
            ).id

    def drop_connection(self, org_id: str, system: str) -> None:
        with transaction(self.engine) as conn:
            for c in connection_repo.list_connections(conn, org_id, system=system):
                connection_repo.delete_connection(conn, org_id, c.id)

    def run(self, org_id: str, *, systems: list[str], entities: list[str] | None = None,
            direction: str = "two-way", timeout_s: float = 120, **settings: Any) -> dict[str, Any]:
        view = self.orchestration.start(org_id, systems=systems, entities=entities or ALL_ENTITIES,
                                        direction=direction, settings=RunSettings(**settings))
        return self.orchestration.wait(org_id, view["runId"], timeout_s=timeout_s)

    def hub_fingerprints(self, org_id: str, entity: str) -> dict[str, str]:
        with transaction(self.engine) as conn:
            return {r.natural_key: fingerprint_of(r) for r in hub_records.iter_records(conn, org_id, entity)}

    def hub_count(self, org_id: str, entity: str) -> int:
        with transaction(self.engine) as conn:
            return hub_records.count_records(conn, org_id, entity)


def system_fingerprints(connector: Connector, entity: str) -> dict[str, str]:
    """natural key -> fingerprint of every live record the system lists (archived ones left out)."""
    from syncbridge.engine.planner import is_deleted

    out: dict[str, str] = {}
    try:
        for page in connector.iter_changes(EntityType(entity)):
            for record in page.records:
                if not is_deleted(record):
                    out[record.natural_key] = fingerprint_of(record)
    finally:
        connector.close()
    return out


def natural_keys(records: list[Record]) -> list[str]:
    return [r.natural_key for r in records]


@contextmanager
def engine_for(db_url: str, tmp_path: Path, **overrides: Any) -> Iterator[Engine_]:
    settings = make_settings(db_url, tmp_path, **overrides)
    engine = open_store(settings)
    env = Engine_(settings=settings, engine=engine)
    try:
        yield env
    finally:
        env.stop_workers()
        engine.dispose()
