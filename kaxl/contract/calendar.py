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

from kaxl.contract.findings import Finding, make


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
        result = self._classify(day)
        if result is None:
            self.unknown_years.add(day.year)
        return result

    def _classify(self, day: dt.date) -> bool | None:
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
        return None

    def knows(self, day: dt.date) -> bool:
        return self.is_workday(day) is not None

    # ----------------------------------------------------------------------------- arithmetic
    #
    # A cumulative count of working days over a date span (grown on demand, a year at a time)
    # turns every question into two array lookups: the benchmark ledger asks tens of thousands.

    def _span(self, low: dt.date, high: dt.date) -> None:
        first = getattr(self, "_first", None)
        if first is not None and first <= low and high <= self._last:
            return
        low = min(low, first) if first is not None else low
        high = max(high, self._last) if first is not None else high
        low = dt.date(low.year - 1, 1, 1)
        high = dt.date(high.year + 1, 12, 31)
        days = [low + dt.timedelta(days=i) for i in range((high - low).days + 1)]
        flags = [self._classify(day) for day in days]  # spanning a year is not needing it
        work = np.array([bool(f) for f in flags], dtype=np.int64)
        unknown = np.array([f is None for f in flags], dtype=np.int64)
        self._first, self._last = low, high
        self._work_cum = np.concatenate([[0], np.cumsum(work)])  # _work_cum[i] = workdays in [low, low+i)
        self._unknown_cum = np.concatenate([[0], np.cumsum(unknown)])

    def _pos(self, day: dt.date) -> int:
        return (day - self._first).days

    def add_workdays(self, day: dt.date, n: int) -> dt.date | None:
        """The n-th working day after ``day`` (n ≥ 1), or None if the calendar runs out."""
        return self._step(day, n, 1)

    def sub_workdays(self, day: dt.date, n: int) -> dt.date | None:
        """The n-th working day before ``day`` (n ≥ 1), or None if the calendar runs out."""
        return self._step(day, n, -1)

    def _step(self, day: dt.date, n: int, direction: int) -> dt.date | None:
        if n <= 0:
            return day
        reach = dt.timedelta(days=n * 3 + 30)
        self._span(day - reach, day + reach)
        cum = self._work_cum
        here = self._pos(day)
        if direction > 0:
            target = cum[here + 1] + n  # workdays in [first, day] plus n
            position = int(np.searchsorted(cum, target, side="left")) - 1
            if position >= len(cum) - 1:  # ran out: unknown days (a year no calendar has) count as none
                self._flag_unknown(here + 1, len(cum) - 1)
                return None
            found = self._first + dt.timedelta(days=position)
            low, high = here + 1, position + 1
        else:
            target = cum[here] - n + 1  # the day whose inclusive count reaches this
            if target < 1:
                self._flag_unknown(0, here)
                return None
            position = int(np.searchsorted(cum, target, side="left")) - 1
            found = self._first + dt.timedelta(days=position)
            low, high = position, here
        if self._unknown_cum[high] - self._unknown_cum[low] > 0:
            self._flag_unknown(low, high)
            return None
        return found

    def _flag_unknown(self, low: int, high: int) -> None:
        for i in range(low, high):
            day = self._first + dt.timedelta(days=i)
            if self._classify(day) is None:
                self.unknown_years.add(day.year)
                return

    def workdays_between(self, start: dt.date, end: dt.date) -> int | None:
        """Signed count of working days in (start, end]: how late ``end`` is after ``start``."""
        if start == end:
            return 0
        low, high = (start, end) if end > start else (end, start)
        self._span(low, high)
        a, b = self._pos(low) + 1, self._pos(high) + 1
        if self._unknown_cum[b] - self._unknown_cum[a] > 0:
            self._flag_unknown(a, b)
            return None
        count = int(self._work_cum[b] - self._work_cum[a])
        return count if end > start else -count

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
