"""`kaxl template` for SPEC §7's field sheets: 线索登记 Leads and 拜访记录 Visits with bilingual
headers, a dropdown for every enum, the project_id dropdown fed from the projects sheet, date
formats and input hints; the Settings tab lists every §7 setting with SPEC's default, and each of
them (ka_min_amount too) is a known setting, never a SET-001.

Expected values are written from SPEC §7 here, not read from kaxl.contract, so a column or
setting that drifts from the spec fails. The template is re-opened with openpyxl.
"""

from __future__ import annotations

import datetime as dt
import warnings
from pathlib import Path

import openpyxl
import pytest

from kaxl.api import check_files
from kaxl.reports.template import LISTS_TITLE, XLSX_NAME, write_template
from tests.field_ledgers import field_sheets
from tests.ledger_factory import write_ledger
from tests.test_template import column_formats

# SPEC §7: key → (Chinese label, enum values as Chinese labels or None, type)
LEADS = {
    "lead_id": ("线索编号", None, "text"), "customer": ("客户名称", None, "text"),
    "source": ("线索来源", ["展会", "转介绍", "招标平台", "官网", "数据平台", "其他"], "enum"),
    "registered_date": ("登记日期", None, "date"), "owner": ("负责人", None, "text"),
    "industry": ("行业", None, "text"), "estimated_amount": ("预估金额", None, "money"),
    "screened_date": ("初筛日期", None, "date"), "grade": ("分级", ["A", "B", "C"], "enum"),
    "result": ("处理结果", ["转立项", "培育", "暂不跟进", "放弃"], "enum"), "project_id": ("项目编号", None, "ref"),
    "admission_applied": ("准入申请日期", None, "date"), "admission_approved": ("准入审批日期", None, "date"),
    "admission_approver": ("准入审批人", None, "text"),
}
VISITS = {
    "project_id": ("项目编号", None, "ref"), "visit_date": ("拜访日期", None, "date"),
    "visitor": ("拜访人", None, "text"), "kind": ("方式", ["面谈", "电话", "视频", "活动"], "enum"),
    "contacts": ("拜访对象", None, "text"), "plan_date": ("计划日期", None, "date"),
    "record_date": ("记录日期", None, "date"), "purpose": ("目的", None, "text"), "outcome": ("结果", None, "text"),
    "next_step": ("下一步", None, "text"), "next_date": ("下次跟进日期", None, "date"),
}
SHEETS = {"线索登记 Leads": LEADS, "拜访记录 Visits": VISITS}
REQUIRED = {"线索登记 Leads": {"lead_id", "customer", "registered_date", "owner"},
            "拜访记录 Visits": {"project_id", "visit_date", "visitor", "kind"}}
# SPEC §7 "New settings (defaults)"
SETTINGS_7 = {"lead_screen_days": "2", "visit_plan_days": "3", "visit_record_days": "1", "visit_cadence_days": "30",
              "delivery_confirm_days": "5", "delivery_report_days": "7", "overrun_tolerance": "0.1",
              "health_threshold": "80", "health_review_days": "90", "health_weights": "0.4,0.3,0.3",
              "issue_escalation_days": "3,7", "complaint_reply_days": "2", "complaint_resolve_days": "5",
              "ka_min_amount": "0", "target_delivery_on_time": "0.9", "target_csat": "85",
              "target_health_ok": "0.9", "target_complaint_on_time": "0.9", "target_visit_cadence": "0.9"}
# every one set away from its default, typed as people type them
CHANGED = {"lead_screen_days": "3", "visit_plan_days": "2", "visit_record_days": "2", "visit_cadence_days": "45",
           "delivery_confirm_days": "4", "delivery_report_days": "14", "overrun_tolerance": "15%",
           "health_threshold": "75", "health_review_days": "60", "health_weights": "0.5，0.25，0.25",
           "issue_escalation_days": "2,5", "complaint_reply_days": "1", "complaint_resolve_days": "3",
           "ka_min_amount": "150万", "target_delivery_on_time": "95%", "target_csat": "90",
           "target_health_ok": "0.8", "target_complaint_on_time": "0.85", "target_visit_cadence": "80%"}


@pytest.fixture(scope="module")
def book(tmp_path_factory) -> tuple[Path, openpyxl.Workbook]:
    path = write_template(tmp_path_factory.mktemp("tpl-field") / XLSX_NAME)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return path, openpyxl.load_workbook(path)


def _validations(ws) -> dict[str, object]:
    return {str(dv.sqref).split(":")[0]: dv for dv in ws.data_validations.dataValidation}


