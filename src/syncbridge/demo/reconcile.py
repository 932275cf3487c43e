"""Reconciliation: per entity, what WooCommerce, the hub and Odoo hold, and whether they agree record by record.

A difference is *explained* when an open conflict names that record: the product chose not to guess.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from syncbridge.connectors.factory import ConnectorFactory
from syncbridge.domain.conflicts import OPEN_STATUSES
from syncbridge.domain.fingerprint import fingerprint_of
from syncbridge.domain.records import ENTITY_ORDER, EntityType, System
from syncbridge.engine.planner import is_deleted
from syncbridge.store import hub_records
from syncbridge.store.session import transaction
from syncbridge.store.tables import sync_conflict


@dataclass(frozen=True)
class EntityReconciliation:
    entity: EntityType
    woocommerce: int
    hub: int
    odoo: int
    differing: int  # natural keys whose fingerprints are not the same in all three
    explained: int  # of those, the ones an open conflict names

    @property
    def agree(self) -> bool:
        return self.differing == self.explained


def _listing(connector_for: ConnectorFactory, org_id: str, system: System, entity: EntityType) -> dict[str, str]:
    connector = connector_for(org_id, system)
    try:
        return {
            r.natural_key: fingerprint_of(r)
            for page in connector.iter_changes(entity)
            for r in page.records
            if not is_deleted(r)
        }
    finally:
        connector.close()


def _open_conflict_keys(engine: Engine, org_id: str, entity: EntityType) -> set[str]:
    with transaction(engine) as conn:
        rows = conn.execute(
            sa.select(sync_conflict.c.natural_key, sync_conflict.c.source_version).where(
                sync_conflict.c.org_id == org_id,
                sync_conflict.c.entity == entity.value,
                sync_conflict.c.status.in_([s.value for s in OPEN_STATUSES]),
            )
        ).all()
    keys = {str(k) for k, _ in rows if k}
    # A record refused as a duplicate or as invalid may be known by its own key only in its version.
    for _, version in rows:
        if isinstance(version, dict):
            for field in ("email", "sku", "number", "reference"):
                if version.get(field):
                    keys.add(str(version[field]).strip().lower() if field == "email" else str(version[field]))
    return keys


def reconcile(engine: Engine, connector_for: ConnectorFactory, org_id: str) -> list[EntityReconciliation]:
    out: list[EntityReconciliation] = []
    for entity in ENTITY_ORDER:
        shop = _listing(connector_for, org_id, System.WOOCOMMERCE, entity)
        erp = _listing(connector_for, org_id, System.ODOO, entity)
        with transaction(engine) as conn:
            hub = {r.natural_key: fingerprint_of(r) for r in hub_records.iter_records(conn, org_id, entity)}
        keys = set(shop) | set(erp) | set(hub)
        differing = {k for k in keys if not (shop.get(k) == hub.get(k) == erp.get(k) and k in hub)}
        explained = differing & _open_conflict_keys(engine, org_id, entity)
        out.append(EntityReconciliation(entity, len(shop), len(hub), len(erp), len(differing), len(explained)))
    return out
