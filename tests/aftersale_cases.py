"""After-sale rows (SPEC §7: delivery, health, issues) for a clean project of tests/sop_cases.py.

A clean after-sale project has one milestone done on time, confirmed, signed off and within
budget (so its contract is not "in delivery"), a healthy recent assessment, and no issue. The
cases override exactly what they test.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from tests.ledger_factory import d
from tests.sop_cases import merge, project_rows, with_changes

AS_OF = d("2026-11-16")  # a Monday
DM, CS = "刘洋", "陈静"


def milestone(pid: str, **over: Any) -> dict[str, Any]:
    row = {"contract_id": f"HT-{pid}", "milestone": "需求确认", "planned_date": d("2026-10-20"),
           "actual_date": d("2026-10-19"), "plan_confirmed": d("2026-10-09"), "signoff_date": d("2026-10-20"),
           "last_report": d("2026-11-13"), "owner": DM, "budget": 100_000, "actual_cost": 100_000}
    row.update(over)
    return row


def assessment(pid: str, **over: Any) -> dict[str, Any]:
    row = {"customer": f"{pid} 客户", "assessed_date": d("2026-11-02"), "usage": 90, "value": 90,
           "relationship": 90, "csat": 90}
    row.update(over)
    return row


def issue(pid: str, n: int = 1, **over: Any) -> dict[str, Any]:
    row = {"issue_id": f"WT-{pid}-{n}", "project_id": pid, "kind": "问题", "raised_date": d("2026-11-10"),
           "description": "报表导出慢", "priority": "中", "owner": "孙磊", "replied_date": d("2026-11-10"),
           "resolved_date": d("2026-11-12"), "status": "已解决"}
    row.update(over)
    return row


def aftersale_project(pid: str, changes: dict[str, Any] | None = None, as_of: dt.date = AS_OF) -> dict[str, list[dict]]:
    """A clean signed project with its after-sale rows, then ``changes`` (as sop_cases.with_changes)."""
    rows = merge(project_rows(pid, as_of=as_of), {"delivery": [milestone(pid)], "health": [assessment(pid)],
                                                  "issues": []})
    return with_changes(rows, changes or {})
