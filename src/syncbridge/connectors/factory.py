"""Building connectors from an organization's stored connections.

An organization has at most one connection a system that runs use: the first one created (by name order when
several exist, ``default`` first). Secrets are decrypted here, for the connector only.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from syncbridge.config import Settings
from syncbridge.connectors.base import Connector, NullGate, RequestGate
from syncbridge.connectors.hub import HubConnector
from syncbridge.domain.records import System
from syncbridge.errors import ConfigError
from syncbridge.store import connections as connection_repo
from syncbridge.store.crypto import CredentialCipher, cipher_from_settings
from syncbridge.store.session import transaction
from syncbridge.store.tables import connection as connection_table

log = logging.getLogger("syncbridge.connectors")

ConnectorFactory = Callable[[str, System], Connector]
GateFactory = Callable[[System, str], RequestGate]


def connection_for(conn: sa.Connection, org_id: str, system: System) -> connection_repo.ConnectionPublic:
    rows = conn.execute(
        sa.select(connection_table.c.id, connection_table.c.name)
        .where(connection_table.c.org_id == org_id, connection_table.c.system == system.value)
        .order_by(connection_table.c.name != "default", connection_table.c.created_at, connection_table.c.name)
    ).all()
    if not rows:
        raise ConfigError(
            f"the organization has no {system.value} connection: add one with "
            f"`syncbridge connection add --system {system.value} ...`",
            code="no_connection",
        )
    found = connection_repo.get_connection(conn, org_id, rows[0].id)
    assert found is not None
    return found


def build_connector(
    public: connection_repo.ConnectionPublic,
    secrets: dict[str, str],
    *,
    settings: Settings,
    gate: RequestGate | None = None,
) -> Connector:
    options = dict(public.options)
    verify: bool | str = True
    if options.get("insecure"):
        log.warning("TLS verification is off for connection %s (%s)", public.name, public.system)
        verify = False
    elif options.get("ca_bundle"):
        verify = str(options["ca_bundle"])
    if public.system == System.WOOCOMMERCE.value:
        from syncbridge.connectors.woocommerce.connector import WooCommerceConnector

        return WooCommerceConnector(
            public.base_url,
            secrets["consumer_key"],
            secrets["consumer_secret"],
            auth=str(options.get("auth", "auto")),
            timeout=settings.http_timeout_s,
            verify=verify,
            gate=gate or NullGate(),
        )
    if public.system == System.ODOO.value:
        from syncbridge.connectors.odoo.connector import OdooConnector

        version = options.get("version")
        return OdooConnector(
            public.base_url,
            public.database or "",
            public.login or "",
            secrets["api_key"],
            protocol=public.protocol or "jsonrpc",
            version=int(version) if version else None,
            timeout=settings.http_timeout_s,
            verify=verify,
            gate=gate or NullGate(),
        )
    raise ConfigError(f"no connector for system {public.system!r}")


def make_connector_factory(
    engine: Engine,
    settings: Settings,
    *,
    gate_for: GateFactory | None = None,
    cipher: CredentialCipher | None = None,
) -> ConnectorFactory:
    key = cipher or cipher_from_settings(settings)

    def connector_for(org_id: str, system: System) -> Connector:
        if system is System.HUB:
            return HubConnector(engine, org_id)
        with transaction(engine) as conn:
            public = connection_for(conn, org_id, system)
            secrets = connection_repo.open_credentials(conn, org_id, public.id, cipher=key)
        gate = gate_for(system, public.id) if gate_for is not None else None
        return build_connector(public, secrets, settings=settings, gate=gate)

    return connector_for
