"""SPEC §4 enrichment worked out by hand for a three-project ledger.

KA-A: the clean project of tests/sop_cases.py at 回款 (every section reached, nothing late).
KA-B: the same at 立项 with its initiation form one working day late (lead 2026-09-28, due
      2026-10-08 across the National Day week, dated 2026-10-09).
KA-C: KA-A whose first installment is 40 days overdue and half paid.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from kaxl.api import check_files
from tests.ledger_factory import d, write_ledger
from tests.sop_cases import merge, project_rows, with_changes

AS_OF = d("2026-11-16")


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    a = project_rows("KA-A", as_of=AS_OF)
    b = with_changes(project_rows("KA-B", stage="立项", status="进行中", as_of=AS_OF), {
        "projects": {"lead_date": d("2026-09-28")},
        "initiation": {"form_date": d("2026-10-09"), "review_date": d("2026-10-12"), "crm_date": d("2026-10-12"),
                       "urgency": None, "purchase_date": None, "strategy_fit": 2, "budget_status": "申请中"}})
    c = project_rows("KA-C", as_of=AS_OF)
    c["receivables"][0].update(due_date=AS_OF - dt.timedelta(days=40), amount_received=150_000,
                               received_date=AS_OF - dt.timedelta(days=20))
    c["risks"] = [{"risk_id": "R-1", "project_id": "KA-C", "description": "回款慢", "category": "信用",
                   "likelihood": 4, "impact": 4, "response": "每周催收", "owner": "王芳", "status": "开放",
                   "review_date": AS_OF + dt.timedelta(days=7)}]
    path = write_ledger(tmp_path_factory.mktemp("enrich") / "ledger.xlsx", merge(a, b, c))
    return check_files([path], AS_OF)


def project(result, pid: str) -> dict:
    return result.projects.set_index("project_id").loc[pid].to_dict()


def test_qualification_and_grade(result):
    # KA-A: budget approved 25 + authority (form 0.5 + map 0.5) 20 + need (0.5 + 4/5 × 0.5) 18
    #       + timeline (purchase 120 days after lead → 0.6) 9 + strategy 4/5 × 20 = 16 → 88, grade A
    a = project(result, "KA-A")
    assert (a["qualification_score"], a["grade"]) == (88.0, "A")
    # KA-B: budget pending 0.6 × 25 = 15 + authority 20 + need (0.5 + 0) 10 + timeline none 0
    #       + strategy 2/5 × 20 = 8 → 53, grade B
    b = project(result, "KA-B")
    assert (b["qualification_score"], b["grade"]) == (53.0, "B")


def test_process_score_and_its_deductions(result):
    a, b = project(result, "KA-A"), project(result, "KA-B")
    assert (a["process_points"], a["process_max"], a["process_pct"]) == (100, 100, 100.0)
    # KA-B has reached initiation only (15 points): −2 for the form one working day late
    assert (b["process_points"], b["process_max"]) == (13, 15)
    assert b["process_pct"] == pytest.approx(86.7)
    mine = result.deductions[result.deductions["project_id"] == "KA-B"]
    assert mine[["section", "rule", "points"]].values.tolist() == [["initiation", "INI-001", 2]]
    assert mine["cell"].item().endswith("!B3")  # KA-B's form_date cell (second project, row 3)


def test_coverage_next_node_and_days_in_stage(result):
    a, b = project(result, "KA-A"), project(result, "KA-B")
    assert a["coverage"] == pytest.approx(1 / 3, abs=1e-4)  # only the decision maker of 3 KP roles
    assert a["next_node"].startswith("回款") and a["next_due"].date() == d("2026-12-20")
    assert b["days_in_stage"] == (AS_OF - d("2026-09-28")).days  # still in 立项 since the lead


def test_installments_outstanding_overdue_aging_and_ladder(result):
    rows = result.receivables.set_index(["contract_id", "installment"])
    late = rows.loc[("HT-KA-C", 1)]
    assert late["outstanding"] == 150_000 and late["days_overdue"] == 40
    assert late["aging_bucket"] == "d31_60" and late["escalation_level"] == 2
    ahead = rows.loc[("HT-KA-C", 2)]
    assert ahead["outstanding"] == 700_000 and ahead["days_overdue"] <= 0 and ahead["aging_bucket"] == "not_due"
    paid = rows.loc[("HT-KA-A", 1)]
    assert paid["outstanding"] == 0


def test_risk_level(result):
    assert project(result, "KA-C")["risk_level"] == "high"  # 4 × 4 = 16 ≥ 15
    assert pd.isna(project(result, "KA-A")["risk_level"])  # no open risk: no level