@pytest.mark.parametrize("title", list(SHEETS))
def test_field_sheet_headers_dropdowns_and_formats(book, title) -> None:
    path, wb = book
    ws, spec = wb[title], SHEETS[title]
    headers = [c.value for c in ws[1]]
    assert len(headers) == len(spec)
    formats = column_formats(path, title)
    validations = _validations(ws)
    for n, (key, (zh, choices, kind)) in enumerate(spec.items()):
        letter = openpyxl.utils.get_column_letter(n + 1)
        header = headers[n]
        assert header.startswith(zh) and " " in header, header  # Chinese first, English beside it
        assert header.endswith("✱") == (key in REQUIRED[title]), header
        assert ws.freeze_panes == "A2"
        if choices is not None:
            dv = validations[f"{letter}2"]
            assert dv.type == "list", key
            sheet_name, ref = dv.formula1.split("!")
            assert LISTS_TITLE in sheet_name
            assert [c.value for row in wb[LISTS_TITLE][ref.replace("$", "")] for c in row] == choices, key
            assert dv.prompt and dv.showInputMessage, f"{key}: no input hint"
        elif kind == "ref":
            dv = validations[f"{letter}2"]
            assert dv.type == "list" and dv.formula1 == "'项目台账 Projects'!$A$2:$A$1048576", dv.formula1
            assert not dv.showErrorMessage, "an id of another ledger of the portfolio must stay allowed"
            assert dv.prompt, "project_id: no input hint"
        elif kind == "text":
            assert f"{letter}2" not in validations, f"{key}: free text needs no dropdown"
        if kind == "date":
            assert formats[n] == "yyyy-mm-dd", (key, formats[n])
        if kind == "money":
            assert formats[n] == "#,##0.00", (key, formats[n])


def test_hints_say_the_deadlines(book) -> None:
    """The header notes carry the SOP deadlines where the user types the date."""
    _, wb = book
    leads, visits = wb["线索登记 Leads"], wb["拜访记录 Visits"]
    note = {c.value.split(" ")[0]: (c.comment.text if c.comment else "") for ws in (leads, visits) for c in ws[1]}
    assert "48" in note["初筛日期"]
    assert "3个工作日" in note["计划日期"] and "working days" in note["计划日期"]
    assert "24" in note["记录日期"]
    assert "、" in note["拜访对象"] and "new line" in note["拜访对象"]
    assert "项目台账" in note["项目编号"] or "Projects" in note["项目编号"]


def test_settings_tab_lists_every_section_7_setting_with_its_default(book) -> None:
    _, wb = book
    rows = {r[0]: r for r in wb["参数 Settings"].iter_rows(min_row=2, values_only=True) if r[0]}
    for key, default in SETTINGS_7.items():
        assert key in rows, f"{key} missing from the Settings tab"
        value = rows[key][1]
        if "," in default:
            assert str(value).replace(" ", "") == default, key
        else:
            assert float(value) == float(default), (key, value)
        assert rows[key][2] and any("\u4e00" <= ch <= "\u9fff" for ch in rows[key][2]), f"{key}: no Chinese note"


def test_every_section_7_setting_is_known_and_read(tmp_path) -> None:
    sheets = field_sheets()
    sheets["settings"] = [{"key": key, "value": value} for key, value in CHANGED.items()]
    result = check_files([write_ledger(tmp_path / "台账.xlsx", sheets)], dt.date(2026, 11, 18))
    assert [f.message_en for f in result.findings if f.rule == "SET-001"] == []
    s = result.settings
    assert s["ka_min_amount"] == 1_500_000 and s["lead_screen_days"] == 3 and s["visit_cadence_days"] == 45
    assert s["overrun_tolerance"] == pytest.approx(0.15) and s["target_visit_cadence"] == pytest.approx(0.8)
    assert list(s["health_weights"]) == [0.5, 0.25, 0.25] and list(s["issue_escalation_days"]) == [2, 5]
    # ka_min_amount acts: P1 and P2 (100万) are below 150万 and not 战略标杆 → PRJ-001; P3 (200万) is not
    assert sorted(f.project_id for f in result.findings if f.rule == "PRJ-001") == ["P1", "P2"]


def test_an_unknown_setting_is_still_reported(tmp_path) -> None:
    """The near miss: a key SPEC does not define is SET-001 (so the test above could fail)."""
    sheets = field_sheets()
    sheets["settings"] = [{"key": "ka_min_amout", "value": "50万"}]
    result = check_files([write_ledger(tmp_path / "台账.xlsx", sheets)], dt.date(2026, 11, 18))
    assert [f.rule for f in result.findings if f.rule == "SET-001"] == ["SET-001"]
