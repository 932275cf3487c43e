"""Org-scoped id indexes: ``(org_id, id)`` on the hub tables and ``(org_id, key)`` on the idempotency log.

Lookups by many ids read ``WHERE org_id = ? AND id IN (...)``. Without statistics SQLite chose the
``(org_id, ...)`` index for that and walked every row of the organization per query, which made planning and
execution quadratic in the catalog's size (100k products: 81 us per hub row read instead of 20 us). With these
indexes both SQLite and PostgreSQL seek each id within the organization.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

HUB_TABLES: tuple[str, ...] = ("hub_customer", "hub_product", "hub_stock_level", "hub_order", "hub_payment")


def upgrade() -> None:
    for table in HUB_TABLES:
        op.create_index(f"ix_{table}_org_id", table, ["org_id", "id"], unique=True)
    op.create_index("ix_sync_idempotency_org_key", "sync_idempotency_log", ["org_id", "key"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_sync_idempotency_org_key", table_name="sync_idempotency_log")
    for table in HUB_TABLES:
        op.drop_index(f"ix_{table}_org_id", table_name=table)
