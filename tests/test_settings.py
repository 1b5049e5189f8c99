"""Thresholds typed in the 参数 Settings tab change the results; what cannot be used is SET-001.

One clean project (tests/sop_cases.py) made slightly late in three ways — initiation form one
working day late, a key person 45 days without contact, a receivable 40 days overdue — is
checked with the default settings and with the Settings tab changed.
"""

from __future__ import annotations

import datetime as dt

import pytest

from kaxl.api import check_files
from tests.ledger_factory import d, write_ledger
from tests.sop_cases import project_rows, with_changes

AS_OF = d("2026-11-16")


def ledger(tmp_path, settings: list[dict] | None = None, name: str = "台账.xlsx", pid: str = "KA-1", **extra):
    rows = project_rows(pid, stage="签约", status="进行中", as_of=AS_OF)  # signed, still active
    rows = with_changes(rows, {
        "projects": {"lead_date": d("2026-09-28")},
        "initiation": {"form_date": d("2026-10-09"), "review_date": d("2026-10-12"), "crm_date": d("2026-10-12")},
        "bids": {"briefing_date": d("2026-10-13"), "bid_date": d("2026-10-20"),
                 "price_approval_date": d("2026-10-13"), "sealed_date": d("2026-10-15")},
        "contracts": {"signed_date": d("2026-10-21"), "legal_signoff": d("2026-10-21"),
                      "finance_signoff": d("2026-10-21"), "handover_date": d("2026-10-22"),
                      "archived_date": d("2026-10-22")},
        "stakeholders": {"last_contact": AS_OF - dt.timedelta(days=45)},
    })
    rows["receivables"][0].update(due_date=AS_OF - dt.timedelta(days=40), received_date=None, amount_received=None,
                                  invoice_date=AS_OF - dt.timedelta(days=45))
    if settings is not None:
        rows["settings"] = settings
    for sheet, more in extra.items():
        rows.setdefault(sheet, []).extend(more)
    return write_ledger(tmp_path / name, rows)


def rules(result) -> dict[str, object]:
    return {f.rule: f for f in result.findings}


@pytest.fixture
def default(tmp_path):
    return check_files([ledger(tmp_path)], AS_OF)


def test_defaults(default):
    found = rules(default)
    assert {"INI-001", "STK-002", "PAY-003"} <= set(found)
    assert found["PAY-003"].escalation_level == 2  # 40 days: 31-60 → L2
    assert "SET-001" not in found


@pytest.mark.parametrize("key, value, gone", [
    ("initiation_form_days", "4", "INI-001"),       # 3 → 4 working days: the form is on time
    ("stakeholder_contact_days", "60", "STK-002"),  # 30 → 60 days: 45 days is fine
])
def test_a_threshold_in_the_tab_changes_the_result(tmp_path, key, value, gone):
    result = check_files([ledger(tmp_path, [{"key": key, "value": value}])], AS_OF)
    assert gone not in rules(result) and "SET-001" not in rules(result)


def test_escalation_ladder_from_the_tab(tmp_path):
    result = check_files([ledger(tmp_path, [{"key": "escalation_days", "value": "1,15,30,90"}])], AS_OF)
    assert rules(result)["PAY-003"].escalation_level == 3  # 40 days is now L3


@pytest.mark.parametrize("typed", ["三天", "-1", "3.5天"])
def test_unreadable_value_is_set001_on_its_cell_and_the_default_is_used(tmp_path, typed):
    result = check_files([ledger(tmp_path, [{"key": "initiation_form_days", "value": typed}])], AS_OF)
    found = rules(result)
    assert found["SET-001"].sheet == "参数 Settings" and found["SET-001"].cell.endswith("!B2")
    assert found["SET-001"].severity == "warning" and typed in found["SET-001"].message_zh
    assert "INI-001" in found  # the default 3 working days applies


def test_unknown_setting_is_set001_on_the_key_cell(tmp_path):
    result = check_files([ledger(tmp_path, [{"key": "reminder_hour", "value": "9"}])], AS_OF)
    (finding,) = [f for f in result.findings if f.rule == "SET-001"]
    assert finding.cell.endswith("!A2") and "reminder_hour" in finding.message_zh


def test_unknown_year_is_cal001_unless_weekends_fallback(tmp_path):
    late = {"projects": [{"project_id": "KA-2027", "customer": "明年客户", "account_manager": "张伟",
                          "stage": "立项", "status": "进行中", "lead_date": d("2027-03-01"),
                          "estimated_amount": 500_000}]}
    strict = check_files([ledger(tmp_path, None, "a.xlsx", **late)], d("2027-03-20"))
    assert "CAL-001" in rules(strict)
    assert not [f for f in strict.findings if f.rule == "INI-001" and f.project_id == "KA-2027"]  # not guessed
    relaxed = check_files([ledger(tmp_path, [{"key": "calendar_fallback", "value": "weekends"}], "b.xlsx", **late)],
                          d("2027-03-20"))
    assert "CAL-001" not in rules(relaxed)
    (ini,) = [f for f in relaxed.findings if f.rule == "INI-001" and f.project_id == "KA-2027"]
    assert ini.due_date == d("2027-03-04")  # Mon + 3 weekdays


def test_two_ledgers_with_different_settings(tmp_path):
    east = ledger(tmp_path, [{"key": "stakeholder_contact_days", "value": "60"}], "华东.xlsx", "KA-E")
    south = ledger(tmp_path, [{"key": "stakeholder_contact_days", "value": "20"}], "华南.xlsx", "KA-S")
    result = check_files([east, south], AS_OF)
    conflicts = [f for f in result.findings if f.rule == "SET-001"]
    assert len(conflicts) == 1 and conflicts[0].file.endswith("华南.xlsx")
    assert "华东.xlsx" in conflicts[0].message_zh and "60" in conflicts[0].message_zh
    assert not [f for f in result.findings if f.rule == "STK-002"]  # the first file's 60 days applies to both
    assert not [f for f in result.findings if f.rule == "SCH-006"]  # each file may carry its own Settings tab
