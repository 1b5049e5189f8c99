"""RSK-001/RSK-002 on real .xlsx ledgers through kaxl.api.check_files: each fires once, near misses don't."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from kaxl.api import check_files
from tests.ledger_factory import d, write_ledger

AS_OF = d("2026-06-15")
RSK_RULES = {"RSK-001", "RSK-002"}


def days(n: int) -> dt.date:
    return AS_OF + dt.timedelta(days=n)


# name: (risk fields, the RSK rules that must fire). Defaults: open, 2 × 2 (low), response and owner set,
# review in 30 days.
CASES: dict[str, tuple[dict, set[str]]] = {
    # RSK-001: level = likelihood × impact ≥ 15 is high (5 × 3 = 15; 5 × 2 = 10 is medium).
    "high_no_response": ({"likelihood": 5, "impact": 3, "response": None}, {"RSK-001"}),
    "high_no_owner": ({"likelihood": 3, "impact": 5, "owner": None}, {"RSK-001"}),
    "high_neither": ({"likelihood": 5, "impact": 5, "response": None, "owner": None}, {"RSK-001"}),
    "high_answered": ({"likelihood": 5, "impact": 5}, set()),
    "medium_no_response": ({"likelihood": 5, "impact": 2, "response": None}, set()),
    "high_closed_no_response": ({"likelihood": 5, "impact": 5, "response": None, "status": "已关闭"}, set()),
    "high_blank_status": ({"likelihood": 5, "impact": 4, "response": None, "status": None}, {"RSK-001"}),
    "high_blank_response_text": ({"likelihood": 4, "impact": 4, "response": "   "}, {"RSK-001"}),
    # RSK-002: open risk whose review date has passed.
    "review_yesterday": ({"review": -1}, {"RSK-002"}),
    "review_today": ({"review": 0}, set()),
    "review_overdue_closed": ({"review": -10, "status": "已关闭"}, set()),
    "review_blank": ({"review": None}, set()),
    "both": ({"likelihood": 5, "impact": 5, "owner": None, "review": -3}, {"RSK-001", "RSK-002"}),
}


def ledger(cases: dict[str, tuple[dict, set[str]]]) -> dict[str, list[dict]]:
    projects = [{"project_id": "P1", "customer": "甲公司", "account_manager": "张三", "commercial_ops": "李四",
                 "stage": "方案", "status": "进行中", "lead_date": d("2026-05-01"), "estimated_amount": 1_000_000}]
    risks = []
    for name, (spec, _rules) in cases.items():
        review = spec.get("review", 30)
        risks.append({
            "risk_id": f"R-{name}", "project_id": "P1", "description": f"风险 {name}", "category": "信用",
            "likelihood": spec.get("likelihood", 2), "impact": spec.get("impact", 2),
            "response": spec.get("response", "每周跟进客户付款计划"), "owner": spec.get("owner", "王五"),
            "status": spec.get("status", "开放"), "review_date": None if review is None else days(review)})
    return {"projects": projects, "risks": risks}


def risk_findings(result, risk_id: str) -> list:
    return [f for f in result.findings if f.rule in RSK_RULES and f"Risk {risk_id} " in f.message_en]


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    return check_files(write_ledger(tmp_path_factory.mktemp("rsk") / "l.xlsx", ledger(CASES)), AS_OF)


@pytest.mark.parametrize("name", list(CASES))
def test_each_case_fires_exactly_its_rules(result, name):
    found = risk_findings(result, f"R-{name}")
    assert sorted(f.rule for f in found) == sorted(CASES[name][1]), [f.message_en for f in found]


def test_rsk001_names_the_gap_and_falls_back_to_the_am(result):
    (neither,) = risk_findings(result, "R-high_neither")
    assert neither.severity == "error" and neither.owner_role == "AM"
    assert neither.owner == "张三"  # no risk owner → the project's account manager
    assert "5 × 5 = 25" in neither.message_zh and "应对措施、责任人" in neither.message_zh
    assert "has no response and no owner." in neither.message_en
    assert neither.column == "应对措施 Response" and neither.project_id == "P1"
    (no_owner,) = risk_findings(result, "R-high_no_owner")
    assert no_owner.column == "责任人 Owner" and "缺少责任人" in no_owner.message_zh
    (no_response,) = risk_findings(result, "R-high_no_response")
    assert no_response.owner == "王五"


def test_rsk002_carries_deadline_and_days(result):
    (late,) = risk_findings(result, "R-review_yesterday")
    assert late.severity == "warning" and late.owner == "王五"
    assert late.due_date == days(-1) and late.days == 1
    assert "已过 1 天" in late.message_zh and "1 day ago" in late.message_en
    assert late.column == "下次复核日期 Review date"
    alert = result.alerts[(result.alerts["rule"] == "RSK-002") & (result.alerts["kind"] == "finding")]
    assert alert["days"].tolist() == [3, 1]  # both (review 3 days ago), then review_yesterday: by due date


def test_reviews_due_this_week_are_upcoming(result):
    upcoming = result.alerts[(result.alerts["kind"] == "upcoming") & (result.alerts["rule"] == "RSK-002")]
    # only review_today (0 days ahead); reviews in 30 days are beyond the coming week
    assert upcoming["days"].tolist() == [0]
    assert "今天" in upcoming["message_zh"].iloc[0]


def test_setting_risk_high_changes_results(tmp_path):
    sheets = ledger({"medium_no_response": CASES["medium_no_response"]})
    assert not risk_findings(check_files(write_ledger(tmp_path / "a.xlsx", sheets), AS_OF), "R-medium_no_response")
    sheets["settings"] = [{"key": "risk_high", "value": "10"}]
    changed = check_files(write_ledger(tmp_path / "b.xlsx", sheets), AS_OF)
    assert [f.rule for f in risk_findings(changed, "R-medium_no_response")] == ["RSK-001"]


def test_shuffled_rows_give_the_same_findings(tmp_path):
    sheets = ledger(CASES)
    first = check_files(write_ledger(tmp_path / "a.xlsx", sheets), AS_OF)
    random.Random(3).shuffle(sheets["risks"])
    second = check_files(write_ledger(tmp_path / "b.xlsx", sheets), AS_OF)

    def key(result):
        return sorted((f.rule, f.message_en, f.owner, f.days or 0) for f in result.findings if f.rule in RSK_RULES)

    assert key(first) == key(second) and len(key(first)) == 8
