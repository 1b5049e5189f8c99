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
PROJECT_KEYED = {"项目台账 Projects", "立项评估 Initiation", "干系人地图 Stakeholders", "方案投标 Proposal & Bid",
                 "合同 Contracts", "风险登记 Risks",
                 "线索登记 Leads", "拜访记录 Visits"}  # a lead of no project goes to one file (see part())


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
            if name in PROJECT_KEYED:
                column = rows[0].index(next(h for h in rows[0] if str(h).startswith("项目编号")))
                out[name] = rows[:1] + [row for row in rows[1:] if keep(row[column])]
            elif name == "回款台账 Receivables":
                contracts = sheets["合同 Contracts"]
                owner = {row[0]: row[1] for row in contracts[1:]}
                out[name] = rows[:1] + [row for row in rows[1:] if keep(owner.get(row[0]))]
            else:
                out[name] = rows  # contacts, settings, calendar: each region keeps its own copy
        return out

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
