"""The health model and the after-sale per-project values (SPEC §7) on real ledgers, in --json."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from kaxl.api import check_files
from kaxl.sop.engine import result_json
from kaxl.sop.health import customer_table, health_score, relationship_scores
from tests.aftersale_cases import AS_OF, aftersale_project, assessment, issue, milestone
from tests.ledger_factory import d, write_ledger
from tests.sop_cases import merge, project_rows


def projects(paths) -> dict[str, dict]:
    return {p["project_id"]: p for p in result_json(check_files(paths, AS_OF))["projects"]}


def test_health_score_rounds_half_up_and_uses_the_weights():
    usage, value, rel = pd.Series([75, 80, 90, None]), pd.Series([80, 80, 60, 50]), pd.Series([85, 79, 30, 50])
    assert health_score(usage, value, rel, (0.4, 0.3, 0.3)).tolist()[:3] == [80, 80, 63]
    assert health_score(usage, value, rel, (0.4, 0.3, 0.3)).isna().tolist() == [False, False, False, True]
    assert health_score(usage, value, rel, (1.0, 0.0, 0.0)).tolist()[:3] == [75, 80, 90]


def test_relationship_share_of_key_persons_in_the_window():
    assessments = pd.DataFrame({"_customer": ["a", "a", "b"],
                                "assessed_date": pd.to_datetime(["2026-11-16", "2026-12-31", "2026-11-16"])})
    persons = pd.DataFrame({"_customer": ["a", "a", "a", "a"], "_person": ["x", "y", "z", "w"]})
    contacts = pd.DataFrame({"_customer": ["a", "a", "a"], "_person": ["x", "y", "x"],
                             "date": pd.to_datetime(["2026-10-17", "2026-10-16", "2026-11-16"])})
    # window [10-17, 11-16]: x (twice) in, y a day out → 1 of 4; b has no key persons → 0
    assert relationship_scores(assessments, persons, contacts, 30).tolist() == [25.0, 0.0, 0.0]


def test_customer_table_latest_and_trend():
    frame = pd.DataFrame({"customer": ["甲", "甲", "甲", "乙"], "_customer": ["甲", "甲", "甲", "乙"], "_index": [0, 1, 2, 3],
                          "assessed_date": pd.to_datetime(["2026-05-01", "2026-11-01", "2026-08-01", "2026-09-01"]),
                          "usage": 1, "value": 1, "relationship": 1, "relationship_computed": False,
                          "health": pd.array([90, 70, 85, 60], dtype="Int64"), "csat": [80, None, 88, None],
                          "retention_plan_date": pd.NaT, "retention_owner": None})
    table = customer_table(frame)
    assert table.loc["甲", "health"] == 70 and table.loc["甲", "trend"] == -15 and table.loc["甲", "csat"] == 88
    assert table.loc["乙", "health"] == 60 and pd.isna(table.loc["乙", "trend"]) and pd.isna(table.loc["乙", "csat"])


def _two_projects_one_customer() -> dict[str, list[dict]]:
    a = aftersale_project("A", {"health": [
        assessment("A", assessed_date=d("2026-08-01")),
        assessment("A", assessed_date=AS_OF, usage=80, value=80, relationship=None)]})
    b = project_rows("B", as_of=AS_OF, stage="方案", status="进行中")
    b["projects"][0]["customer"] = "A 客户"
    b["stakeholders"] = [
        {"project_id": "B", "name": "钱总", "role": "预算审批", "level": "高层", "last_contact": AS_OF - dt.timedelta(days=31)},
        {"project_id": "B", "name": "孙工", "role": "使用者", "is_kp": "否", "last_contact": AS_OF},
        {"project_id": "B", "name": "赵总", "role": "决策者", "level": "高层", "last_contact": AS_OF - dt.timedelta(days=60)}]
    return merge(a, b)


def test_blank_relationship_counts_key_persons_over_all_the_customers_projects(tmp_path):
    # KPs: 赵总 (on both maps: one person; A says contacted 11-11) and 钱总 (31 days ago: out) → 50;
    # 孙工 is not a KP. 0.4×80 + 0.3×80 + 0.3×50 = 71; the previous assessment was 90 → trend −19
    out = projects([write_ledger(tmp_path / "l.xlsx", _two_projects_one_customer())])
    assert (out["A"]["customer_health"], out["A"]["health_trend"]) == (71, -19)
    assert (out["B"]["customer_health"], out["B"]["health_trend"]) == (71, -19)


def test_no_key_persons_is_relationship_zero_and_custom_weights_apply(tmp_path):
    rows = aftersale_project("A", {"health": [assessment("A", assessed_date=AS_OF, usage=90, value=60, relationship=None)],
                                   "stakeholders": {"role": "使用者", "is_kp": "否"}})
    assert projects([write_ledger(tmp_path / "a.xlsx", rows)])["A"]["customer_health"] == 54  # 36 + 18 + 0
    custom = merge(rows, {"settings": [{"key": "health_weights", "value": "0.5,0.5,0"}]})
    assert projects([write_ledger(tmp_path / "b.xlsx", custom)])["A"]["customer_health"] == 75


def test_open_issues_and_next_milestone(tmp_path):
    rows = aftersale_project("A", {
        "issues": [issue("A", 1, resolved_date=None, status="开放"), issue("A", 2, resolved_date=None, status=None),
                   issue("A", 3)],
        "delivery": [milestone("A"),
                     milestone("A", milestone="上线", planned_date=d("2026-12-15"), actual_date=None, signoff_date=None),
                     milestone("A", milestone="数据迁移", planned_date=d("2026-12-01"), actual_date=None,
                               signoff_date=None)]})
    out = projects([write_ledger(tmp_path / "l.xlsx", rows)])["A"]
    assert out["open_issues"] == 2
    assert (out["delivery_next"], out["delivery_next_date"]) == ("数据迁移", "2026-12-01")
    assert out["customer_health"] == 90 and out["health_trend"] is None


def test_values_are_blank_when_the_sheets_are_absent(tmp_path):
    out = projects([write_ledger(tmp_path / "l.xlsx", project_rows("A", as_of=AS_OF))])["A"]
    assert [out[k] for k in ("customer_health", "health_trend", "open_issues", "delivery_next",
                             "delivery_next_date")] == [None] * 5
    kept = projects([write_ledger(tmp_path / "k.xlsx", merge(project_rows("A", as_of=AS_OF), {"issues": []}))])["A"]
    assert kept["open_issues"] == 0 and kept["customer_health"] is None
