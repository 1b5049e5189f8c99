"""Each snapshot's open findings per severity counted by identity, on the snapshot row.

Why: the summary's trend tab counts each problem once (a finding reported twice under one
identity — the same project id in two ledgers of a set — is one open problem), with its first
finding's severity. Counted when a snapshot is written, the tab reads 12 numbers per week
instead of 12 weeks of findings (300k rows for a 20k-project ledger). ``error_count`` and the
others stay as they were (every finding). Existing snapshots are counted from their stored
findings, so a store keeps everything and gains the counts.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

SEVERITIES = ("error", "warning", "info")


def upgrade() -> None:
    with op.batch_alter_table("snapshots") as batch:
        for severity in SEVERITIES:
            batch.add_column(sa.Column(f"{severity}_identities", sa.Integer, nullable=False, server_default="0"))
    conn = op.get_bind()
    for (snapshot_id,) in conn.execute(sa.text("SELECT id FROM snapshots ORDER BY id")).all():
        first: dict[str, str] = {}
        rows = conn.execute(sa.text("SELECT identity, severity FROM findings WHERE snapshot_id = :s ORDER BY seq"),
                            {"s": snapshot_id})
        for identity, severity in rows:
            first.setdefault(identity, severity)
        counts = {severity: 0 for severity in SEVERITIES}
        for severity in first.values():
            if severity in counts:
                counts[severity] += 1
        conn.execute(sa.text("UPDATE snapshots SET error_identities = :error, warning_identities = :warning, "
                             "info_identities = :info WHERE id = :s"), {**counts, "s": snapshot_id})


def downgrade() -> None:
    with op.batch_alter_table("snapshots") as batch:
        for severity in SEVERITIES:
            batch.drop_column(f"{severity}_identities")
