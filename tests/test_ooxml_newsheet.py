"""The one-type column paths of kaxl.ooxml.newsheet write exactly what the cell-by-cell
writers (_value_cell, _string_cell) write for each value: text, whole numbers and dates, with
and without gaps, either date system, dates before the epoch and styled columns included."""

from __future__ import annotations

import datetime as dt

import pytest

from kaxl.ooxml.newsheet import CellStyles, _string_cell, _value_cell, render_rows

STYLES = CellStyles(date=7, datetime=8, link=9)
COLUMNS = {
    "text": ["项目 A", "<b>&</b>", "plain", "x" * 40000, "中文"],
    "text with gaps": [None, "a", None, "b&c", None],
    "text needing space": ["ok", " lead", "trail ", "行1\n行2", "\u3000全角"],
    "ints": [1, -7, 0, 2**70, 12],
    "ints with gaps": [None, 3, None, 4, None],
    "dates": [dt.date(2026, 11, 16), None, dt.date(1900, 3, 1), dt.date(1999, 12, 31), None],
    "dates before the epoch": [dt.date(2026, 1, 1), dt.date(1899, 1, 1), None, dt.date(1900, 2, 28), None],
    "dates 1904": [dt.date(1904, 1, 1), dt.date(2026, 11, 16), None, dt.date(1903, 12, 31), None],
    "all missing": [None, None, None, None, None],
}


@pytest.mark.parametrize("name", list(COLUMNS))
@pytest.mark.parametrize("style", [0, 5])
@pytest.mark.parametrize("date1904", [False, True])
def test_a_one_type_column_is_written_as_cell_by_cell(name, style, date1904):
    values = COLUMNS[name]
    body, _ = render_rows([[v] for v in values], first_row=2, ncols=1, date1904=date1904,
                          styles=CellStyles(columns=[style], date=STYLES.date, datetime=STYLES.datetime))
    expected = "".join(f'<row r="{n}">{_one(f"A{n}", v, style, date1904)}</row>' for n, v in enumerate(values, 2))
    assert body == expected


def _one(ref: str, value: object, style: int, date1904: bool) -> str:
    if value.__class__ is str:
        return _string_cell(ref, value, style)
    return _value_cell(ref, value, style, STYLES, date1904)
