"""The history as plain frames: the contract between the store (which writes and reads them)
and the views that compare weeks (since last week, pipeline movement, trends).

Why frames and not ORM objects: the views are pure functions of data (SPEC §8 is derived data,
never a second source of truth), testable without a database, and vectorised with pandas.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

FINDING_COLUMNS = ["as_of", "identity", "rule", "severity", "project_id", "owner_role", "owner",
                   "account_manager", "cell", "message_zh", "message_en"]
PROJECT_COLUMNS = ["as_of", "project_id", "customer", "stage", "status", "grade", "tier", "estimated_amount",
                   "expected_close", "account_manager", "qualification_score", "process_pct"]
KPI_COLUMNS = ["as_of", "scope", "name", "value", "target", "status"]
PORTFOLIO = ""  # the ``scope`` of a portfolio KPI row; a manager's rows carry the manager's name


@dataclass(frozen=True)
class History:
    """Every stored snapshot of one ledger set, oldest first, the current run's included.

    ``as_of`` columns are ``datetime64[ns]`` dates. ``identity`` is the finding's stable
    identity (rule + the row's natural key, never a row number). ``expected_close`` is a date
    (NaT when blank). A view compares the latest snapshot (the current run) with the one before.
    """

    findings: pd.DataFrame  # FINDING_COLUMNS
    projects: pd.DataFrame  # PROJECT_COLUMNS
    kpis: pd.DataFrame  # KPI_COLUMNS
    # Open findings per snapshot by severity (index as_of; columns error, warning, info), when
    # the store counted them: the summary's history then carries no findings rows at all (its
    # trend tab only counts them, and 12 weeks of a 20k ledger's findings are 300k rows to read).
    # None: count ``findings``.
    severity_counts: pd.DataFrame | None = None

    @property
    def dates(self) -> list[pd.Timestamp]:
        """The snapshots' as-of dates, oldest first."""
        parts = [self.projects["as_of"], self.findings["as_of"], self.kpis["as_of"]]
        if self.severity_counts is not None:
            parts.append(pd.Series(self.severity_counts.index, dtype="datetime64[ns]"))
        seen = pd.concat(parts)
        return sorted(pd.to_datetime(seen.dropna().unique()))

    def where_as_of(self, keep: Callable[[pd.Series], pd.Series], *, reset_index: bool = False) -> History:
        """The snapshots whose as-of ``keep`` accepts (``keep`` maps an as-of column to a mask)."""
        counts = self.severity_counts
        if counts is not None:
            counts = counts[keep(pd.Series(counts.index, index=counts.index)).to_numpy(dtype=bool)]
        frames = {}
        for name in ("findings", "projects", "kpis"):
            frame = getattr(self, name)
            frame = frame[keep(frame["as_of"])]
            frames[name] = frame.reset_index(drop=True) if reset_index else frame
        return dataclasses.replace(self, **frames, severity_counts=counts)

    @classmethod
    def empty(cls) -> History:
        return cls(pd.DataFrame(columns=FINDING_COLUMNS), pd.DataFrame(columns=PROJECT_COLUMNS),
                   pd.DataFrame(columns=KPI_COLUMNS))
