"""What moved between the last two snapshots (SPEC §8, 自上周以来 Since last week).

Findings are compared by their stable identity (rule + the row's natural key), so a row
inserted above does not make every finding below it "new". A finding is *new* when the latest
snapshot has it and the one before did not, *fixed* the other way round, and *open for N weeks*
when it has been in every snapshot since ``first_seen``: the start of its current unbroken run
(a finding fixed and broken again is open since it came back, which is what the reader of "open
for 3 weeks" means). ``weeks_open`` counts whole weeks from ``first_seen`` to the latest as-of.

Pure functions of :class:`~kaxl.history.frames.History`: no store, no clock, vectorised.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from kaxl.history.frames import FINDING_COLUMNS, PORTFOLIO, History
from kaxl.sop.kpis import LOWER_IS_BETTER  # stored KPI rows without the flag: the check's own list

EPSILON = 1e-9  # a KPI change below this is no change (0.1 + 0.2 is not 0.30000000000000004 better)
ARROWS = {"up": "↑", "down": "↓", "flat": "→"}


@dataclass(frozen=True)
class KpiDelta:
    """One KPI now against the snapshot before, with an arrow and whether the move is good."""

    name: str
    label_zh: str
    label_en: str
    unit: str
    value: float | None
    previous: float | None
    target: float | None
    status: str | None
    higher_is_better: bool

    @property
    def delta(self) -> float | None:
        if self.value is None or self.previous is None:
            return None
        return self.value - self.previous

    @property
    def direction(self) -> str | None:
        """up | down | flat; None when one side has no value (nothing to compare)."""
        delta = self.delta
        if delta is None:
            return None
        if abs(delta) <= EPSILON * max(1.0, abs(self.previous or 0.0)):
            return "flat"
        return "up" if delta > 0 else "down"

    @property
    def arrow(self) -> str:
        return ARROWS.get(self.direction or "", "")

    @property
    def tone(self) -> str:
        """good | bad | flat | none: up is good for a win rate, bad for an overdue amount."""
        direction = self.direction
        if direction is None:
            return "none"
        if direction == "flat":
            return "flat"
        return "good" if (direction == "up") == self.higher_is_better else "bad"


@dataclass(frozen=True)
class Movement:
    """The since-last-week view of one scope (a person, or the portfolio)."""

    as_of: pd.Timestamp | None
    previous: pd.Timestamp | None  # None: no earlier snapshot, nothing to compare
    new: pd.DataFrame  # findings (FINDING_COLUMNS + first_seen, weeks_open) new in the latest snapshot
    fixed: pd.DataFrame  # findings of the snapshot before that the latest no longer has
    open_weeks: pd.DataFrame  # still open and older than this week, oldest first
    kpis: tuple[KpiDelta, ...]

    @property
    def has_earlier(self) -> bool:
        return self.previous is not None

    def stale(self, weeks: int) -> pd.DataFrame:
        """Findings open ``weeks`` weeks or more: escalated to the AM's manager (stale_finding_weeks)."""
        return self.open_weeks[self.open_weeks["weeks_open"].ge(weeks)]


