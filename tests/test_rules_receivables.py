"""PAY-001..005 and the installment table, on real .xlsx ledgers read through kaxl.api.check_files.

Every case is one contract with one installment, so what fires for it is exactly what that
installment's dates and amounts deserve; each rule has a case on each side of its deadline.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from pathlib import Path

import pandas as pd
import pytest

from kaxl.api import check_files
from kaxl.sop.engine import RuleContext
from kaxl.sop.installments import receivables as installment_table
from tests.ledger_factory import d, write_ledger

AS_OF = d("2026-06-15")
PAY_RULES = {"PAY-001", "PAY-002", "PAY-003", "PAY-004", "PAY-005"}


def days(n: int) -> dt.date:
    return AS_OF + dt.timedelta(days=n)


# name: (installment fields relative to AS_OF, the PAY rules that must fire, escalation level)
# Defaults: due +30, amount due 100,000, nothing received, invoiced 10 days before the due date.
CASES: dict[str, tuple[dict, set[str], int | None]] = {
    # PAY-001: warn within 7 calendar days before due.
    "due_in_7": ({"due": 7}, {"PAY-001"}, None),
    "due_in_1": ({"due": 1}, {"PAY-001"}, None),
    "due_in_8_not_yet": ({"due": 8}, set(), None),
    "due_in_3_paid": ({"due": 3, "received": 100_000, "received_on": -1}, set(), None),
    "due_in_3_within_tolerance": ({"due": 3, "received": 99_999.6, "received_on": -1}, set(), None),
    # PAY-002: due today.
    "due_today": ({"due": 0}, {"PAY-002"}, None),
    "due_today_paid": ({"due": 0, "received": 100_000, "received_on": 0}, set(), None),
    "due_yesterday": ({"due": -1}, {"PAY-003"}, 1),
    # PAY-003 and the ladder boundaries 30/31, 60/61, 90/91.
    "overdue_30": ({"due": -30}, {"PAY-003"}, 1),
    "overdue_31": ({"due": -31}, {"PAY-003"}, 2),
    "overdue_60": ({"due": -60}, {"PAY-003"}, 2),
    "overdue_61": ({"due": -61}, {"PAY-003"}, 3),
    "overdue_90": ({"due": -90}, {"PAY-003"}, 3),
    "overdue_91": ({"due": -91}, {"PAY-003"}, 4),
    "overdue_partly_paid": ({"due": -45, "received": 40_000, "received_on": -50}, {"PAY-003"}, 2),
    "past_due_paid_late": ({"due": -45, "received": 100_000, "received_on": -20}, set(), None),
    # PAY-004: no invoice by the due date, only once the due date is reached.
    "no_invoice_due_today": ({"due": 0, "invoice": None}, {"PAY-002", "PAY-004"}, None),
    "no_invoice_due_tomorrow": ({"due": 1, "invoice": None}, {"PAY-001"}, None),
    "invoice_on_due_date": ({"due": -3, "invoice": -3}, {"PAY-003"}, 1),
    "invoice_day_after_due": ({"due": -3, "invoice": -2}, {"PAY-003", "PAY-004"}, 1),
    "no_invoice_but_paid": ({"due": -3, "invoice": None, "received": 100_000, "received_on": -4}, set(), None),
    # PAY-005: more received than due, or received in the future.
    "over_received": ({"due": -5, "received": 100_001, "received_on": -6}, {"PAY-005"}, None),
    "received_exactly": ({"due": -5, "received": 100_000, "received_on": -6}, set(), None),
    "received_tomorrow": ({"due": 3, "received": 100_000, "received_on": 1}, {"PAY-005"}, None),
    "received_today": ({"due": 3, "received": 100_000, "received_on": 0}, set(), None),
}


def installment_row(contract_id: str, spec: dict, number: int = 1) -> dict:
    due = days(spec.get("due", 30))
    invoice = spec.get("invoice", spec.get("due", 30) - 10)
    row = {"contract_id": contract_id, "installment": number, "milestone": "验收款", "due_date": due,
           "amount_due": spec.get("amount", 100_000), "invoice_date": None if invoice is None else days(invoice)}
    if "received" in spec:
        row["amount_received"] = spec["received"]
        row["received_date"] = days(spec["received_on"])
    return row


def portfolio(cases: dict[str, tuple[dict, set[str], int | None]]) -> dict[str, list[dict]]:
    """One project and one contract per case, plus the contacts the escalation ladder names."""
    projects, contracts, receivables = [], [], []
    for name, (spec, _rules, _level) in cases.items():
        pid, cid = f"P-{name}", f"C-{name}"
        projects.append({"project_id": pid, "customer": f"客户{name}", "account_manager": "张三",
                         "commercial_ops": "李四", "stage": "回款", "status": "赢单", "lead_date": d("2025-06-01"),
                         "estimated_amount": 100_000})
        contracts.append({"contract_id": cid, "project_id": pid, "signed_date": d("2025-09-01"),
                          "amount": spec.get("amount", 100_000), "advance_ratio": 0.3})
        receivables.append(installment_row(cid, spec))
    contacts = [
        {"name": "张三", "role": "销售经理", "email": "zhangsan@example.com", "manager": "王强"},
        {"name": "李四", "role": "商务", "email": "lisi@example.com", "manager": "王强"},
        {"name": "王强", "role": "销售总监", "email": "wangqiang@example.com", "manager": "赵六"},
        {"name": "赵六", "role": "管理层", "email": "zhaoliu@example.com"},
    ]
    return {"projects": projects, "contracts": contracts, "receivables": receivables, "contacts": contacts}


def pay_findings(result, contract_id: str) -> list:
    return [f for f in result.findings if f.rule in PAY_RULES and f.contract_id == contract_id]


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    path = write_ledger(tmp_path_factory.mktemp("pay") / "ledger.xlsx", portfolio(CASES))
    return check_files(path, AS_OF)


@pytest.mark.parametrize("name", list(CASES))
def test_each_case_fires_exactly_its_rules(result, name):
    _spec, expected, level = CASES[name]
    found = pay_findings(result, f"C-{name}")
    assert sorted(f.rule for f in found) == sorted(expected), [f.message_en for f in found]
    overdue = [f for f in found if f.rule == "PAY-003"]
    assert [f.escalation_level for f in overdue] == ([level] if level else [])


def test_overdue_finding_carries_alert_fields_and_the_ladder(result):
    (finding,) = [f for f in pay_findings(result, "C-overdue_partly_paid") if f.rule == "PAY-003"]
    assert finding.severity == "error" and finding.owner_role == "AM" and finding.owner == "张三"
    assert finding.days == 45 and finding.escalation_level == 2
    assert finding.installment == 1 and finding.project_id == "P-overdue_partly_paid"
    assert finding.amount == pytest.approx(60_000)
    assert finding.due_date == days(-45)
    assert "逾期 45 天（L2：已升级至销售总监 王强）" in finding.message_zh
    assert "60,000 元" in finding.message_zh and "¥60,000" in finding.message_en
    assert "45 days overdue (L2: escalated to sales director 王强)" in finding.message_en
    assert finding.cell.endswith("!D" + str(finding.row)) and finding.sheet == "回款台账 Receivables"

    alerts = result.alerts[(result.alerts["rule"] == "PAY-003") & (result.alerts["contract_id"] == "C-overdue_partly_paid")]
    assert alerts[["kind", "days", "escalation_level", "installment"]].values.tolist() == [["finding", 45, 2, 1]]
    from kaxl.sop.engine import result_json

    (doc,) = [a for a in result_json(result)["alerts"]
              if a["rule"] == "PAY-003" and a["contract_id"] == "C-overdue_partly_paid"]
    assert [type(doc[k]) for k in ("days", "escalation_level", "installment")] == [int, int, int]
    assert doc["due_date"] == days(-45).isoformat() and doc["amount"] == 60_000


@pytest.mark.parametrize(("name", "expected"), [
    ("overdue_30", "L1：销售经理 张三、商务 李四 催收"),
    ("overdue_61", "L3：已升级至销售总监 王强、管理层 赵六"),
    ("overdue_91", "L4：坏账风险，已升级至管理层 赵六并转法务"),
])
def test_ladder_message_names_who_hears(result, name, expected):
    (finding,) = [f for f in pay_findings(result, f"C-{name}") if f.rule == "PAY-003"]
    assert expected in finding.message_zh


def test_owner_roles_and_severities(result):
    by_rule = {f.rule: f for f in result.findings if f.rule in PAY_RULES}
    assert {r: (f.severity, f.owner_role) for r, f in by_rule.items()} == {
        "PAY-001": ("warning", "AM"), "PAY-002": ("warning", "AM"), "PAY-003": ("error", "AM"),
        "PAY-004": ("warning", "CO"), "PAY-005": ("error", "CO")}
    assert by_rule["PAY-004"].owner == "李四" and by_rule["PAY-001"].owner == "张三"
    (warned,) = pay_findings(result, "C-due_in_7")
    assert warned.days == -7 and warned.due_date == days(7) and warned.amount == pytest.approx(100_000)


def test_upcoming_installments_are_alerts_not_findings(result):
    upcoming = result.alerts[result.alerts["kind"] == "upcoming"]
    pay = upcoming[upcoming["rule"] == "PAY-001"]
    # due +8 is beyond the 7-day warning window but within the coming week after it → upcoming, once.
    assert pay["contract_id"].tolist() == ["C-due_in_8_not_yet"]
    assert pay["days"].tolist() == [-8]
    # installments already warned by PAY-001 are not repeated as upcoming
    warned = result.alerts[(result.alerts["kind"] == "finding") & (result.alerts["rule"] == "PAY-001")]
    assert "C-due_in_8_not_yet" not in set(warned["contract_id"])
    assert "C-due_in_7" in set(warned["contract_id"])


def test_upcoming_window_ends_a_week_after_the_warning_window(tmp_path):
    cases = {"in_14": ({"due": 14}, set(), None), "in_15": ({"due": 15}, set(), None)}
    result = check_files(write_ledger(tmp_path / "l.xlsx", portfolio(cases)), AS_OF)
    upcoming = result.alerts[result.alerts["kind"] == "upcoming"]
    assert upcoming.loc[upcoming["rule"] == "PAY-001", "contract_id"].tolist() == ["C-in_14"]


def table_of(result) -> pd.DataFrame:
    table = installment_table(RuleContext(result.ledger, result.settings, None, result.as_of))
    if not result.receivables.empty:  # the engine's enrichment must be this very table
        pd.testing.assert_frame_equal(result.receivables.reset_index(drop=True), table.reset_index(drop=True))
    return table.set_index("contract_id")


@pytest.mark.parametrize(("name", "outstanding", "overdue", "bucket", "level"), [
    ("due_in_8_not_yet", 100_000, 0, "not_due", None),
    ("due_today", 100_000, 0, "not_due", None),
    ("due_yesterday", 100_000, 1, "d1_30", 1),
    ("overdue_30", 100_000, 30, "d1_30", 1),
    ("overdue_31", 100_000, 31, "d31_60", 2),
    ("overdue_60", 100_000, 60, "d31_60", 2),
    ("overdue_61", 100_000, 61, "d61_90", 3),
    ("overdue_90", 100_000, 90, "d61_90", 3),
    ("overdue_91", 100_000, 91, "d90_plus", 4),
    ("overdue_partly_paid", 60_000, 45, "d31_60", 2),
    ("past_due_paid_late", 0, 0, "not_due", None),
    ("due_in_3_within_tolerance", 0, 0, "not_due", None),
    ("over_received", 0, 0, "not_due", None),
])
def test_installment_table(result, name, outstanding, overdue, bucket, level):
    row = table_of(result).loc[f"C-{name}"]
    assert row["outstanding"] == pytest.approx(outstanding)
    assert row["days_overdue"] == overdue
    assert row["aging_bucket"] == bucket
    assert (pd.isna(row["escalation_level"]) if level is None else row["escalation_level"] == level)
    assert row["project_id"] == f"P-{name}" and row["account_manager"] == "张三" and row["commercial_ops"] == "李四"


def test_installment_table_escalation_recipients(result):
    table = table_of(result)
    assert table.loc["C-overdue_30", "escalation_to"] == "张三、李四"
    assert table.loc["C-overdue_31", "escalation_to"] == "张三、李四、王强"
    assert table.loc["C-overdue_91", "escalation_to"] == "张三、李四、王强、赵六"
    assert "legal" in table.loc["C-overdue_91", "escalation_note_en"]
    assert table.loc["C-due_today", "escalation_to"] is None
    assert list(table.columns[:3]) == ["project_id", "customer", "account_manager"]


def test_json_receivables_drop_helper_columns(result):
    from kaxl.reports.jsonout import records

    rows = {r["contract_id"]: r for r in records(table_of(result).reset_index())}
    assert len(rows) == len(CASES)
    for row in rows.values():
        assert not any(k.startswith("_") for k in row)
    late = rows["C-overdue_31"]
    assert (late["installment"], late["outstanding"], late["days_overdue"], late["aging_bucket"],
            late["escalation_level"]) == (1, 100_000.0, 31, "d31_60", 2)
    assert late["due_date"] == days(-31).isoformat() and late["received_date"] is None
    assert rows["C-due_today"]["escalation_level"] is None
    json.dumps(list(rows.values()), allow_nan=False)  # plain JSON: no NaN, no numpy types


def test_missing_director_is_named_as_a_gap(tmp_path):
    sheets = portfolio({"late": ({"due": -40}, {"PAY-003"}, 2)})
    sheets["contacts"] = [c for c in sheets["contacts"] if c["name"] != "王强"]
    for contact in sheets["contacts"]:
        contact.pop("manager", None)
    result = check_files(write_ledger(tmp_path / "l.xlsx", sheets), AS_OF)
    (finding,) = [f for f in result.findings if f.rule == "PAY-003"]
    assert "通讯录未登记 张三 的上级" in finding.message_zh
    assert "no manager for 张三" in finding.message_en


def test_received_date_without_amount_hints_the_fix(tmp_path):
    sheets = portfolio({"late": ({"due": -10}, {"PAY-003"}, 1)})
    sheets["receivables"][0]["received_date"] = days(-9)
    result = check_files(write_ledger(tmp_path / "l.xlsx", sheets), AS_OF)
    (finding,) = [f for f in result.findings if f.rule == "PAY-003"]
    assert "请补填「实收金额」" in finding.message_zh


@pytest.mark.parametrize(("settings", "name", "spec", "rules", "level", "changed"), [
    # warning window 7 → 10 days: due in 8 days is now warned; 11 days still is not
    ({"receivable_warning_days": "10"}, "in_8", {"due": 8}, {"PAY-001"}, None, True),
    ({"receivable_warning_days": "10"}, "in_11", {"due": 11}, set(), None, False),
    # ladder 1,31,61,91 → 1,15,30,60: 31 days is L3, 14 days L1, 15 days L2, 60 days L4
    ({"escalation_days": "1,15,30,60"}, "late_31", {"due": -31}, {"PAY-003"}, 3, True),
    ({"escalation_days": "1,15,30,60"}, "late_14", {"due": -14}, {"PAY-003"}, 1, False),
    ({"escalation_days": "1,15,30,60"}, "late_15", {"due": -15}, {"PAY-003"}, 2, True),
    ({"escalation_days": "1,15,30,60"}, "late_60", {"due": -60}, {"PAY-003"}, 4, True),
    # a residue up to the tolerance counts as paid; beyond it, the installment is still open
    ({"amount_tolerance": "0"}, "residue", {"due": 3, "received": 99_999.6, "received_on": -1}, {"PAY-001"}, None,
     True),
])
def test_settings_tab_changes_results(tmp_path, settings, name, spec, rules, level, changed):
    sheets = portfolio({name: (spec, rules, level)})
    default = check_files(write_ledger(tmp_path / "default.xlsx", sheets), AS_OF)
    sheets["settings"] = [{"key": k, "value": v} for k, v in settings.items()]
    after = check_files(write_ledger(tmp_path / "changed.xlsx", sheets), AS_OF)
    assert not [f for f in after.findings if f.rule == "SET-001"]
    found = pay_findings(after, f"C-{name}")
    assert {f.rule for f in found} == rules
    assert [f.escalation_level for f in found if f.rule == "PAY-003"] == ([level] if level else [])
    before = [(f.rule, f.escalation_level) for f in pay_findings(default, f"C-{name}")]
    assert (before != [(f.rule, f.escalation_level) for f in found]) == changed


def comparable(result) -> tuple:
    findings = sorted((f.rule, f.contract_id or "", f.installment or 0, f.escalation_level or 0, f.days or 0,
                       f.message_en) for f in result.findings if f.rule in PAY_RULES)
    alerts = result.alerts.drop(columns=["cell"]).astype(str).sort_values(list(result.alerts.columns.drop("cell")))
    table = table_of(result).drop(columns=["_index", "_cell", "_src", "_row"]).reset_index()
    return findings, alerts.reset_index(drop=True), table


def test_shuffled_rows_give_the_same_result(tmp_path):
    sheets = portfolio(CASES)
    first = comparable(check_files(write_ledger(tmp_path / "a.xlsx", sheets), AS_OF))
    rng = random.Random(7)
    for key in ("projects", "contracts", "receivables"):
        rng.shuffle(sheets[key])
    second = comparable(check_files(write_ledger(tmp_path / "b.xlsx", sheets), AS_OF))
    assert first[0] == second[0]
    pd.testing.assert_frame_equal(first[1], second[1])
    pd.testing.assert_frame_equal(first[2], second[2])
    assert len(first[0]) == 19  # every PAY finding of CASES


def test_no_receivables_no_findings(tmp_path: Path):
    result = check_files(write_ledger(tmp_path / "empty.xlsx", {}), AS_OF)
    assert not [f for f in result.findings if f.rule in PAY_RULES]
