"""A command's run with a history store (SPEC §8): record this run's snapshot, read the history
back, and hand the check result what the outputs need from it.

What the outputs get (:func:`with_history`):

- ``result.history``: a :class:`RunHistory` — the snapshots up to this run's as-of, one per ISO
  week (the latest of each earlier week, and this run): 自上周以来 compares this run with the
  end of last week even when check runs every day, and the trend tab's 12 points are 12 weeks;
- ``result.history.finding_ages``: ``first_seen`` and ``weeks_open`` of each finding of the
  run (same order as ``result.findings``), from *every* snapshot: the start of the finding's
  current unbroken run (:func:`kaxl.history.movement.open_findings`, the one definition; the
  store carries it from snapshot to snapshot as it writes, :mod:`kaxl.history.runs`);
- ``days_in_stage`` of ``result.projects``: from the first snapshot of the project's current
  unbroken run at its stage (:func:`kaxl.history.trend.stage_since`), when that is earlier than
  the ledger's own dates give (or they give none).

``check --json`` reads only its own snapshot's ages (``read="ages"``): its ``result.history``
then has the ages and no snapshots (no views), whatever the history's length.

The store modules (SQLAlchemy, Alembic) are imported here on first use only.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from kaxl.history.config import StoreChoice
from kaxl.history.frames import History


@dataclass(frozen=True)
class RunHistory(History):
    """The history the outputs of one run see (see the module docstring)."""

    finding_ages: pd.DataFrame | None = None  # first_seen (datetime64), weeks_open (Int64), per finding


def open_choice(choice: StoreChoice):
    """The store of a :class:`StoreChoice`, open and migrated (errors are bilingual, exit 2)."""
    from kaxl.history.store import open_store

    return open_store(choice.value, base=choice.base)


def record_run(result: Any, choice: StoreChoice, *, read: str = "full", ledger_set: str | None = None,
               now: dt.datetime | None = None) -> Any:
    """Record ``result``'s snapshot in the configured store (replacing the one of the same ledger
    set and as-of, in one transaction) and return the result carrying its history.

    ``read``: ``full`` (digest: what its since-last-week and pipeline views read —
    :meth:`~kaxl.history.store.HistoryStore.load_digest`), ``trend`` (summary: what the
    trend tab shows — the KPIs, the stored per-severity counts instead of the findings, the
    projects' stage and expected close over the weeks and all of them for the last two),
    ``ages`` (check --json: only this snapshot's first_seen and stage_since, stored with it — no
    views), ``none`` (check's text, snapshot: record only, the result as it was).
    """
    from kaxl.history.identity import snapshot_frames
    from kaxl.history.store import ledger_set_key

    key = ledger_set or ledger_set_key(result.ledger.files)
    frames = snapshot_frames(result)
    with open_choice(choice) as store:
        written = store.write_snapshot_ages(key, frames, files=result.ledger.files, now=now)
        if read == "none":
            return result
        seen, since = written or store.snapshot_ages(key, result.as_of)
        history = History.empty()
        if read in ("full", "trend"):  # the weeks the views see
            weeks = weekly_dates([d for d in store.snapshot_dates(key) if d <= result.as_of])
            history = store.load_trend(key, weeks) if read == "trend" else store.load_digest(key, weeks)
    first_seen = pd.Series(pd.to_datetime(pd.Series(seen, dtype=object)), dtype="datetime64[ns]")
    ages = pd.DataFrame({"first_seen": first_seen,
                         "weeks_open": ((pd.Timestamp(result.as_of) - first_seen).dt.days // 7).astype("Int64")})
    weekly = weekly_view(history)
    return dataclasses.replace(result, projects=stage_days(result, since),
                               history=RunHistory(weekly.findings, weekly.projects, weekly.kpis,
                                                  severity_counts=weekly.severity_counts, finding_ages=ages))


def with_history(result: Any, history: History, *, identities: Sequence[str] | pd.Series | None = None) -> Any:
    """``result`` with the views' history, its findings' ages and days in stage (module docstring),
    computed from ``history`` (which must include this run's snapshot) — what :func:`record_run`
    reads from the store, for a history kept elsewhere.

    ``identities``: the findings' identities, when the caller already has them.
    """
    from kaxl.history.movement import open_findings
    from kaxl.history.trend import stage_since

    history = until(history, result.as_of)
    if identities is None:
        from kaxl.history.identity import finding_identities

        identities = finding_identities(result)
    ids = pd.Series(list(identities), dtype=object)
    opened = open_findings(history).drop_duplicates("identity").set_index("identity")
    ages = pd.DataFrame({"first_seen": ids.map(opened["first_seen"]).astype("datetime64[ns]"),
                         "weeks_open": ids.map(opened["weeks_open"]).astype("Int64")})
    since = stage_since(history).drop_duplicates("project_id").set_index("project_id")["since"]
    weekly = weekly_view(history)
    return dataclasses.replace(result, projects=stage_days(result, since.to_dict()),
                               history=RunHistory(weekly.findings, weekly.projects, weekly.kpis,
                                                  severity_counts=weekly.severity_counts, finding_ages=ages))


def until(history: History, as_of: dt.date) -> History:
    """The snapshots as of ``as_of`` or earlier (a run for a past date compares with its past)."""
    day = pd.Timestamp(as_of)
    return history.where_as_of(lambda as_of: as_of.le(day))


def weekly_dates(dates: Sequence[Any]) -> list[Any]:
    """The dates (sorted) the views see: the latest one, and the last one of each earlier ISO week."""
    dates = sorted(dates)
    if len(dates) < 2:
        return list(dates)
    latest = dates[-1]
    this_week = latest.isocalendar()[:2]
    last_of_week: dict[tuple[int, int], Any] = {}
    for day in dates[:-1]:
        week = day.isocalendar()[:2]
        if week != this_week:
            last_of_week[week] = day  # sorted: the last one of the week wins
    return sorted({latest, *last_of_week.values()})


def weekly_view(history: History) -> History:
    """One snapshot per ISO week: the latest one, and the last one of each earlier week."""
    dates = history.dates
    keep = set(weekly_dates(dates))
    if len(keep) == len(dates):
        return history
    return history.where_as_of(lambda as_of: as_of.isin(keep), reset_index=True)


def stage_days(result: Any, since: dict[str, Any]) -> pd.DataFrame:
    """``result.projects`` with ``days_in_stage`` from the snapshots (``project → since``) where
    they go back further than the ledger's own dates."""
    projects = result.projects
    if projects.empty or "days_in_stage" not in projects.columns or not since:
        return projects
    starts = pd.to_datetime(projects["project_id"].map(since), errors="coerce").astype("datetime64[ns]")
    seen = (pd.Timestamp(result.as_of) - starts).dt.days
    ledger = projects["days_in_stage"].astype("Int64")
    better = seen.gt(0) & (ledger.isna() | seen.gt(ledger)).fillna(False).astype(bool)
    if not better.any():
        return projects
    out = projects.copy()
    out["days_in_stage"] = ledger.where(~better, seen.astype("Int64"))
    return out
