"""``sync_plan_claim``: the hub records a planning attempt matched by natural key (the planner's delta keeps
them in the database, so planning memory does not grow with the number of matches).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sync_plan_claim",
        sa.Column("token", sa.String(100), nullable=False),
        sa.Column("hub_id", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("token", "hub_id", name="pk_sync_plan_claim"),
    )


def downgrade() -> None:
    op.drop_table("sync_plan_claim")
