"""How long a finding has been open and a project at its stage, carried from one snapshot to the
next (SPEC §8): the same definition as the views' (:func:`kaxl.history.movement.open_findings`,
:func:`kaxl.history.trend.stage_since` — the start of the current unbroken run), computed when a
snapshot is written, so a run reads its own ages without reading the whole history back.

A finding's ``first_seen`` is the snapshot before's ``first_seen`` when that snapshot had the
same identity, else this snapshot's as-of; a project's ``stage_since`` likewise while its stage
stays the same. Pure functions of plain values; the store keeps the chain right when a snapshot
is inserted or replaced between others.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any


def as_date(value: Any) -> dt.date | None:
    """A stored date (a date from PostgreSQL, ISO text from SQLite) as a date."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def first_seen(previous: Mapping[str, dt.date], identities: Sequence[str], as_of: dt.date) -> list[dt.date]:
    """Each identity's first_seen: carried from the snapshot before (``identity → first_seen``)."""
    return [previous.get(identity, as_of) for identity in identities]


def stage_since(previous: Mapping[str, tuple[Any, dt.date]], project_ids: Sequence[str], stages: Sequence[Any],
                as_of: dt.date) -> list[dt.date]:
    """Each project's stage_since: carried from the snapshot before (``project → (stage, since)``)
    while the stage is the same."""
    out = []
    for project, stage in zip(project_ids, stages):
        before = previous.get(project)
        out.append(before[1] if before is not None and before[0] == stage and before[1] is not None else as_of)
    return out
