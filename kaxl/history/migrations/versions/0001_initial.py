"""The first schema: ledger sets, their snapshots, and each snapshot's findings, projects, KPIs.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ledger_sets",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(1000), nullable=False, unique=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "snapshots",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("ledger_set_id", sa.Integer, sa.ForeignKey("ledger_sets.id", ondelete="CASCADE"), nullable=False),
        sa.Column("as_of", sa.Date, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("files", sa.Text, nullable=False),
        sa.Column("kaxl_version", sa.String(50), nullable=False),
        sa.UniqueConstraint("ledger_set_id", "as_of", name="uq_snapshots_set_as_of"),
    )
    op.create_table(
        "findings",
        sa.Column("snapshot_id", sa.Integer, sa.ForeignKey("snapshots.id", ondelete="CASCADE"), nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("identity", sa.Text, nullable=False),
        sa.Column("rule", sa.String(20), nullable=False),
        sa.Column("severity", sa.String(10), nullable=False),
        sa.Column("project_id", sa.Text),
        sa.Column("owner_role", sa.String(10)),
        sa.Column("owner", sa.Text),
        sa.Column("account_manager", sa.Text),
        sa.Column("cell", sa.Text),
        sa.Column("message_zh", sa.Text),
        sa.Column("message_en", sa.Text),
        sa.PrimaryKeyConstraint("snapshot_id", "seq", name="pk_findings"),
    )
    op.create_table(
        "projects",
        sa.Column("snapshot_id", sa.Integer, sa.ForeignKey("snapshots.id", ondelete="CASCADE"), nullable=False),
        sa.Column("project_id", sa.Text, nullable=False),
        sa.Column("customer", sa.Text),
        sa.Column("stage", sa.String(20)),
        sa.Column("status", sa.String(20)),
        sa.Column("grade", sa.String(5)),
        sa.Column("tier", sa.String(20)),
        sa.Column("estimated_amount", sa.Float),
        sa.Column("expected_close", sa.Date),
        sa.Column("account_manager", sa.Text),
        sa.Column("qualification_score", sa.Float),
        sa.Column("process_pct", sa.Float),
        sa.PrimaryKeyConstraint("snapshot_id", "project_id", name="pk_projects"),
    )
    op.create_table(
        "kpis",
        sa.Column("snapshot_id", sa.Integer, sa.ForeignKey("snapshots.id", ondelete="CASCADE"), nullable=False),
        sa.Column("scope", sa.Text, nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("value", sa.Float),
        sa.Column("target", sa.Float),
        sa.Column("status", sa.String(10)),
        sa.PrimaryKeyConstraint("snapshot_id", "scope", "name", name="pk_kpis"),
    )


def downgrade() -> None:
    for table in ("kpis", "projects", "findings", "snapshots", "ledger_sets"):
        op.drop_table(table)
