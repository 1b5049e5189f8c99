"""Rules and scores are plain functions of (frames, settings, as_of).

The sample ledger (40 projects, a deliberate mistake of every kind) is rewritten with every
sheet's rows shuffled, and split into two ledgers by project; checking either must give the
same findings (up to the cell each one points at, which moves with its row), alerts, project
scores, receivables and KPIs as the original. Running the check twice gives identical output.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest
import xlsxwriter
from python_calamine import CalamineWorkbook

from kaxl.api import check_files
from kaxl.reports.jsonout import dumps, to_document
from tests.ledger_factory import write_cell

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample_ledgers" / "kaxl-sample.xlsx"
AS_OF = dt.date(2026, 11, 16)
# How the split below sends each sheet's rows to a project's file: by the row's own 项目编号, or by
# following another sheet's row (this sheet's column → that sheet's row with the same value there) to
# that row's project. Sheets not listed (contacts, settings, calendar) are copied into each file.
# A lead of no project goes to one file (see part()).
OWN = ("项目编号", None, None)
FOLLOWS: dict[str, tuple[str, str | None, str | None]] = {
    "项目台账 Projects": OWN, "立项评估 Initiation": OWN, "干系人地图 Stakeholders": OWN,
    "方案投标 Proposal & Bid": OWN, "合同 Contracts": OWN, "风险登记 Risks": OWN,
    "线索登记 Leads": OWN, "拜访记录 Visits": OWN, "问题与投诉 Issues": OWN,
    "回款台账 Receivables": ("合同编号", "合同 Contracts", "合同编号"),  # its contract's project
    "交付里程碑 Delivery": ("合同编号", "合同 Contracts", "合同编号"),
    "客户健康度 Health": ("客户名称", "项目台账 Projects", "客户名称"),  # its customer's first project
}


def _column(header: list, prefix: str) -> int:
    return header.index(next(h for h in header if str(h).startswith(prefix)))


def _key(value: object) -> object:
    return value.strip() if isinstance(value, str) else value  # typed with a stray (full-width) space


def project_of(sheets: dict[str, list[list]], name: str):
    """row of sheet ``name`` → the project id it belongs to, through :data:`FOLLOWS`."""
    own, parent, parent_column = FOLLOWS[name]
    column = _column(sheets[name][0], own)
    if parent is None:
        return lambda row: _key(row[column])
    rows, parent_of = sheets[parent], project_of(sheets, parent)
    key_at = _column(rows[0], parent_column)
    first: dict = {}
    for row in rows[1:]:
        first.setdefault(_key(row[key_at]), parent_of(row))
    return lambda row: first.get(_key(row[column]))


def sheets_of(path: Path) -> dict[str, list[list]]:
    book = CalamineWorkbook.from_path(str(path))
    return {name: book.get_sheet_by_name(name).to_python(skip_empty_area=False) for name in book.sheet_names}


def write(path: Path, sheets: dict[str, list[list]]) -> Path:
    book = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False, "strings_to_formulas": False})
    dates = book.add_format({"num_format": "yyyy-mm-dd"})
    for name, rows in sheets.items():
        ws = book.add_worksheet(name)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if value not in ("", None):
                    write_cell(ws, r, c, value, dates)
    book.close()
    return path


def shuffled(sheets: dict[str, list[list]], seed: int) -> dict[str, list[list]]:
    rng = random.Random(seed)
    out = {}
    for name, rows in sheets.items():
        header, body = rows[:1], [row for row in rows[1:] if any(v not in ("", None) for v in row)]
        rng.shuffle(body)
        out[name] = header + body
    return out


def comparable(result) -> dict:
    """Everything a check says, minus where a finding's row happens to be."""
    # SCH-010 (a formula without a cached value) cannot survive a rewrite through a value reader
    findings = Counter((f.rule, f.severity, f.project_id, f.sheet, f.column, f.owner, f.due_date, f.message_zh,
                        f.message_en) for f in result.findings if f.rule != "SCH-010")
    alerts = result.alerts.drop(columns=[c for c in result.alerts.columns if c in ("row", "cell", "file")])
    alerts = alerts.astype(str).sort_values(list(alerts.columns)).reset_index(drop=True)
    projects = result.projects.drop(columns=[c for c in result.projects.columns if c.startswith("_") or c in
                                             ("row", "cell", "file", "deductions")], errors="ignore")
    projects = projects.astype(str).sort_values(list(projects.columns)).reset_index(drop=True)
    receivables = result.receivables.drop(columns=[c for c in result.receivables.columns if c.startswith("_")
                                                   or c in ("row", "cell", "file")], errors="ignore")
    receivables = receivables.astype(str).sort_values(list(receivables.columns)).reset_index(drop=True)
    return {"findings": findings, "alerts": alerts, "projects": projects, "receivables": receivables,
            "kpis": repr(result.kpis)}


