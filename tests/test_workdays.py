"""Working-day arithmetic pinned to SPEC §1's examples, the Calendar tab and CAL-001."""

from __future__ import annotations

import datetime as dt

import pytest

from kaxl.api import check_files
from kaxl.contract.calendar import WorkCalendar
from kaxl.contract.settings import defaults
from kaxl.reading.ledger import read_ledger
from tests.ledger_factory import d, write_ledger


@pytest.fixture
def cal() -> WorkCalendar:
    return WorkCalendar()


@pytest.mark.parametrize(("start", "n", "expected"), [
    ("2026-09-28", 3, "2026-10-08"),   # SPEC: lead + 3 working days over the National Day week
    ("2026-09-28", 1, "2026-09-29"),
    ("2026-09-30", 1, "2026-10-08"),   # 10-01..07 holidays
    ("2026-10-09", 1, "2026-10-10"),   # make-up Saturday is a working day
    ("2026-11-13", 1, "2026-11-16"),   # an ordinary weekend
])
def test_add_workdays(cal, start, n, expected):
    assert cal.add_workdays(d(start), n) == d(expected)


@pytest.mark.parametrize(("start", "n", "expected"), [
    ("2026-10-12", 5, "2026-09-29"),   # SPEC: bid − 5 working days
    ("2026-10-12", 2, "2026-10-09"),   # SPEC: bid − 2 working days
    ("2026-10-12", 1, "2026-10-10"),   # the make-up Saturday
])
def test_sub_workdays(cal, start, n, expected):
    assert cal.sub_workdays(d(start), n) == d(expected)


def test_workdays_between_is_signed(cal):
    assert cal.workdays_between(d("2026-09-29"), d("2026-09-30")) == 1
    assert cal.workdays_between(d("2026-09-30"), d("2026-10-08")) == 1
    assert cal.workdays_between(d("2026-10-08"), d("2026-09-30")) == -1
    assert cal.workdays_between(d("2026-10-01"), d("2026-10-07")) == 0


def test_unknown_year_is_not_guessed(cal):
    assert cal.is_workday(d("2027-03-01")) is None
    assert cal.add_workdays(d("2026-12-30"), 5) is None
    assert [f.rule for f in cal.findings()] == ["CAL-001"]
    assert "2027" in cal.findings()[0].message_zh


def test_weekends_fallback_is_opt_in():
    cal = WorkCalendar(fallback_weekends=True)
    assert cal.add_workdays(d("2027-03-05"), 1) == d("2027-03-08")
    assert cal.findings() == []


def test_calendar_tab_overrides_statutory_and_defines_years(tmp_path):
    path = write_ledger(tmp_path / "cal.xlsx", {"calendar": [
        {"date": d("2026-11-16"), "day_type": "休息日", "note": "公司年会"},
        {"date": d("2026-11-14"), "day_type": "工作日", "note": "补班"},
        {"date": d("2027-01-01"), "day_type": "休息日"},
        {"date": d("2027-01-04"), "day_type": "整年已定义"},
    ]})
    cal = WorkCalendar.from_ledger(read_ledger(path), defaults())
    assert cal.is_workday(d("2026-11-16")) is False
    assert cal.is_workday(d("2026-11-14")) is True   # a Saturday made a workday
    assert cal.add_workdays(d("2026-11-13"), 1) == d("2026-11-14")
    assert cal.add_workdays(d("2026-12-31"), 1) == d("2027-01-04")  # 01-01 holiday, 02-03 weekend
    assert cal.unknown_years == set()


def test_calendar_tab_reads_without_findings(tmp_path):
    path = write_ledger(tmp_path / "cal.xlsx", {"calendar": [{"date": d("2026-11-16"), "day_type": "holiday"}]})
    result = check_files(path, dt.date(2026, 11, 16))
    assert not [f for f in result.findings if f.sheet == "日历 Calendar"]
