"""The history store's tables at the newest schema version (the migrations build them; see
docs/history.md for every table and column). Queries use these; migrations never import them."""

from __future__ import annotations

import sqlalchemy as sa

HEAD = "0005"  # the newest revision in kaxl/history/migrations/versions

metadata = sa.MetaData()

ledger_sets = sa.Table(
    "ledger_sets", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("key", sa.String(1000), nullable=False, unique=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

snapshots = sa.Table(
    "snapshots", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("ledger_set_id", sa.Integer, sa.ForeignKey("ledger_sets.id", ondelete="CASCADE"), nullable=False),
    sa.Column("as_of", sa.Date, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("files", sa.Text, nullable=False),
    sa.Column("kaxl_version", sa.String(50), nullable=False),
    sa.Column("error_count", sa.Integer, nullable=False, server_default="0"),
    sa.Column("warning_count", sa.Integer, nullable=False, server_default="0"),
    sa.Column("info_count", sa.Integer, nullable=False, server_default="0"),
    sa.Column("error_identities", sa.Integer, nullable=False, server_default="0"),
    sa.Column("warning_identities", sa.Integer, nullable=False, server_default="0"),
    sa.Column("info_identities", sa.Integer, nullable=False, server_default="0"),
    sa.UniqueConstraint("ledger_set_id", "as_of", name="uq_snapshots_set_as_of"),
)

findings = sa.Table(
    "findings", metadata,
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
    sa.Column("first_seen", sa.Date),
    sa.PrimaryKeyConstraint("snapshot_id", "seq", name="pk_findings"),
    sa.Index("ix_findings_identity", "identity"),
)

projects = sa.Table(
    "projects", metadata,
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
    sa.Column("stage_since", sa.Date),
    sa.PrimaryKeyConstraint("snapshot_id", "project_id", name="pk_projects"),
)

kpis = sa.Table(
    "kpis", metadata,
    sa.Column("snapshot_id", sa.Integer, sa.ForeignKey("snapshots.id", ondelete="CASCADE"), nullable=False),
    sa.Column("scope", sa.Text, nullable=False),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("value", sa.Float),
    sa.Column("target", sa.Float),
    sa.Column("status", sa.String(10)),
    sa.Column("seq", sa.Integer, nullable=False, server_default="0"),
    sa.PrimaryKeyConstraint("snapshot_id", "scope", "name", name="pk_kpis"),
)

CHILDREN = (findings, projects, kpis)
