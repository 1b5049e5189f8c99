"""The Validate 校验 button (kaxl.macros, through the xlwings stand-in) on a workbook with
线索登记 Leads and 拜访记录 Visits: the findings land on those sheets' cells, as `kaxl annotate`
puts them (the same ledger and cells as tests/test_annotate_field.py), with no error box."""

from __future__ import annotations

import datetime as dt

import pytest

from kaxl.macros import excel
from tests import xlwings_standin as xw
from tests.ledger_factory import write_ledger
from tests.test_annotate_field import AS_OF, EXPECTED, TITLES, ledger_sheets

RGB = {severity: tuple(int(color[i:i + 2], 16) for i in (1, 3, 5)) for severity, color in excel.FILL.items()}


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch):
    monkeypatch.setattr(excel, "_today", lambda: AS_OF)
    xw.CALLS.clear()


def _cell(address: str) -> tuple[int, int]:
    return xw._cells(address)[0]


@pytest.mark.parametrize("language", ["zh", "en"])
def test_validate_marks_the_field_cells_without_an_error(tmp_path, language):
    titles = TITLES[language]
    book = xw.Book.from_xlsx(write_ledger(tmp_path / "华北区台账.xlsx", ledger_sheets(), titles=titles))
    excel.run("validate", book)
    assert book.app.alerts == [], book.app.alerts
    for (key, address), (rule, severity) in EXPECTED.items():
        sheet = book.sheet(titles[key])
        assert sheet.colors.get(_cell(address)) == RGB[severity], (key, address)
        assert rule in sheet.notes.get(_cell(address), ""), (key, address)
    for key, title in titles.items():  # nothing else on the field sheets is marked
        marked = {cell for cell in book.sheet(title).notes}
        assert marked == {_cell(a) for (k, a) in EXPECTED if k == key}, key
    findings = book.sheet("校验结果 Findings")
    texts = " ".join(str(v) for v in findings.values.values())
    for rule in ("LEA-001", "LEA-002", "LEA-003", "VIS-001", "VIS-002", "VIS-004", "VIS-005"):
        assert rule in texts
    assert f"{titles['visits']}" in texts  # the links name the sheet as the user titled it


def test_second_press_after_a_fix_unmarks_the_field_cell(tmp_path):
    titles = TITLES["zh"]
    book = xw.Book.from_xlsx(write_ledger(tmp_path / "台账.xlsx", ledger_sheets(), titles=titles))
    excel.run("validate", book)
    visits = book.sheet(titles["visits"])
    record = _cell("G3")
    assert "VIS-001" in visits.notes[record]
    visits.values[record] = dt.datetime(2026, 11, 17)  # the user records the 11-16 call
    excel.run("validate", book)
    assert book.app.alerts == []
    assert record not in visits.colors and record not in visits.notes
    assert "VIS-004" in visits.notes[_cell("K3")]  # still missed: still marked, once
    assert visits.notes[_cell("K3")].count("VIS-004") == 1
