"""The Excel buttons' Python side, end to end through the xlwings stand-in."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys

import pytest

from kaxl.macros import excel
from tests import xlwings_standin as xw
from tests.ledger_factory import d, write_ledger

AS_OF = dt.date(2026, 11, 16)


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch):
    monkeypatch.setattr(excel, "_today", lambda: AS_OF)
    xw.CALLS.clear()


def _ledger(tmp_path, *, amount="abc", customer="=cmd|' /C calc'!A0"):
    return write_ledger(tmp_path / "华东区KA台账2026(1).xlsx", {
        "projects": [
            {"project_id": "KA-1", "customer": customer, "account_manager": "张伟", "stage": "立项",
             "status": "进行中", "lead_date": d("2026-11-10"), "estimated_amount": amount},
            {"project_id": "KA-2", "customer": "招商银行深圳分行", "account_manager": "李娜", "stage": "立项",
             "status": "进行中", "lead_date": "2026-13-40", "estimated_amount": "120万"},
        ],
        "initiation": [{"project_id": "KA-1", "form_date": d("2026-11-11")},
                       {"project_id": "KA-9", "form_date": d("2026-11-11")}],
    })


def _marked(book):
    sheet = book.sheet("项目台账 Projects")
    return sheet


def test_validate_marks_cells_writes_tabs_and_status(tmp_path):
    book = xw.Book.from_xlsx(_ledger(tmp_path))
    excel.run("validate", book)
    assert book.app.alerts == []
    projects = book.sheet("项目台账 Projects")
    amount_cell = (2, 13)  # M2: estimated_amount of KA-1 (13th spec column)
    assert projects.colors[amount_cell] == (0xFF, 0xC7, 0xCE)
    assert "SCH-004" in projects.notes[amount_cell] and "abc" in projects.notes[amount_cell]
    initiation = book.sheet("立项评估 Initiation")
    assert "SCH-007" in initiation.notes[(3, 1)]
    findings = book.sheet("校验结果 Findings")
    assert "错误" in findings.cell("A1") and "errors" in findings.cell("A1")
    links = [v for (r, c), v in findings.values.items() if c == 1 and r > 2]
    assert any(v.startswith('=HYPERLINK("#') for v in links)
    scores = book.sheet("评分 Scores")
    customers = [v for (r, c), v in scores.values.items() if r > 1]
    # A formula-looking customer name stays text: written with a leading apostrophe.
    assert "=cmd|' /C calc'!A0" in customers
    assert "kaxl" in book.app.status_bar
    marks = book.sheet(excel.MARKS_SHEET)
    assert marks.visible is False


def test_reads_and_writes_are_bulk(tmp_path):
    book = xw.Book.from_xlsx(_ledger(tmp_path))
    sheets_before = len(book.sheets)
    excel.run("validate", book)
    # One bulk read per ledger sheet; nothing read cell by cell.
    assert xw.CALLS["value.read"] == sheets_before
    # One bulk write per tab written: marks record, Findings, Scores, Alerts.
    assert xw.CALLS["value.write"] == 4
    marked = [(s.name, color) for s in book.sheets for color in s.colors.values()]
    # Fills are grouped by sheet and severity: one call per group, not one per marked cell.
    assert xw.CALLS["color.write"] == len(set(marked)) < len(marked)


def test_second_press_restores_previous_fill_and_note(tmp_path):
    book = xw.Book.from_xlsx(_ledger(tmp_path))
    projects = book.sheet("项目台账 Projects")
    amount_cell = (2, 13)
    projects.colors[amount_cell] = (0, 176, 80)  # the user's own green fill
    projects.notes[amount_cell] = "财务确认中 (user note)"
    excel.run("validate", book)
    assert projects.colors[amount_cell] == (0xFF, 0xC7, 0xCE)
    assert projects.notes[amount_cell].startswith("财务确认中 (user note)")
    assert "SCH-004" in projects.notes[amount_cell]
    # The user fixes the amount and presses Validate again.
    projects.values[amount_cell] = 1_200_000.0
    excel.run("validate", book)
    assert projects.colors[amount_cell] == (0, 176, 80)
    assert projects.notes[amount_cell] == "财务确认中 (user note)"
    # A cell that had neither fill nor note before gets neither back after restore.
    initiation = book.sheet("立项评估 Initiation")
    assert "SCH-007" in initiation.notes[(3, 1)]  # still wrong: still marked, once
    assert initiation.notes[(3, 1)].count("SCH-007") == 1


def test_python_error_is_a_bilingual_message_box(tmp_path):
    book = xw.Book.from_xlsx(_ledger(tmp_path))
    book.sheets.clear()  # an empty workbook object: reading it raises inside kaxl

    class Broken:
        name = "x"

        @property
        def used_range(self):
            raise RuntimeError("COM went away")

    book.sheets.append(Broken())
    excel.run("validate", book)
    prompt, title = book.app.alerts[-1]
    assert title == "kaxl"
    assert "出错" in prompt and "failed" in prompt
    assert "Traceback" not in prompt


def test_refresh_writes_scores_without_marks(tmp_path):
    book = xw.Book.from_xlsx(_ledger(tmp_path))
    excel.run("refresh", book)
    names = [s.name for s in book.sheets]
    assert "评分 Scores" in names and "预警 Alerts" in names
    assert "校验结果 Findings" not in names
    assert not any(s.notes for s in book.sheets)


def test_import_is_light():
    code = "import sys, kaxl.macros; print(sorted(m for m in ('pandas', 'pandera', 'xlwings', 'numpy') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]"
