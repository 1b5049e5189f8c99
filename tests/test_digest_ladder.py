"""The overdue ladder in the recipients plan: the CO hears every escalated overdue installment of
their projects (collecting is their part, SPEC §3), but ISS-001's first step goes to the AM
only (SPEC §7) — the CO of the project does not get the issue escalation.

One signed project (AM 张伟, CO 王芳) with an installment 15 days overdue (PAY-003, level 1) and
an issue open for 6 days whose 责任人 is 孙磊 (ISS-001's first step: a warning, level 1, to the AM);
a second project of the same AM and CO with an issue open 17 days (the error step, level 3:
management as well).
"""

from __future__ import annotations

import pytest

from kaxl.api import check_files
from kaxl.digest.recipients import plan
from tests.aftersale_cases import AS_OF, aftersale_project, issue
from tests.ledger_factory import d, write_ledger
from tests.sop_cases import AM, CO, merge

OWNER = "孙磊"
EMAIL = {AM: "zhangwei@example.com", CO: "wangfang@example.com", OWNER: "sunlei@example.com",
         "谢军": "xiejun@example.com"}
OPEN = {"resolved_date": None, "status": "开放"}


def sheets() -> dict[str, list[dict]]:
    late = aftersale_project("late", {
        "issues": [issue("late", raised_date=d("2026-11-10"), **OPEN)],  # open 6 days: the first step
        "receivables": [{"contract_id": "HT-late", "installment": 1, "milestone": "预付款",
                         "due_date": d("2026-11-01"), "amount_due": 300_000, "invoice_date": d("2026-10-25")}]})
    old = aftersale_project("old", {"issues": [issue("old", raised_date=d("2026-10-30"), **OPEN)]})
    rows = merge(late, old)
    rows["contacts"] = [{"name": AM, "role": "销售经理", "email": EMAIL[AM], "manager": "谢军"},
                        {"name": CO, "role": "商务", "email": EMAIL[CO], "manager": "谢军"},
                        {"name": OWNER, "role": "客户成功", "email": EMAIL[OWNER], "manager": "谢军"},
                        {"name": "谢军", "role": "管理层", "email": EMAIL["谢军"]}]
    return rows


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    return check_files([write_ledger(tmp_path_factory.mktemp("ladder") / "台账.xlsx", sheets())], AS_OF)


def rules_of(digest) -> list[tuple[str, str, int | None]]:
    return sorted((i.rule, i.project_id, i.escalation_level) for g in digest.groups for i in g.items
                  if i.category == "overdue")


def test_the_case_is_what_it_says(result) -> None:
    levels = {(a.rule, a.project_id): a.escalation_level for a in result.alerts.itertuples()
              if a.rule in ("PAY-003", "ISS-001")}
    assert levels == {("PAY-003", "late"): 1, ("ISS-001", "late"): 1, ("ISS-001", "old"): 3}
    owners = {(f.rule, f.project_id): f.owner for f in result.findings if f.rule in ("PAY-003", "ISS-001")}
    assert owners == {("PAY-003", "late"): AM, ("ISS-001", "late"): OWNER, ("ISS-001", "old"): OWNER}


def test_co_gets_the_overdue_installment_but_not_the_issue_escalations(result) -> None:
    digests = {d.recipient.name: d for d in plan(result)}
    assert rules_of(digests[CO]) == [("PAY-003", "late", 1)]
    assert rules_of(digests[AM]) == [("ISS-001", "late", 1), ("ISS-001", "old", 3), ("PAY-003", "late", 1)]
    assert rules_of(digests[OWNER]) == [("ISS-001", "late", 1), ("ISS-001", "old", 3)]


def test_the_error_step_reaches_management(result) -> None:
    digests = {d.recipient.name: d for d in plan(result)}
    escalated = {(e.rule, e.project_id) for e in digests["谢军"].escalations}
    assert ("ISS-001", "old") in escalated and ("ISS-001", "late") not in escalated
