"""Trends over the last snapshots (SPEC §8, the summary's 趋势 Trend tab).

- each KPI per snapshot over the last 12, beside its target (a target changed in 参数 Settings
  shows as a step in the target line, not a rewritten past);
- the open findings per snapshot by severity;
- time in stage: for each active project, the days since the first snapshot of its current,
  unbroken run at today's stage; per stage the median and the slowest projects.

Pure functions of :class:`~kaxl.history.frames.History`, vectorised.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from kaxl.contract.columns import STAGES
from kaxl.contract.findings import SEVERITIES
from kaxl.history.frames import PORTFOLIO, History

WEEKS = 12


@dataclass(frozen=True)
class KpiTrend:
    """KPI values and targets by snapshot (rows: as-of, oldest first; columns: KPI names)."""

    values: pd.DataFrame
    targets: pd.DataFrame

    @property
    def dates(self) -> list[pd.Timestamp]:
        return list(self.values.index)


def last_dates(history: History, weeks: int = WEEKS) -> list[pd.Timestamp]:
    return history.dates[-weeks:]


def kpi_trend(history: History, *, weeks: int = WEEKS, scope: str = PORTFOLIO) -> KpiTrend:
    """Each KPI of ``scope`` per snapshot over the last ``weeks`` snapshots (NaN where none)."""
    dates = last_dates(history, weeks)
    kpis = history.kpis
    kpis = kpis[kpis["scope"].fillna(PORTFOLIO).eq(scope) & kpis["as_of"].isin(dates)]
    kpis = kpis.drop_duplicates(["as_of", "name"], keep="last")
    names = list(dict.fromkeys(kpis["name"]))  # first-seen order (the result's KPI order)
    index = pd.DatetimeIndex(dates, name="as_of")

    def wide(column: str) -> pd.DataFrame:
        table = kpis.pivot(index="as_of", columns="name", values=column) if not kpis.empty else pd.DataFrame()
        return table.reindex(index=index, columns=names).apply(pd.to_numeric, errors="coerce")

    return KpiTrend(wide("value"), wide("target"))


def findings_by_severity(history: History, *, weeks: int = WEEKS) -> pd.DataFrame:
    """Open findings per snapshot (rows, oldest first) by severity (columns error, warning, info):
    each identity once, with its first finding's severity — the store's counts when the history
    carries them (``severity_counts``, the same count made as each snapshot was written)."""
    dates = last_dates(history, weeks)
    index = pd.DatetimeIndex(dates, name="as_of")
    if history.severity_counts is not None:
        counts = history.severity_counts
        return counts.reindex(index=index, columns=pd.Index(list(SEVERITIES), name=counts.columns.name),
                              fill_value=0).fillna(0).astype("int64")
    findings = history.findings[history.findings["as_of"].isin(dates)].drop_duplicates(["as_of", "identity"])
    counts = pd.crosstab(findings["as_of"], findings["severity"]) if not findings.empty else pd.DataFrame()
    return counts.reindex(index=index, columns=list(SEVERITIES), fill_value=0).fillna(0).astype("int64")


@dataclass(frozen=True)
class TimeInStage:
    per_stage: pd.DataFrame  # stage, label_zh, label_en, projects, median_days, max_days (SOP order)
    slowest: pd.DataFrame  # project_id, customer, account_manager, stage, since, days (slowest first)


def time_in_stage(history: History, *, slowest: int = 10) -> TimeInStage:
    """Days each active project of the latest snapshot has been at its stage, as the snapshots saw it."""
    dates = history.dates
    per_columns = ["stage", "label_zh", "label_en", "projects", "median_days", "max_days"]
    slow_columns = ["project_id", "customer", "account_manager", "stage", "since", "days"]
    if not dates:
        return TimeInStage(pd.DataFrame(columns=per_columns), pd.DataFrame(columns=slow_columns))
    latest = stage_since(history)
    latest = latest[latest["status"].eq("active")]
    latest = latest.assign(days=(dates[-1] - latest["since"]).dt.days.astype("int64"))
    rows = []
    for stage in STAGES:
        days = latest.loc[latest["stage"].eq(stage.key), "days"]
        if days.empty:
            continue
        rows.append({"stage": stage.key, "label_zh": stage.zh, "label_en": stage.key.capitalize(),
                     "projects": int(days.size), "median_days": float(days.median()), "max_days": int(days.max())})
    slow = latest.sort_values(["days", "project_id"], ascending=[False, True], kind="stable").head(slowest)
    return TimeInStage(pd.DataFrame(rows, columns=per_columns), slow[slow_columns].reset_index(drop=True))


def stage_since(history: History) -> pd.DataFrame:
    """The latest snapshot's projects with ``since``: the as-of of the first snapshot of the
    project's current unbroken run at its current stage (the one definition behind the trend
    tab's time in stage and ``days_in_stage`` in ``--json``)."""
    dates = history.dates
    if not dates:
        return history.projects.assign(since=pd.Series(dtype="datetime64[ns]"))
    position = {d: i for i, d in enumerate(dates)}
    frame = history.projects.drop_duplicates(["as_of", "project_id"], keep="last")
    frame = frame.assign(pos=frame["as_of"].map(position)).sort_values(["project_id", "pos"])
    # a run at one stage breaks when the stage changes or the project skips a snapshot
    run_break = (frame["project_id"].ne(frame["project_id"].shift()) | frame["stage"].ne(frame["stage"].shift())
                 | frame["pos"].diff().ne(1))
    run_start = frame["as_of"].where(run_break).ffill()
    latest = frame.assign(since=run_start)
    return latest[latest["as_of"].eq(dates[-1])].drop(columns="pos")
