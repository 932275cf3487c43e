"""SQLAlchemy tables: the hub and the sync bookkeeping. This metadata is the Alembic target.

Every row that belongs to an organization carries ``org_id``; repositories always filter by it.
Ids are UUID strings so that any process on any machine can mint them.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

Json = sa.JSON().with_variant(JSONB(), "postgresql")


def new_id() -> str:
    return uuid.uuid4().hex


def now_utc() -> datetime:
    return datetime.now(UTC)


def _id() -> sa.Column[str]:
    return sa.Column("id", sa.String(32), primary_key=True, default=new_id)


def _org() -> sa.Column[str]:
    return sa.Column("org_id", sa.String(32), sa.ForeignKey("organization.id", ondelete="CASCADE"), nullable=False)


def _ts(name: str, *, nullable: bool = False) -> sa.Column[datetime]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable, default=None if nullable else now_utc)


organization = sa.Table(
    "organization",
    metadata,
    _id(),
    sa.Column("name", sa.String(200), nullable=False, unique=True),
    _ts("created_at"),
)

api_key = sa.Table(
    "api_key",
    metadata,
    _id(),
    _org(),
    sa.Column("name", sa.String(200), nullable=False, default=""),
    sa.Column("prefix", sa.String(16), nullable=False),  # shown to humans to tell keys apart
    sa.Column("key_hash", sa.String(128), nullable=False, unique=True),  # sha256 hex of the whole key
    _ts("created_at"),
    _ts("revoked_at", nullable=True),
    sa.Index("ix_api_key_org", "org_id"),
)

connection = sa.Table(
    "connection",
    metadata,
    _id(),
    _org(),
    sa.Column("system", sa.String(20), nullable=False),  # woocommerce | odoo
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("base_url", sa.String(500), nullable=False),
    sa.Column("database", sa.String(200), nullable=True),  # Odoo database
    sa.Column("login", sa.String(200), nullable=True),  # Odoo login
    sa.Column("protocol", sa.String(20), nullable=True),  # Odoo: jsonrpc | xmlrpc | json2
    sa.Column("options", Json, nullable=False, default=dict),  # auth mode, ca bundle path, insecure, version
    # Fernet token of a JSON object of secrets (consumer key/secret, API key, webhook secret). Never returned.
    sa.Column("credentials_encrypted", sa.Text, nullable=False),
    _ts("created_at"),
    sa.UniqueConstraint("org_id", "system", "name", name="uq_connection_org_system_name"),
)


def _hub_table(name: str, *key_columns: sa.Column[str]) -> sa.Table:
    return sa.Table(
        name,
        metadata,
        _id(),
        _org(),
        *key_columns,
        sa.Column("data", Json, nullable=False),  # the canonical record (syncbridge.domain.codec)
        sa.Column("fingerprint", sa.String(32), nullable=False),
        sa.Column("deleted", sa.Boolean, nullable=False, default=False),
        _ts("created_at"),
        _ts("updated_at"),
        sa.UniqueConstraint("org_id", *(c.name for c in key_columns), name=f"uq_{name}_natural_key"),
        sa.Index(f"ix_{name}_org_updated", "org_id", "updated_at"),
        # "org_id = ? AND id IN (...)": without it SQLite (no statistics) walks the org's rows by org_id.
        sa.Index(f"ix_{name}_org_id", "org_id", "id", unique=True),
    )


hub_customer = _hub_table("hub_customer", sa.Column("email", sa.String(320), nullable=False))
hub_product = _hub_table("hub_product", sa.Column("sku", sa.String(200), nullable=False))
hub_stock_level = _hub_table(
    "hub_stock_level",
    sa.Column("sku", sa.String(200), nullable=False),
    sa.Column("location", sa.String(100), nullable=False),
)
hub_order = _hub_table("hub_order", sa.Column("number", sa.String(100), nullable=False))
hub_payment = _hub_table("hub_payment", sa.Column("reference", sa.String(200), nullable=False))

HUB_TABLES: dict[str, sa.Table] = {
    "customers": hub_customer,
    "products": hub_product,
    "inventory": hub_stock_level,
    "orders": hub_order,
    "payments": hub_payment,
}

sync_link = sa.Table(
    "sync_link",
    metadata,
    _id(),
    _org(),
    sa.Column("entity", sa.String(20), nullable=False),
    sa.Column("hub_id", sa.String(32), nullable=False),
    sa.Column("system", sa.String(20), nullable=False),
    sa.Column("external_id", sa.String(100), nullable=False),
    sa.Column("last_fingerprint", sa.String(32), nullable=True),
    _ts("last_synced_at", nullable=True),
    sa.UniqueConstraint("org_id", "entity", "system", "external_id", name="uq_sync_link_external"),
    sa.UniqueConstraint("org_id", "entity", "system", "hub_id", name="uq_sync_link_hub"),
)

# Which hub records one planning attempt has matched by natural key so far (``token``: the attempt), so that a
# second unlinked record with the same key is not matched to it too. Kept in the database, not in the planner,
# so that planning memory does not grow with the number of matches (a first sync of two full catalogs).
sync_plan_claim = sa.Table(
    "sync_plan_claim",
    metadata,
    sa.Column("token", sa.String(100), primary_key=True),
    sa.Column("hub_id", sa.String(32), primary_key=True),
)

sync_cursor = sa.Table(
    "sync_cursor",
    metadata,
    _org(),
    sa.Column("system", sa.String(20), nullable=False),
    sa.Column("entity", sa.String(20), nullable=False),
    sa.Column("value", sa.String(100), nullable=True),
    _ts("updated_at"),
    sa.PrimaryKeyConstraint("org_id", "system", "entity", name="pk_sync_cursor"),
)

sync_orchestration = sa.Table(
    "sync_orchestration",
    metadata,
    _id(),
    _org(),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("systems", Json, nullable=False),
    sa.Column("entities", Json, nullable=False),
    sa.Column("direction", sa.String(30), nullable=False),
    sa.Column("settings", Json, nullable=False),
    sa.Column("progress", Json, nullable=False, default=dict),
    sa.Column("error", sa.Text, nullable=True),
    sa.Column("current_stage", sa.Integer, nullable=False, default=0),
    sa.Column("stage_state", sa.String(20), nullable=False, default="unplanned"),  # unplanned | planning | planned
    sa.Column("lease_owner", sa.String(100), nullable=True),  # the worker planning the current stage
    _ts("lease_expires_at", nullable=True),
    _ts("created_at"),
    _ts("started_at", nullable=True),
    _ts("finished_at", nullable=True),
    _ts("updated_at"),
    sa.Index("ix_sync_orchestration_org_status", "org_id", "status"),
)

sync_batch = sa.Table(
    "sync_batch",
    metadata,
    _id(),
    _org(),
    sa.Column("run_id", sa.String(32), sa.ForeignKey("sync_orchestration.id", ondelete="CASCADE"), nullable=False),
    sa.Column("stage", sa.Integer, nullable=False),  # a run's stages go in order; batches of a stage in parallel
    sa.Column("seq", sa.Integer, nullable=False),  # order within the run
    sa.Column("entity", sa.String(20), nullable=False),
    sa.Column("source_system", sa.String(20), nullable=False),
    sa.Column("target_system", sa.String(20), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("operations", Json, nullable=False),
    sa.Column("item_count", sa.Integer, nullable=False),
    sa.Column("result", Json, nullable=True),
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("lease_owner", sa.String(100), nullable=True),
    _ts("lease_expires_at", nullable=True),
    _ts("created_at"),
    _ts("updated_at"),
    sa.UniqueConstraint("run_id", "seq", name="uq_sync_batch_run_seq"),
    sa.Index("ix_sync_batch_status_lease", "status", "lease_expires_at"),
    sa.Index("ix_sync_batch_run_status", "run_id", "status"),
)

sync_conflict = sa.Table(
    "sync_conflict",
    metadata,
    _id(),
    _org(),
    sa.Column("run_id", sa.String(32), nullable=True),
    sa.Column("batch_id", sa.String(32), nullable=True),
    sa.Column("entity", sa.String(20), nullable=False),
    sa.Column("conflict_type", sa.String(30), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),  # open | retrying | resolved | skipped
    sa.Column("strategy", sa.String(20), nullable=False),
    sa.Column("hub_id", sa.String(32), nullable=True),
    sa.Column("natural_key", sa.String(320), nullable=True),
    sa.Column("source_system", sa.String(20), nullable=True),
    sa.Column("target_system", sa.String(20), nullable=True),
    sa.Column("external_ids", Json, nullable=False, default=dict),
    sa.Column("operation", Json, nullable=True),  # the planned operation, to retry it through the engine
    sa.Column("source_version", Json, nullable=True),
    sa.Column("target_version", Json, nullable=True),
    sa.Column("diff", Json, nullable=False, default=dict),
    sa.Column("error_code", sa.String(100), nullable=True),
    sa.Column("error_message", sa.Text, nullable=True),
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    _ts("next_retry_at", nullable=True),
    sa.Column("resolution", sa.String(30), nullable=True),
    sa.Column("resolved_by", sa.String(200), nullable=True),
    _ts("resolved_at", nullable=True),
    _ts("created_at"),
    _ts("updated_at"),
    sa.Index("ix_sync_conflict_org_status", "org_id", "status"),
    sa.Index("ix_sync_conflict_org_run", "org_id", "run_id"),
    sa.Index("ix_sync_conflict_retry", "status", "next_retry_at"),
)

sync_idempotency_log = sa.Table(
    "sync_idempotency_log",
    metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    _org(),
    sa.Column("run_id", sa.String(32), nullable=True),
    sa.Column("system", sa.String(20), nullable=False),
    sa.Column("entity", sa.String(20), nullable=False),
    sa.Column("hub_id", sa.String(32), nullable=True),
    sa.Column("operation", sa.String(10), nullable=False),
    sa.Column("target_fingerprint", sa.String(32), nullable=True),
    sa.Column("status", sa.String(20), nullable=False),  # claimed | applied | failed
    sa.Column("external_id", sa.String(100), nullable=True),
    _ts("created_at"),
    _ts("updated_at"),
    sa.Index("ix_sync_idempotency_org_status", "org_id", "status"),
    sa.Index("ix_sync_idempotency_org_key", "org_id", "key", unique=True),  # org-scoped lookups by key
)

sync_activity_log = sa.Table(
    "sync_activity_log",
    metadata,
    _id(),
    _org(),
    sa.Column("run_id", sa.String(32), nullable=True),
    sa.Column("entity", sa.String(20), nullable=True),
    sa.Column("system", sa.String(20), nullable=True),
    sa.Column("kind", sa.String(40), nullable=False),  # preview | state | batch | retry | error | webhook | ...
    sa.Column("message", sa.Text, nullable=False, default=""),
    sa.Column("counts", Json, nullable=False, default=dict),
    sa.Column("duration_ms", sa.Integer, nullable=True),
    _ts("created_at"),
    sa.Index("ix_sync_activity_org_created", "org_id", "created_at"),
    sa.Index("ix_sync_activity_org_run", "org_id", "run_id"),
)

sync_preview_cache = sa.Table(
    "sync_preview_cache",
    metadata,
    _org(),
    sa.Column("system", sa.String(20), nullable=False),
    sa.Column("entity", sa.String(20), nullable=False),
    sa.Column("direction", sa.String(20), nullable=False),  # inbound (system -> hub) | outbound (hub -> system)
    sa.Column("payload", Json, nullable=False),
    _ts("computed_at"),
    _ts("expires_at"),
    sa.PrimaryKeyConstraint("org_id", "system", "entity", "direction", name="pk_sync_preview_cache"),
    sa.Index("ix_sync_preview_cache_expires", "expires_at"),
)

sync_selective_config = sa.Table(
    "sync_selective_config",
    metadata,
    _org(),
    sa.Column("entity", sa.String(20), nullable=False),
    sa.Column("include_new", sa.Boolean, nullable=False, default=True),
    sa.Column("include_updated", sa.Boolean, nullable=False, default=True),
    sa.Column("include_deleted", sa.Boolean, nullable=False, default=False),
    _ts("updated_at"),
    sa.PrimaryKeyConstraint("org_id", "entity", name="pk_sync_selective_config"),
)

sync_conflict_strategy = sa.Table(
    "sync_conflict_strategy",
    metadata,
    _org(),
    sa.Column("entity", sa.String(20), nullable=False),  # or "*"
    sa.Column("conflict_type", sa.String(30), nullable=False),
    sa.Column("strategy", sa.String(20), nullable=False),  # auto_retry | manual | skip
    sa.PrimaryKeyConstraint("org_id", "entity", "conflict_type", name="pk_sync_conflict_strategy"),
)

sync_field_policy = sa.Table(
    "sync_field_policy",
    metadata,
    _org(),
    sa.Column("entity", sa.String(20), nullable=False),
    sa.Column("field", sa.String(50), nullable=False),
    sa.Column("source", sa.String(20), nullable=False),  # woocommerce | odoo | hub | newest
    sa.PrimaryKeyConstraint("org_id", "entity", "field", name="pk_sync_field_policy"),
)

webhook_delivery = sa.Table(
    "webhook_delivery",
    metadata,
    _org(),
    sa.Column("connection_id", sa.String(32), nullable=False),
    sa.Column("delivery_id", sa.String(100), nullable=False),
    _ts("received_at"),
    sa.PrimaryKeyConstraint("org_id", "connection_id", "delivery_id", name="pk_webhook_delivery"),
)