def open_findings(history: History) -> pd.DataFrame:
    """The latest snapshot's findings with ``first_seen`` (start of the unbroken run) and ``weeks_open``."""
    dates = history.dates
    columns = [*FINDING_COLUMNS, "first_seen", "weeks_open"]
    if not dates:
        return pd.DataFrame(columns=columns)
    frame = history.findings
    latest = frame[frame["as_of"].eq(dates[-1])].drop_duplicates("identity")
    first = _run_start(frame[["as_of", "identity"]], dates)
    out = latest.assign(first_seen=latest["identity"].map(first))
    out["weeks_open"] = ((dates[-1] - out["first_seen"]).dt.days // 7).astype("int64")
    return out[columns].reset_index(drop=True)


def _run_start(seen: pd.DataFrame, dates: list[pd.Timestamp]) -> pd.Series:
    """identity → as-of of the first snapshot of its current unbroken run up to the latest one."""
    position = {d: i for i, d in enumerate(dates)}
    seen = seen.drop_duplicates().assign(pos=lambda f: f["as_of"].map(position)).sort_values(["identity", "pos"])
    # a run breaks where the snapshot position jumps by more than one; the last run's start wins
    breaks = seen["pos"].diff().ne(1) | seen["identity"].ne(seen["identity"].shift())
    starts = seen[breaks]
    return starts.groupby("identity")["as_of"].last()


def movement(history: History, *, person: str | None = None,
             kpi_meta: Mapping[str, Mapping[str, Any]] | None = None) -> Movement:
    """Since last week for ``person`` (findings they own or whose project they manage, their KPI
    scope) or, with ``person=None``, the whole portfolio.

    ``kpi_meta`` is the check result's KPI dicts (labels, unit, higher_is_better) by name.
    """
    dates = history.dates
    columns = [*FINDING_COLUMNS, "first_seen", "weeks_open"]
    empty = pd.DataFrame(columns=columns)
    if len(dates) < 2:
        return Movement(dates[-1] if dates else None, None, empty, empty, empty, ())
    now, before = dates[-1], dates[-2]
    current = _mine(open_findings(history), person)
    earlier = _mine(history.findings[history.findings["as_of"].eq(before)].drop_duplicates("identity"), person)
    new = current[~current["identity"].isin(earlier["identity"])]
    fixed = earlier[~earlier["identity"].isin(current["identity"])].assign(first_seen=pd.NaT, weeks_open=pd.NA)
    fixed = fixed.reindex(columns=columns)
    old = current[current["weeks_open"].ge(1) & current["identity"].isin(earlier["identity"])]
    order = ["first_seen", "severity_rank", "project_id", "identity"]
    old = old.assign(severity_rank=old["severity"].map(SEVERITY_RANK).fillna(9)).sort_values(order, kind="stable")
    sort = ["severity_rank", "project_id", "identity"]
    return Movement(
        now, before,
        _sorted(new, sort), _sorted(fixed, sort), old.drop(columns="severity_rank").reset_index(drop=True),
        kpi_deltas(history, scope=PORTFOLIO if person is None else person, kpi_meta=kpi_meta))


SEVERITY_RANK = {"error": 0, "warning": 1, "info": 2}


def _sorted(frame: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    ranked = frame.assign(severity_rank=frame["severity"].map(SEVERITY_RANK).fillna(9))
    return ranked.sort_values(by, kind="stable").drop(columns="severity_rank").reset_index(drop=True)


def _mine(findings: pd.DataFrame, person: str | None) -> pd.DataFrame:
    if person is None:
        return findings
    return findings[findings["owner"].eq(person) | findings["account_manager"].eq(person)]


def kpi_deltas(history: History, *, scope: str = PORTFOLIO,
               kpi_meta: Mapping[str, Mapping[str, Any]] | None = None) -> tuple[KpiDelta, ...]:
    """Each KPI of ``scope`` in the latest snapshot against the one before (in the latest's order)."""
    dates = history.dates
    if len(dates) < 2:
        return ()
    kpis = history.kpis[history.kpis["scope"].fillna(PORTFOLIO).eq(scope)]
    now = kpis[kpis["as_of"].eq(dates[-1])].drop_duplicates("name", keep="last")
    now = now[pd.to_numeric(now["target"], errors="coerce").notna()]  # a KPI has a target (not aging, pipeline)
    before = kpis[kpis["as_of"].eq(dates[-2])].drop_duplicates("name", keep="last").set_index("name")["value"]
    meta = kpi_meta or {}
    out = []
    for name, value, target, status in zip(now["name"], now["value"], now["target"], now["status"]):
        info = meta.get(name) or {}
        label_zh, label_en, unit = _labels(name)
        out.append(KpiDelta(
            name=str(name), label_zh=str(info.get("label_zh", label_zh)), label_en=str(info.get("label_en", label_en)),
            unit=str(info.get("unit", unit)), value=_number(value), previous=_number(before.get(name)),
            target=_number(target), status=None if _missing(status) else str(status),
            higher_is_better=bool(info.get("higher_is_better", name not in LOWER_IS_BETTER))))
    return tuple(out)


def _labels(name: str) -> tuple[str, str, str]:
    from kaxl.sop.kpis import LABELS

    return LABELS.get(name, (name, name, ""))


def _missing(value: Any) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def _number(value: Any) -> float | None:
    if _missing(value):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number
