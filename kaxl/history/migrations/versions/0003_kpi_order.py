"""Each KPI row's position in its snapshot (``kpis.seq``), as the check listed them.

Why: the digest's KPI changes and the trend tab's charts follow the check's order (win rate
first, as on the dashboard); without it a store gave them back alphabetically by primary key.
Rows of earlier snapshots get 0 and fall back to that order.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("kpis") as batch:
        batch.add_column(sa.Column("seq", sa.Integer, nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("kpis") as batch:
        batch.drop_column("seq")
