"""Each snapshot's finding counts per severity on the snapshot row, and an index by identity.

Why: a BI dashboard's "open findings per week" is then one scan of ``snapshots``, and a
finding's history (first seen, weeks open) is an index lookup. Existing snapshots are counted
from their stored findings, so a store of the first schema keeps everything and gains the counts.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

SEVERITIES = ("error", "warning", "info")


def upgrade() -> None:
    with op.batch_alter_table("snapshots") as batch:
        for severity in SEVERITIES:
            batch.add_column(sa.Column(f"{severity}_count", sa.Integer, nullable=False, server_default="0"))
    for severity in SEVERITIES:
        op.execute(
            f"UPDATE snapshots SET {severity}_count = (SELECT COUNT(*) FROM findings "  # noqa: S608 - constants
            f"WHERE findings.snapshot_id = snapshots.id AND findings.severity = '{severity}')")
    op.create_index("ix_findings_identity", "findings", ["identity"])


def downgrade() -> None:
    op.drop_index("ix_findings_identity", table_name="findings")
    with op.batch_alter_table("snapshots") as batch:
        for severity in SEVERITIES:
            batch.drop_column(f"{severity}_count")
