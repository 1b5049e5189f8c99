"""Each finding's ``first_seen`` and each project's ``stage_since``, stored with the snapshot.

Why: a run's ``--json`` needs how long each finding has been open and each project at its stage
(the start of the current unbroken run of snapshots); computed when a snapshot is written, from
the snapshot before, it is read with the run's own rows instead of the whole history (12 weeks
of a 20k-project ledger took longer to read than the check itself). Existing snapshots are
computed here, ledger set by ledger set, oldest first: a store keeps everything and gains them.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def _day(value: object) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


def upgrade() -> None:
    with op.batch_alter_table("findings") as batch:
        batch.add_column(sa.Column("first_seen", sa.Date))
    with op.batch_alter_table("projects") as batch:
        batch.add_column(sa.Column("stage_since", sa.Date))
    conn = op.get_bind()
    sqlite = conn.dialect.name == "sqlite"

    def stored(day: dt.date) -> object:
        return day.isoformat() if sqlite else day

    snapshots = conn.execute(sa.text("SELECT id, ledger_set_id, as_of FROM snapshots ORDER BY ledger_set_id, as_of"))
    previous_set, found, staged = None, {}, {}
    for snapshot_id, set_id, as_of in snapshots.all():
        day = _day(as_of)
        if set_id != previous_set:
            previous_set, found, staged = set_id, {}, {}
        rows = conn.execute(sa.text("SELECT seq, identity FROM findings WHERE snapshot_id = :s"), {"s": snapshot_id}).all()
        found = {identity: found.get(identity, day) for _, identity in rows}
        if rows:
            conn.execute(sa.text("UPDATE findings SET first_seen = :d WHERE snapshot_id = :s AND seq = :q"),
                         [{"d": stored(found[identity]), "s": snapshot_id, "q": seq} for seq, identity in rows])
        rows = conn.execute(sa.text("SELECT project_id, stage FROM projects WHERE snapshot_id = :s"),
                            {"s": snapshot_id}).all()
        staged = {p: (stage, staged[p][1] if p in staged and staged[p][0] == stage else day) for p, stage in rows}
        if rows:
            conn.execute(sa.text("UPDATE projects SET stage_since = :d WHERE snapshot_id = :s AND project_id = :p"),
                         [{"d": stored(staged[p][1]), "s": snapshot_id, "p": p} for p, _ in rows])


def downgrade() -> None:
    with op.batch_alter_table("projects") as batch:
        batch.drop_column("stage_since")
    with op.batch_alter_table("findings") as batch:
        batch.drop_column("first_seen")
