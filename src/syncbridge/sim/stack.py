"""Both simulators served on free loopback ports, and an organization connected to them.

The demo, the tests, the benchmarks and the browser tests all start the embedded default this way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import Engine

from syncbridge.config import Settings
from syncbridge.sim.faults import FaultConfig
from syncbridge.sim.seed import SeedData
from syncbridge.sim.server import SimServer
from syncbridge.store import connections as connection_repo
from syncbridge.store import orgs
from syncbridge.store.crypto import cipher_from_settings
from syncbridge.store.session import transaction

if TYPE_CHECKING:
    from syncbridge.sim.odoo import OdooSim
    from syncbridge.sim.woocommerce import WooCommerceSim


@dataclass
class SimStack:
    woo: WooCommerceSim
    odoo: OdooSim
    woo_server: SimServer
    odoo_server: SimServer
    reports: dict[str, Any] = field(default_factory=dict)

    @property
    def woo_url(self) -> str:
        return self.woo_server.url

    @property
    def odoo_url(self) -> str:
        return self.odoo_server.url

    def stop(self) -> None:
        self.woo_server.stop()
        self.odoo_server.stop()

    def __enter__(self) -> SimStack:
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()


def start_sims(
    *,
    woo_data: SeedData | None = None,
    odoo_data: SeedData | None = None,
    seed: int = 1,
    woo_faults: FaultConfig | None = None,
    odoo_faults: FaultConfig | None = None,
    odoo_version: int = 18,
) -> SimStack:
    from syncbridge.sim.odoo import OdooSim
    from syncbridge.sim.woocommerce import WooCommerceSim

    woo = WooCommerceSim(seed=seed, faults=woo_faults)
    odoo = OdooSim(seed=seed, faults=odoo_faults, version=odoo_version)
    reports: dict[str, Any] = {}
    if woo_data is not None:
        reports["woocommerce"] = woo.load(woo_data)
    if odoo_data is not None:
        reports["odoo"] = odoo.load(odoo_data)
    woo_server = SimServer(woo.app).start()
    odoo_server = SimServer(odoo.app).start()
    woo.site_url = woo_server.url
    return SimStack(woo=woo, odoo=odoo, woo_server=woo_server, odoo_server=odoo_server, reports=reports)


def connect_org(
    engine: Engine, settings: Settings, stack: SimStack, *, name: str = "demo", protocol: str = "jsonrpc"
) -> str:
    """Create an organization with one WooCommerce and one Odoo connection to the stack; its id."""
    cipher = cipher_from_settings(settings)
    with transaction(engine) as conn:
        org = orgs.create_org(conn, name)
        connection_repo.add_connection(
            conn,
            org.id,
            system="woocommerce",
            name="default",
            base_url=stack.woo_url,
            secrets={
                "consumer_key": stack.woo.consumer_key,
                "consumer_secret": stack.woo.consumer_secret,
                "webhook_secret": "demo-webhook-secret",
            },
            cipher=cipher,
        )
        connection_repo.add_connection(
            conn,
            org.id,
            system="odoo",
            name="default",
            base_url=stack.odoo_url,
            secrets={"api_key": stack.odoo.api_key},
            database=stack.odoo.database,
            login=stack.odoo.login,
            protocol=protocol,
            options={"version": stack.odoo.version},
            cipher=cipher,
        )
    return org.id
