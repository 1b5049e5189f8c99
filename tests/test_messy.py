"""Messy but legitimate workbooks: read, with findings only where the user must act.

One clean three-project ledger is written, then each case changes its Projects tab the way
years of many hands do (openpyxl edits a copy; the reader never sees openpyxl's idea of it, only
the file). Every case must give the clean ledger's findings — nothing spurious — plus exactly
the findings the mess deserves, on the right cells.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest
from openpyxl.styles import PatternFill
from openpyxl.utils import get_column_letter

from kaxl.api import check_files
from kaxl.contract.columns import sheet
from kaxl.reading.ledger import read_ledger
from tests.ledger_factory import d, write_ledger

AS_OF = d("2026-03-20")
SPEC = sheet("projects")
TITLE = SPEC.title
LONG = "🏥华东𠀀𠀁医院" + "长" * 32_000  # emoji, CJK extension B, and near Excel's 32,767 limit


def project(pid: str, **extra) -> dict:
    row = {"project_id": pid, "customer": f"{pid} 客户", "account_manager": "张伟", "stage": "方案",
           "status": "进行中", "lead_date": d("2026-01-05"), "estimated_amount": 350_000}
    return row | extra


@pytest.fixture(scope="module")
def clean(tmp_path_factory) -> Path:
    return write_ledger(tmp_path_factory.mktemp("messy") / "clean.xlsx",
                        {"projects": [project("KA-1"), project("KA-2"), project("KA-3")]})


def column(ws, key: str) -> int:
    """1-based column of ``key`` in the header row (row 1 of the clean copy)."""
    title = SPEC.column(key).title
    return next(c.column for c in ws[1] if c.value and str(c.value).startswith(title))


def edited(clean: Path, folder: Path, change: Callable) -> Path:
    book = openpyxl.load_workbook(clean)
    change(book[TITLE])
    out = folder / "messy.xlsx"
    book.save(out)
    return out


def keys(result) -> set[tuple]:
    return {(f.rule, f.project_id) for f in result.findings}


def frame_values(path: Path):
    frame = read_ledger(path).frames["projects"]
    return frame[[c.key for c in SPEC.columns]].astype(str).values.tolist()


def bloat(ws):
    last = ws.cell(row=1_048_576, column=30)  # formatting whole columns: the used range reaches the last row
    last.fill = PatternFill("solid", fgColor="FFFF00")
    for col in range(1, 16):
        ws.column_dimensions[get_column_letter(col)].width = 18


def blank_rows(ws):
    ws.insert_rows(3, 2)


def title_block(ws):
    ws.insert_rows(1, 2)
    ws["A1"] = "2026 华东区大客户台账（机密）"
    ws.merge_cells("A1:F1")


def two_header_rows(ws):
    ws.insert_rows(1)
    ws["A1"], ws["D1"] = "基本信息", "负责人"
    ws.merge_cells("A1:C1")
    ws.merge_cells("D1:F1")


def hidden_everything(ws):
    ws.sheet_state = "hidden"
    ws.row_dimensions[3].hidden = True
    ws.column_dimensions[get_column_letter(column(ws, "customer"))].hidden = True


def typed_as_text(ws):
    ws.cell(row=2, column=column(ws, "estimated_amount")).value = "350000"  # a number stored as text
    lead = ws.cell(row=3, column=column(ws, "lead_date"))
    lead.value, lead.number_format = 46027, "General"  # 2026-01-05 as a serial in General format
    ws.cell(row=4, column=column(ws, "lead_date")).value = "2026年1月5日"


# case → (change, extra findings expected as (rule, row, column key))
CLEAN_CASES = {"bloated-used-range": bloat, "blank-rows-inside": blank_rows, "merged-title-block": title_block,
               "two-header-rows": two_header_rows, "hidden-sheet-rows-columns": hidden_everything,
               "numbers-and-dates-as-text-or-serials": typed_as_text}


@pytest.mark.parametrize("case", CLEAN_CASES)
def test_mess_that_needs_no_action_gives_no_finding(clean, tmp_path, case):
    messy = edited(clean, tmp_path, CLEAN_CASES[case])
    assert keys(check_files([messy], AS_OF)) == keys(check_files([clean], AS_OF))
    assert frame_values(messy) == frame_values(clean)


def test_blank_rows_keep_excel_row_numbers(clean, tmp_path):
    frame = read_ledger(edited(clean, tmp_path, blank_rows)).frames["projects"]
    assert frame["_row"].tolist() == [2, 5, 6]


def test_bloated_sheet_costs_only_its_real_rows(clean, tmp_path):
    frame = read_ledger(edited(clean, tmp_path, bloat)).frames["projects"]
    assert len(frame) == 3


def findings_on(path: Path) -> dict[tuple[str, str], object]:
    return {(f.rule, f.cell): f for f in check_files([path], AS_OF).findings}


def test_long_text_and_emoji_survive(clean, tmp_path):
    messy = edited(clean, tmp_path, lambda ws: setattr(ws.cell(row=3, column=column(ws, "customer")), "value", LONG))
    frame = read_ledger(messy).frames["projects"]
    assert frame.loc[frame["project_id"] == "KA-2", "customer"].item() == LONG
    assert keys(check_files([messy], AS_OF)) == keys(check_files([clean], AS_OF))


def test_duplicate_header_is_a_warning_and_the_first_column_wins(clean, tmp_path):
    def duplicate(ws):
        at = ws.max_column + 1
        ws.cell(row=1, column=at).value = SPEC.column("customer").title
        for row in range(2, 5):
            ws.cell(row=row, column=at).value = "复制的旧客户名"
    messy = edited(clean, tmp_path, duplicate)
    found = findings_on(messy)
    letter = get_column_letter(len(SPEC.columns) + 1)
    assert ("SCH-011", f"{TITLE}!{letter}1") in {(r, c.replace("'", "")) for r, c in found}
    assert read_ledger(messy).frames["projects"]["customer"].tolist() == ["KA-1 客户", "KA-2 客户", "KA-3 客户"]


def test_error_values_are_unreadable_cells(clean, tmp_path):
    def errors(ws):
        ws.cell(row=3, column=column(ws, "estimated_amount")).value = "#DIV/0!"
        ws.cell(row=4, column=column(ws, "expected_close")).value = "#N/A"
    messy = edited(clean, tmp_path, errors)
    book = openpyxl.load_workbook(messy)
    ws = book[TITLE]
    amount = f"{get_column_letter(column(ws, 'estimated_amount'))}3"
    close = f"{get_column_letter(column(ws, 'expected_close'))}4"
    found = {(f.rule, f.cell.split("!")[-1]): f for f in check_files([messy], AS_OF).findings}
    assert ("SCH-004", amount) in found and "#DIV/0!" in found[("SCH-004", amount)].message_zh
    assert ("SCH-004", close) in found and "#N/A" in found[("SCH-004", close)].message_zh
    assert found[("SCH-004", amount)].row == 3 and found[("SCH-004", amount)].project_id == "KA-2"


def test_formula_without_cached_value_is_sch010_and_empty(clean, tmp_path):
    def formula(ws):  # openpyxl writes formulas without a cached value, like many non-Excel tools
        ws.cell(row=2, column=column(ws, "expected_close")).value = "=DATE(2026,6,30)"
    messy = edited(clean, tmp_path, formula)
    letter = get_column_letter(column(openpyxl.load_workbook(messy)[TITLE], "expected_close"))
    found = {(f.rule, f.cell.split("!")[-1]): f for f in check_files([messy], AS_OF).findings}
    assert ("SCH-010", f"{letter}2") in found
    assert found[("SCH-010", f"{letter}2")].severity == "warning"
    frame = read_ledger(messy).frames["projects"]
    assert frame["expected_close"].isna().all()  # treated as empty
