"""Initial schema: organizations, connections, the five hub tables and the sync bookkeeping.

A frozen snapshot of ``syncbridge.store.tables`` at this revision (it must not import that module: later
edits to the tables belong in new revisions). Constraint and index names follow the metadata's naming
convention.

Revision ID: 0001
Revises:
Create Date: 2026-01-01
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

HUB_TABLES: dict[str, tuple[tuple[str, int], ...]] = {
    "hub_customer": (("email", 320),),
    "hub_product": (("sku", 200),),
    "hub_stock_level": (("sku", 200), ("location", 100)),
    "hub_order": (("number", 100),),
    "hub_payment": (("reference", 200),),
}

# Children before parents, so that dropping in this order never breaks a foreign key.
ALL_TABLES: tuple[str, ...] = (
    "sync_batch",
    "webhook_delivery",
    "sync_field_policy",
    "sync_conflict_strategy",
    "sync_selective_config",
    "sync_preview_cache",
    "sync_orchestration",
    "sync_activity_log",
    "sync_idempotency_log",
    "sync_conflict",
    "sync_cursor",
    "sync_link",
    *HUB_TABLES,
    "connection",
    "api_key",
    "organization",
)


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _id() -> sa.Column[str]:
    return sa.Column("id", sa.String(32), nullable=False)


def _ts(name: str, *, nullable: bool = False) -> sa.Column[Any]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _str(name: str, length: int, *, nullable: bool = False) -> sa.Column[str]:
    return sa.Column(name, sa.String(length), nullable=nullable)


def _org(table: str) -> tuple[sa.Column[str], sa.ForeignKeyConstraint]:
    return (
        sa.Column("org_id", sa.String(32), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organization.id"], name=f"fk_{table}_org_id_organization", ondelete="CASCADE"
        ),
    )


def _pk(table: str, *columns: str) -> sa.PrimaryKeyConstraint:
    return sa.PrimaryKeyConstraint(*(columns or ("id",)), name=f"pk_{table}")


def upgrade() -> None:
    op.create_table(
        "organization",
        _id(),
        _str("name", 200),
        _ts("created_at"),
        _pk("organization"),
        sa.UniqueConstraint("name", name="uq_organization_name"),
    )
    op.create_table(
        "api_key",
        _id(),
        *_org("api_key"),
        _str("name", 200),
        _str("prefix", 16),
        _str("key_hash", 128),
        _ts("created_at"),
        _ts("revoked_at", nullable=True),
        _pk("api_key"),
        sa.UniqueConstraint("key_hash", name="uq_api_key_key_hash"),
    )
    op.create_index("ix_api_key_org", "api_key", ["org_id"])
    op.create_table(
        "connection",
        _id(),
        *_org("connection"),
        _str("system", 20),
        _str("name", 100),
        _str("base_url", 500),
        _str("database", 200, nullable=True),
        _str("login", 200, nullable=True),
        _str("protocol", 20, nullable=True),
        sa.Column("options", _json(), nullable=False),
        sa.Column("credentials_encrypted", sa.Text(), nullable=False),
        _ts("created_at"),
        _pk("connection"),
        sa.UniqueConstraint("org_id", "system", "name", name="uq_connection_org_system_name"),
    )
    for table, keys in HUB_TABLES.items():
        op.create_table(
            table,
            _id(),
            *_org(table),
            *(_str(name, length) for name, length in keys),
            sa.Column("data", _json(), nullable=False),
            _str("fingerprint", 32),
            sa.Column("deleted", sa.Boolean(), nullable=False),
            _ts("created_at"),
            _ts("updated_at"),
            _pk(table),
            sa.UniqueConstraint("org_id", *(name for name, _ in keys), name=f"uq_{table}_natural_key"),
        )
        op.create_index(f"ix_{table}_org_updated", table, ["org_id", "updated_at"])
    op.create_table(
        "sync_link",
        _id(),
        *_org("sync_link"),
        _str("entity", 20),
        _str("hub_id", 32),
        _str("system", 20),
        _str("external_id", 100),
        _str("last_fingerprint", 32, nullable=True),
        _ts("last_synced_at", nullable=True),
        _pk("sync_link"),
        sa.UniqueConstraint("org_id", "entity", "system", "external_id", name="uq_sync_link_external"),
        sa.UniqueConstraint("org_id", "entity", "system", "hub_id", name="uq_sync_link_hub"),
    )
    op.create_table(
        "sync_cursor",
        *_org("sync_cursor"),
        _str("system", 20),
        _str("entity", 20),
        _str("value", 100, nullable=True),
        _ts("updated_at"),
        _pk("sync_cursor", "org_id", "system", "entity"),
    )
    op.create_table(
        "sync_conflict",
        _id(),
        *_org("sync_conflict"),
        _str("run_id", 32, nullable=True),
        _str("batch_id", 32, nullable=True),
        _str("entity", 20),
        _str("conflict_type", 30),
        _str("status", 20),
        _str("strategy", 20),
        _str("hub_id", 32, nullable=True),
        _str("natural_key", 320, nullable=True),
        _str("source_system", 20, nullable=True),
        _str("target_system", 20, nullable=True),
        sa.Column("external_ids", _json(), nullable=False),
        sa.Column("operation", _json(), nullable=True),
        sa.Column("source_version", _json(), nullable=True),
        sa.Column("target_version", _json(), nullable=True),
        sa.Column("diff", _json(), nullable=False),
        _str("error_code", 100, nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        _ts("next_retry_at", nullable=True),
        _str("resolution", 30, nullable=True),
        _str("resolved_by", 200, nullable=True),
        _ts("resolved_at", nullable=True),
        _ts("created_at"),
        _ts("updated_at"),
        _pk("sync_conflict"),
    )
    op.create_index("ix_sync_conflict_org_status", "sync_conflict", ["org_id", "status"])
    op.create_index("ix_sync_conflict_org_run", "sync_conflict", ["org_id", "run_id"])
    op.create_index("ix_sync_conflict_retry", "sync_conflict", ["status", "next_retry_at"])
    op.create_table(
        "sync_idempotency_log",
        _str("key", 64),
        *_org("sync_idempotency_log"),
        _str("run_id", 32, nullable=True),
        _str("system", 20),
        _str("entity", 20),
        _str("hub_id", 32, nullable=True),
        _str("operation", 10),
        _str("target_fingerprint", 32, nullable=True),
        _str("status", 20),
        _str("external_id", 100, nullable=True),
        _ts("created_at"),
        _ts("updated_at"),
        _pk("sync_idempotency_log", "key"),
    )
    op.create_index("ix_sync_idempotency_org_status", "sync_idempotency_log", ["org_id", "status"])
    op.create_table(
        "sync_activity_log",
        _id(),
        *_org("sync_activity_log"),
        _str("run_id", 32, nullable=True),
        _str("entity", 20, nullable=True),
        _str("system", 20, nullable=True),
        _str("kind", 40),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("counts", _json(), nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=True),
        _ts("created_at"),
        _pk("sync_activity_log"),
    )
    op.create_index("ix_sync_activity_org_created", "sync_activity_log", ["org_id", "created_at"])
    op.create_index("ix_sync_activity_org_run", "sync_activity_log", ["org_id", "run_id"])
    op.create_table(
        "sync_orchestration",
        _id(),
        *_org("sync_orchestration"),
        _str("status", 20),
        sa.Column("systems", _json(), nullable=False),
        sa.Column("entities", _json(), nullable=False),
        _str("direction", 30),
        sa.Column("settings", _json(), nullable=False),
        sa.Column("progress", _json(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("current_stage", sa.Integer(), nullable=False),
        _str("stage_state", 20),
        _str("lease_owner", 100, nullable=True),
        _ts("lease_expires_at", nullable=True),
        _ts("created_at"),
        _ts("started_at", nullable=True),
        _ts("finished_at", nullable=True),
        _ts("updated_at"),
        _pk("sync_orchestration"),
    )
    op.create_index("ix_sync_orchestration_org_status", "sync_orchestration", ["org_id", "status"])
    op.create_table(
        "sync_preview_cache",
        *_org("sync_preview_cache"),
        _str("system", 20),
        _str("entity", 20),
        _str("direction", 20),
        sa.Column("payload", _json(), nullable=False),
        _ts("computed_at"),
        _ts("expires_at"),
        _pk("sync_preview_cache", "org_id", "system", "entity", "direction"),
    )
    op.create_index("ix_sync_preview_cache_expires", "sync_preview_cache", ["expires_at"])
    op.create_table(
        "sync_selective_config",
        *_org("sync_selective_config"),
        _str("entity", 20),
        sa.Column("include_new", sa.Boolean(), nullable=False),
        sa.Column("include_updated", sa.Boolean(), nullable=False),
        sa.Column("include_deleted", sa.Boolean(), nullable=False),
        _ts("updated_at"),
        _pk("sync_selective_config", "org_id", "entity"),
    )
    op.create_table(
        "sync_conflict_strategy",
        *_org("sync_conflict_strategy"),
        _str("entity", 20),
        _str("conflict_type", 30),
        _str("strategy", 20),
        _pk("sync_conflict_strategy", "org_id", "entity", "conflict_type"),
    )
    op.create_table(
        "sync_field_policy",
        *_org("sync_field_policy"),
        _str("entity", 20),
        _str("field", 50),
        _str("source", 20),
        _pk("sync_field_policy", "org_id", "entity", "field"),
    )
    op.create_table(
        "webhook_delivery",
        *_org("webhook_delivery"),
        _str("connection_id", 32),
        _str("delivery_id", 100),
        _ts("received_at"),
        _pk("webhook_delivery", "org_id", "connection_id", "delivery_id"),
    )
    op.create_table(
        "sync_batch",
        _id(),
        *_org("sync_batch"),
        _str("run_id", 32),
        sa.Column("stage", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        _str("entity", 20),
        _str("source_system", 20),
        _str("target_system", 20),
        _str("status", 20),
        sa.Column("operations", _json(), nullable=False),
        sa.Column("item_count", sa.Integer(), nullable=False),
        sa.Column("result", _json(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        _str("lease_owner", 100, nullable=True),
        _ts("lease_expires_at", nullable=True),
        _ts("created_at"),
        _ts("updated_at"),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["sync_orchestration.id"],
            name="fk_sync_batch_run_id_sync_orchestration",
            ondelete="CASCADE",
        ),
        _pk("sync_batch"),
        sa.UniqueConstraint("run_id", "seq", name="uq_sync_batch_run_seq"),
    )
    op.create_index("ix_sync_batch_status_lease", "sync_batch", ["status", "lease_expires_at"])
    op.create_index("ix_sync_batch_run_status", "sync_batch", ["run_id", "status"])


def downgrade() -> None:
    # Dropping a table drops its indexes and constraints with it, on SQLite and PostgreSQL alike.
    for table in ALL_TABLES:
        op.drop_table(table)
