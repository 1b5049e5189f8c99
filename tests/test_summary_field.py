"""The summary's 线索 Leads and 拜访 Visits tabs (SPEC §7), re-opened with python-calamine."""

from __future__ import annotations

import pytest
from python_calamine import CalamineWorkbook

from kaxl.api import check_files
from kaxl.reports.summary import write_summary
from tests.field_ledgers import FORMULA, write_field_ledger
from tests.test_digest_support import AS_OF, XSS


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("field")
    out = write_summary(check_files(write_field_ledger(tmp / "l.xlsx"), AS_OF), tmp / "s.xlsx")
    return CalamineWorkbook.from_path(str(out))


def rows(book, name):
    return book.get_sheet_by_name(name).to_python()


def test_tabs_only_when_the_sheets_are_kept(tmp_path):
    out = write_summary(check_files(write_field_ledger(tmp_path / "l.xlsx", leads=False, visits=False), AS_OF),
                        tmp_path / "s.xlsx")
    names = CalamineWorkbook.from_path(str(out)).sheet_names
    assert "线索 Leads" not in names and "拜访 Visits" not in names


def test_leads_funnel_by_source_and_every_lead_as_text(book):
    sheet = rows(book, "线索 Leads")
    assert [r[:2] for r in sheet[4:7]] == [["登记 Registered", 5], ["初筛 Screened", 4], ["转立项 Converted", 2]]
    exhibition = next(r for r in sheet[4:10] if r[3] == "展会 exhibition")
    assert exhibition[4:8] == [2, 1, 1, 0.5]
    cells = [v for r in sheet for v in r]
    assert FORMULA in cells and XSS in cells  # ledger text kept as text, never a formula
    assert "逾期 overdue" in cells


def test_visits_cadence_per_am_and_customer(book):
    sheet = rows(book, "拜访 Visits")
    months = [r[0] for r in sheet[4:10]]
    assert months == ["2026-06", "2026-07", "2026-08", "2026-09", "2026-10", "2026-11"]
    assert sheet[9][1:6] == [1, 1, 1, 0, 3]  # November: in person, phone, video, event, total
    p3 = next(r for r in sheet if len(r) > 3 and r[2] == "P3")
    assert p3[0] == "张伟" and p3[3] == "未达标 not met" and p3[5] == 48


def test_visits_long_table_header_row_fits_its_longest_wrapped_header(tmp_path):
    """The per-customer table's headers (面谈 in_person（6个月 months） wraps to three lines in its
    column) were cut at a fixed two-line height; the row is now as tall as the longest one, and
    the last kind column is as wide as the others (it used to fall back to Excel's default)."""
    import openpyxl

    from kaxl.reports.summary_field import header_lines

    out = write_summary(check_files(write_field_ledger(tmp_path / "l.xlsx"), AS_OF), tmp_path / "s.xlsx")
    ws = openpyxl.load_workbook(out)["拜访 Visits"]
    (table,) = ws.tables.values()
    first = openpyxl.utils.cell.range_boundaries(table.ref)
    header_row, last_col = first[1], first[2]
    headers = [ws.cell(header_row, c).value for c in range(1, last_col + 1)]
    assert headers[-1] == "活动 event（6个月 months）"
    widths = [ws.column_dimensions[openpyxl.utils.get_column_letter(c)].width for c in range(1, last_col + 1)]
    assert widths[-4:] == [widths[8]] * 4  # the kind columns as wide as the month columns
    assert header_lines("面谈 in_person（6个月 months）", widths[-4]) == 3
    assert header_lines("销售经理 AM", 16) == 1 and header_lines("最近面谈 Last in person", 11) == 2
    assert ws.row_dimensions[header_row].height >= 3 * 13.5  # three printed lines of 10 pt


def test_the_lead_list_keeps_recent_and_open_leads_only():
    """The funnel counts every lead; the list shows what a manager follows up: leads of the last
    90 days, and older ones still without a result (or without a date)."""
    import datetime as dt

    import pandas as pd

    from kaxl.reports.summary_field import listed_leads

    frame = pd.DataFrame({
        "registered_date": pd.to_datetime(["2026-11-10", "2026-08-18", "2026-08-17", "2025-01-05", None]),
        "result": ["converted", "dropped", "parked", None, "converted"],
    })
    assert listed_leads(frame, dt.date(2026, 11, 16)).tolist() == [True, True, False, True, True]
