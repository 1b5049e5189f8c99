"""Every SCH rule on a real .xlsx written here: rule, sheet, row, column and cell, and a message
that quotes what was typed. Plus the pandera schema itself: derived from kaxl.contract.columns, so a
column added there is validated without a line changed here.

SCH-010 (formula without cached value) and SCH-011 (duplicate header) are covered the same way
in tests/test_messy.py; SCH-003/005/006/008 semantics in tests/test_schema_rules.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import xlsxwriter

from kaxl.api import check_files
from kaxl.contract.columns import SHEETS, sheet
from kaxl.validators.schema import schema_for
from tests.ledger_factory import d, write_ledger

AS_OF = d("2026-03-20")
P, S, R = "项目台账 Projects", "干系人地图 Stakeholders", "回款台账 Receivables"


def project(pid: str, **extra) -> dict:
    return {"project_id": pid, "customer": "安徽省人民医院", "account_manager": "张伟", "stage": "方案",
            "status": "进行中", "lead_date": d("2026-01-05"), "estimated_amount": 100_000} | extra


def without_customer_column(path: Path) -> Path:
    book = xlsxwriter.Workbook(str(path))
    for key in ("projects", "initiation", "stakeholders", "receivables"):
        spec = sheet(key)
        ws = book.add_worksheet(spec.title)
        columns = [c for c in spec.columns if not (key == "projects" and c.key == "customer")]
        for i, column in enumerate(columns):
            ws.write_string(0, i, column.title)
            if key == "projects" and project("P1").get(column.key) is not None:
                ws.write_string(1, i, str(project("P1")[column.key]))
    book.close()
    return path


# case: (writer, (rule, sheet, row, column header starts with, cell), text the message must quote)
CASES = {
    "SCH-001 required sheet missing": (
        lambda p: write_ledger(p, {"projects": [project("P1")]}, include=["projects", "initiation", "stakeholders"]),
        ("SCH-001", R, None, None, None), "回款台账"),
    "SCH-002 required column missing": (
        without_customer_column, ("SCH-002", P, 1, "客户名称", f"'{P}'!A1"), "客户名称"),
    "SCH-003 required cell empty": (
        lambda p: write_ledger(p, {"projects": [project("P1", account_manager=None)]}),
        ("SCH-003", P, 2, "销售经理", f"'{P}'!G2"), "销售经理"),
    "SCH-004 unreadable date": (
        lambda p: write_ledger(p, {"projects": [project("P1", lead_date="2026-13-05")]}),
        ("SCH-004", P, 2, "线索日期", f"'{P}'!L2"), "2026-13-05"),
    "SCH-004 unreadable money": (
        lambda p: write_ledger(p, {"projects": [project("P1", estimated_amount="约两百万")]}),
        ("SCH-004", P, 2, "预估金额", f"'{P}'!M2"), "约两百万"),
    "SCH-005 not an allowed value": (
        lambda p: write_ledger(p, {"projects": [project("P1", stage="谈判")]}),
        ("SCH-005", P, 2, "当前阶段", f"'{P}'!J2"), "谈判"),
    "SCH-006 duplicate key": (
        lambda p: write_ledger(p, {"projects": [project("P1"), project("P2"), project("P1")]}),
        ("SCH-006", P, 4, "项目编号", f"'{P}'!A4"), "P1"),
    "SCH-007 unknown reference": (
        lambda p: write_ledger(p, {"projects": [project("P1")], "stakeholders": [{"project_id": "P9", "name": "赵总"}]}),
        ("SCH-007", S, 2, "项目编号", f"'{S}'!A2"), "P9"),
    "SCH-008 out of range": (
        lambda p: write_ledger(p, {"projects": [project("P1", estimated_amount=-5)]}),
        ("SCH-008", P, 2, "预估金额", f"'{P}'!M2"), "-5"),
    "SCH-009 unknown column": (
        lambda p: write_ledger(p, {"projects": [project("P1", 备注="老客户")]}),
        ("SCH-009", P, 1, "备注", f"'{P}'!R1"), "备注"),
    "SCH-012 no data yet": (
        lambda p: write_ledger(p, {"projects": [project("P1")]}),
        ("SCH-012", R, 2, None, f"'{R}'!A2"), "回款台账"),
}


@pytest.mark.parametrize("case", CASES)
def test_each_schema_rule_on_its_cell(tmp_path, case):
    writer, (rule, sheet_title, row, column, cell), quoted = CASES[case]
    path = writer(tmp_path / "台账.xlsx")
    found = [f for f in check_files([path], AS_OF).findings if f.rule == rule]
    assert found, f"{rule} did not fire"
    f = next(x for x in found if x.sheet == sheet_title)
    assert (f.row, f.cell) == (row, cell)
    assert (f.column or "").startswith(column or "")
    assert quoted in f.message_zh and f.message_en and f.file.endswith("台账.xlsx")


def test_a_missing_column_is_one_finding_not_one_per_row(tmp_path):
    result = check_files([without_customer_column(tmp_path / "台账.xlsx")], AS_OF)
    assert [f.rule for f in result.findings if f.sheet == P and f.rule.startswith("SCH")] == ["SCH-002"]


@pytest.mark.parametrize("spec", SHEETS, ids=[s.key for s in SHEETS])
def test_pandera_schema_is_derived_from_the_column_definitions(spec):
    schema = schema_for(spec)
    assert list(schema.columns) == [c.key for c in spec.columns]
    for column in spec.columns:
        declared = schema.columns[column.key]
        assert declared.nullable is (not column.required)
        names = {check.name for check in declared.checks}
        assert ("isin" in names) == bool(column.choices and not column.open_choices), column.key
        assert ("greater_than_or_equal_to" in names) == (column.min is not None), column.key
        assert ("less_than_or_equal_to" in names) == (column.max is not None), column.key
        assert declared.unique is (column.unique and not spec.per_file)
    if spec.unique_together:
        assert list(schema.unique) == list(spec.unique_together)
    if spec.per_file and any(c.unique for c in spec.columns):
        assert "_src" in schema.unique  # unique within each file of a portfolio
