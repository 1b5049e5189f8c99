"""The reader is forgiving about layout: the same data laid out the ways people lay it out
gives the same check result, with no spurious finding.

The clean sample ledger (values already typed the way people type them: 2026年9月3日,
¥560,000.00, 高层 next to director, 是/否 …) is rewritten with a title block above the
headers, every sheet's columns shuffled, headers in Chinese only / English only / as keys,
and tabs named by their Chinese or English name only. The check of the rewritten ledger must
equal the check of the original, finding for finding and score for score.
"""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

import pytest
import xlsxwriter
from click.testing import CliRunner
from python_calamine import CalamineWorkbook

from kaxl.api import check_files
from kaxl.cli import main
from kaxl.contract.columns import SHEETS

ROOT = Path(__file__).resolve().parents[1]
CLEAN = ROOT / "sample_ledgers" / "kaxl-sample-clean.xlsx"
AS_OF = dt.date(2026, 11, 16)

# (header form, tab name form, title rows above the header) per sheet, cycling through SHEETS.
LAYOUTS = [("zh", "zh", 2), ("en", "en", 0), ("key", "title", 1), ("title", "en", 3)]


def _label(column_key: str, spec, form: str) -> str:
    if column_key not in {c.key for c in spec.columns}:
        return column_key
    col = spec.column(column_key)
    return {"zh": col.zh, "en": col.en, "key": col.key, "title": col.title}[form]


def _relayout(src: Path, dst: Path, seed: int) -> None:
    """Rewrite ``src`` with title blocks, shuffled columns and other header/tab name forms."""
    rng = random.Random(seed)
    book = CalamineWorkbook.from_path(str(src))
    by_title = {s.title: s for s in SHEETS}
    out = xlsxwriter.Workbook(str(dst), {"strings_to_formulas": False, "strings_to_numbers": False})
    date_fmt = out.add_format({"num_format": "yyyy/m/d"})
    title_fmt = out.add_format({"bold": True, "font_size": 14})
    for i, name in enumerate(book.sheet_names):
        spec = by_title[name]
        header_form, tab_form, title_rows = LAYOUTS[i % len(LAYOUTS)]
        rows = book.get_sheet_by_name(name).to_python()
        keys = [spec.columns[j].key for j in range(len(rows[0]))]
        order = list(range(len(keys)))
        rng.shuffle(order)
        ws = out.add_worksheet({"zh": spec.zh, "en": spec.en, "title": spec.title}[tab_form])
        if title_rows:
            ws.merge_range(0, 0, 0, 3, f"{spec.zh}（华东区 2026 年）", title_fmt)
            if title_rows > 2:
                ws.write_string(1, 0, "制表：商务部　更新于 2026-11-16")
        for new_col, old_col in enumerate(order):
            ws.write_string(title_rows, new_col, _label(keys[old_col], spec, header_form))
        for r, row in enumerate(rows[1:], start=title_rows + 1):
            for new_col, old_col in enumerate(order):
                value = row[old_col]
                if value == "" or value is None:
                    continue
                if isinstance(value, dt.date):
                    value = value if isinstance(value, dt.datetime) else dt.datetime(value.year, value.month, value.day)
                    ws.write_datetime(r, new_col, value, date_fmt)
                elif isinstance(value, str):
                    ws.write_string(r, new_col, value)
                else:
                    ws.write_number(r, new_col, value)
    out.close()


def _signature(result) -> dict:
    """What must not depend on layout: findings by rule/project/column, scores, alerts."""
    findings = sorted((f.rule, f.project_id or "", f.column or "", f.message_en) for f in result.findings)
    projects = result.projects.sort_values("project_id").reset_index(drop=True)
    score_cols = [c for c in ("project_id", "qualification_score", "grade", "process_score", "coverage",
                              "next_node", "next_node_due") if c in projects.columns]
    alerts = sorted(tuple(str(v) for v in row) for row in
                    result.alerts.drop(columns=[c for c in result.alerts.columns if c in ("cell", "sheet", "row")])
                    .itertuples(index=False))
    return {"findings": findings, "projects": projects[score_cols].astype(str).values.tolist(), "alerts": alerts}


@pytest.mark.parametrize("seed", [1, 2])
def test_relaid_out_ledger_reads_the_same(tmp_path: Path, seed: int) -> None:
    moved = tmp_path / f"华东区KA台账2026({seed}).xlsx"
    _relayout(CLEAN, moved, seed)
    original = check_files([CLEAN], AS_OF)
    relaid = check_files([moved], AS_OF)
    assert [f for f in relaid.findings if f.severity in ("error", "warning")] == []
    assert _signature(relaid) == _signature(original)
    assert len(relaid.projects) == len(original.projects) == 40


def test_workbook_that_is_not_a_ledger_gives_sch_findings_and_exit_1(tmp_path: Path) -> None:
    """Wrong tabs (somebody's expense report) and an empty workbook: SCH-001, exit 1, no traceback."""
    expenses = tmp_path / "报销单.xlsx"
    book = xlsxwriter.Workbook(str(expenses))
    ws = book.add_worksheet("报销明细")
    ws.write_row(0, 0, ["日期", "事由", "金额"])
    ws.write_row(1, 0, ["2026-11-02", "出差", 1200])
    book.close()
    empty = tmp_path / "空白.xlsx"
    xlsxwriter.Workbook(str(empty)).close()
    for path in (expenses, empty):
        run = CliRunner().invoke(main, ["check", str(path), "--as-of", "2026-11-16", "--json"])
        assert run.exit_code == 1, run.output
        assert "Traceback" not in run.output
        result = check_files([path], AS_OF)
        missing = sorted(f.sheet for f in result.findings if f.rule == "SCH-001")
        assert missing == sorted(s.title for s in SHEETS if s.required)
        assert all(f.severity == "error" and f.file and Path(f.file).name == path.name
                   for f in result.findings if f.rule == "SCH-001")
