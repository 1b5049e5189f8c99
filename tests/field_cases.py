"""Field rows (SPEC §7: leads, visits) for a clean project of tests/sop_cases.py.

A clean field project is active (in 方案 Proposal, so VIS-003 and VIS-004 watch it) with one
in-person visit six days before as-of, planned well ahead, recorded the same day and naming its
decision maker, and one lead registered, screened in time and converted with KA admission. The
cases override exactly what they test.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from tests.ledger_factory import d
from tests.sop_cases import AM, merge, project_rows, with_changes

AS_OF = d("2026-11-16")  # a Monday
VISITOR = "孙磊"


def visit(pid: str, **over: Any) -> dict[str, Any]:
    row = {"project_id": pid, "visit_date": d("2026-11-10"), "visitor": VISITOR, "kind": "面谈", "contacts": "赵总",
           "plan_date": d("2026-11-02"), "record_date": d("2026-11-10"), "purpose": "需求调研", "outcome": "确认范围"}
    row.update(over)
    return row


def lead(pid: str | None, n: int = 1, **over: Any) -> dict[str, Any]:
    row = {"lead_id": f"XS-{pid}-{n}", "customer": f"{pid} 客户", "source": "展会", "registered_date": d("2026-08-01"),
           "owner": AM, "screened_date": d("2026-08-02"), "grade": "A", "result": "转立项", "project_id": pid,
           "admission_applied": d("2026-08-03"), "admission_approved": d("2026-08-04"), "admission_approver": "钱总"}
    row.update(over)
    return row


def person(pid: str, name: str, **over: Any) -> dict[str, Any]:
    row = {"project_id": pid, "name": name, "level": "经理", "role": "使用者", "attitude": "中立", "influence": 2,
           "last_contact": AS_OF - dt.timedelta(days=5)}
    row.update(over)
    return row


def field_project(pid: str, changes: dict[str, Any] | None = None, *, stage: str = "方案",
                  status: str = "进行中", extra_visits: list[dict] | None = None) -> dict[str, list[dict]]:
    """A clean active project with its field rows, then ``changes`` (as sop_cases.with_changes);
    ``extra_visits`` are added beside the clean visit (which keeps the cadence met)."""
    rows = merge(project_rows(pid, stage=stage, status=status, as_of=AS_OF),
                 {"visits": [visit(pid), *(extra_visits or [])], "leads": [lead(pid)]})
    return with_changes(rows, changes or {})
