"""Working days (工作日) as China counts them, with the company's own overrides (SPEC §1).

Order of authority for a date: the ledger's `日历 Calendar` tab (a company holiday, an extra
workday, or a whole year declared as fully defined there), then the statutory calendar with
its make-up weekends (调休) from `chinese-calendar`, then — only when the user opted in with
`calendar_fallback = weekends` — Monday to Friday. A date in a year nobody knows is never
guessed: it is recorded, and the run reports `CAL-001` once per year; rules that need such a
date get ``None`` back and stay silent rather than raise a false alarm.

Counting (SPEC §1): "within N working days after D" is the N-th working day after D (D not
counted); "N working days before D" is the N-th working day before D.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import pandas as pd

from kaxl.findings import Finding, make

_MAX_SCAN = 400  # working-day arithmetic never needs to look further than a year and a bit


@lru_cache(maxsize=1)
def _statutory_years() -> tuple[int, int]:
    import chinese_calendar.constants as constants

    years = [d.year for d in constants.holidays]
    return min(years), max(years)


@dataclass
class WorkCalendar:
    overrides: dict[dt.date, bool] = field(default_factory=dict)  # date -> is a workday
    defined_years: frozenset[int] = frozenset()  # years fully defined by the Calendar tab
    fallback_weekends: bool = False
    unknown_years: set[int] = field(default_factory=set)
    setup_findings: list[Finding] = field(default_factory=list)
    _cache: dict[dt.date, bool | None] = field(default_factory=dict, repr=False)

    @classmethod
    def from_ledger(cls, ledger, settings) -> WorkCalendar:
        frame = ledger.frames["calendar"]
        overrides: dict[dt.date, bool] = {}
        defined: set[int] = set()
        for stamp, kind in zip(frame["date"], frame["day_type"]):
            if pd.isna(stamp):
                continue
            day = pd.Timestamp(stamp).date()
            if kind == "workday":
                overrides[day] = True
            elif kind == "holiday":
                overrides[day] = False
            elif kind == "year_defined":
                defined.add(day.year)
        fallback = str(settings.get("calendar_fallback", "none")) == "weekends"
        return cls(overrides, frozenset(defined), fallback)

    # ----------------------------------------------------------------------------- one day

    def is_workday(self, day: dt.date) -> bool | None:
        """True/False, or None when the year is unknown (and recorded for CAL-001)."""
        if day in self._cache:
            return self._cache[day]
        result = self._decide(day)
        self._cache[day] = result
        return result

    def _decide(self, day: dt.date) -> bool | None:
        if day in self.overrides:
            return self.overrides[day]
        if day.year in self.defined_years:
            return day.weekday() < 5
        first, last = _statutory_years()
        if first <= day.year <= last:
            import chinese_calendar

            return chinese_calendar.is_workday(day)
        if self.fallback_weekends:
            return day.weekday() < 5
        self.unknown_years.add(day.year)
        return None

    def knows(self, day: dt.date) -> bool:
        return self.is_workday(day) is not None

    # ----------------------------------------------------------------------------- arithmetic

    def add_workdays(self, day: dt.date, n: int) -> dt.date | None:
        """The n-th working day after ``day`` (n ≥ 1), or None if the calendar runs out."""
        return self._step(day, n, 1)

    def sub_workdays(self, day: dt.date, n: int) -> dt.date | None:
        """The n-th working day before ``day`` (n ≥ 1), or None if the calendar runs out."""
        return self._step(day, n, -1)

    def _step(self, day: dt.date, n: int, direction: int) -> dt.date | None:
        if n <= 0:
            return day
        current, found = day, 0
        for _ in range(_MAX_SCAN + n * 3):
            current += dt.timedelta(days=direction)
            workday = self.is_workday(current)
            if workday is None:
                return None
            if workday:
                found += 1
                if found == n:
                    return current
        return None

    def workdays_between(self, start: dt.date, end: dt.date) -> int | None:
        """Signed count of working days in (start, end]: how late ``end`` is after ``start``."""
        if start == end:
            return 0
        sign = 1 if end > start else -1
        low, high = (start, end) if sign > 0 else (end, start)
        count = 0
        current = low
        while current < high:
            current += dt.timedelta(days=1)
            workday = self.is_workday(current)
            if workday is None:
                return None
            count += workday
        return sign * count

    # ----------------------------------------------------------------------------- vectorised

    def shift_series(self, days: pd.Series, n: int) -> pd.Series:
        """``add_workdays`` (n > 0) or ``sub_workdays`` (n < 0) over a datetime Series.

        Computed once per distinct date: a ledger has far fewer distinct dates than rows.
        """
        values = pd.to_datetime(days)
        distinct = values.dropna().unique()
        mapping = {}
        for stamp in distinct:
            day = pd.Timestamp(stamp).date()
            moved = self.add_workdays(day, n) if n >= 0 else self.sub_workdays(day, -n)
            mapping[stamp] = pd.Timestamp(moved) if moved is not None else pd.NaT
        return values.map(mapping).astype("datetime64[ns]")

    def between_series(self, start: pd.Series, end: pd.Series) -> pd.Series:
        """``workdays_between`` row by row over distinct (start, end) pairs; NA where unknown."""
        pairs = pd.DataFrame({"s": pd.to_datetime(start), "e": pd.to_datetime(end)})
        out = pd.Series(pd.NA, index=pairs.index, dtype="Int64")
        valid = pairs.dropna()
        if valid.empty:
            return out
        cache: dict[tuple, int | None] = {}
        results = []
        for s, e in zip(valid["s"], valid["e"]):
            key = (s, e)
            if key not in cache:
                cache[key] = self.workdays_between(s.date(), e.date())
            results.append(cache[key])
        out.loc[valid.index] = pd.array(results, dtype="Int64")
        return out

    # ----------------------------------------------------------------------------- findings

    def findings(self) -> list[Finding]:
        """One CAL-001 per year a rule needed but no calendar knows."""
        return [
            make("CAL-001",
                 f"{year} 年的法定节假日尚未收录，涉及 {year} 年工作日的规则已跳过。请在「日历 Calendar」表登记 {year} 年的"
                 f"节假日与调休（并加一行“整年已定义”），或升级日历数据：pip install -U chinese-calendar。"
                 "如确需按周一至周五计算，可在「参数 Settings」设 calendar_fallback = weekends。",
                 f"The statutory holidays of {year} are not known yet, so rules needing {year} working days were "
                 f"skipped. Add {year}'s holidays and make-up days to the Calendar tab (plus a 'year_defined' row), "
                 "or upgrade: pip install -U chinese-calendar. To count Monday–Friday instead, set "
                 "calendar_fallback = weekends in Settings.",
                 sheet="日历 Calendar")
            for year in sorted(self.unknown_years)
        ]


def to_date(value: object) -> dt.date | None:
    """A frame cell (Timestamp/NaT/date/None) as a date or None."""
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, float) and np.isnan(value):
        return None
    if isinstance(value, pd.Timestamp):
        return None if pd.isna(value) else value.date()
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return None