def assert_same(a: dict, b: dict) -> None:
    assert a["findings"] == b["findings"]
    for key in ("alerts", "projects", "receivables"):
        pd.testing.assert_frame_equal(a[key], b[key])
    assert a["kpis"] == b["kpis"]


@pytest.fixture(scope="module")
def original():
    return comparable(check_files([SAMPLE], AS_OF))


@pytest.mark.parametrize("seed", [1, 2])
def test_shuffled_rows_give_the_same_results(tmp_path, original, seed):
    path = write(tmp_path / "shuffled.xlsx", shuffled(sheets_of(SAMPLE), seed))
    assert_same(comparable(check_files([path], AS_OF)), original)


def test_one_ledger_or_two_is_the_same_portfolio(tmp_path, original):
    sheets = sheets_of(SAMPLE)
    projects = sheets["项目台账 Projects"]
    ids = [row[0] for row in projects[1:] if row and row[0]]
    east = set(ids[::2])  # every other project to the 华东 file, the rest to 华南

    def part(keep) -> dict[str, list[list]]:
        out = {}
        for name, rows in sheets.items():
            if name in FOLLOWS:
                of = project_of(sheets, name)
                out[name] = rows[:1] + [row for row in rows[1:] if keep(of(row))]
            else:
                out[name] = rows  # contacts, settings, calendar: each region keeps its own copy
        return out

    for name in ("交付里程碑 Delivery", "客户健康度 Health"):  # each row finds its project (receivables has a
        of = project_of(sheets, name)                            # deliberate dangling contract id, SCH-007)
        assert [row for row in sheets[name][1:] if any(row) and of(row) is None] == [], name
    assert {project_of(sheets, "客户健康度 Health")(row) in east for row in sheets["客户健康度 Health"][1:]} == {True, False}
    a = write(tmp_path / "华东.xlsx", part(lambda pid: pid in east))
    b = write(tmp_path / "华南.xlsx", part(lambda pid: pid not in east))
    split = comparable(check_files([a, b], AS_OF))
    # the copied contacts/settings/calendar tabs, and a sheet's unknown column (SCH-009), are in both
    # files: the same findings, each possibly once per file
    shared_tabs = ("通讯录 Contacts", "参数 Settings", "日历 Calendar")

    def per_file(key: tuple) -> bool:
        return key[3] in shared_tabs or key[0] == "SCH-009"

    shared = {k for k in split["findings"] if per_file(k)}
    assert shared == {k for k in original["findings"] if per_file(k)}
    mine = Counter({k: v for k, v in split["findings"].items() if not per_file(k)})
    theirs = Counter({k: v for k, v in original["findings"].items() if not per_file(k)})
    assert mine == theirs
    for key in ("projects", "receivables"):
        pd.testing.assert_frame_equal(split[key], original[key])
    assert split["kpis"] == original["kpis"]


def test_the_same_input_gives_byte_identical_json():
    first = dumps(to_document(check_files([SAMPLE], AS_OF)))
    second = dumps(to_document(check_files([SAMPLE], AS_OF)))
    assert first == second
