"""A complete, rule-abiding KA project for the SOP rule tests, and ways to break it.

:func:`project_rows` gives every sheet's rows for one project that passes every SOP rule
(initiation within 3 working days, BANT complete, review passed, a decision maker mapped,
two research rounds, a director briefing, approvals and sealing in time, a clean contract
with its installments). A test case names the project after itself and overrides the few
fields it is about, so each case differs from a clean project by exactly what it tests.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Mapping
from typing import Any

from tests.ledger_factory import d

STAGES = ("立项", "方案", "投标", "签约", "回款", "关闭")
AM, PS, CO = "张伟", "李娜", "王芳"


def project_rows(pid: str, *, stage: str = "回款", status: str = "赢单", as_of: dt.date) -> dict[str, list[dict]]:
    """Every sheet's rows for one clean project at ``stage`` (later stages carry earlier nodes)."""
    level = STAGES.index(stage)
    rows: dict[str, list[dict]] = {
        "projects": [{"project_id": pid, "customer": f"{pid} 客户", "account_manager": AM, "presales": PS,
                      "commercial_ops": CO, "stage": stage, "status": status, "lead_date": d("2026-08-03"),
                      "estimated_amount": 1_000_000}],
        "initiation": [{"project_id": pid, "form_date": d("2026-08-04"), "budget": 1_000_000,
                        "budget_status": "已批复", "decision_maker": "赵总", "need": "数据中心扩容", "urgency": 4,
                        "purchase_date": d("2026-12-01"), "strategy_fit": 4, "review_date": d("2026-08-05"),
                        "review_result": "通过", "crm_date": d("2026-08-05")}],
        "stakeholders": [{"project_id": pid, "name": "赵总", "title": "CIO", "level": "高层", "role": "决策者",
                          "attitude": "支持", "influence": 5, "owner": AM,
                          "last_contact": as_of - dt.timedelta(days=5), "is_kp": "是"}],
    }
    if level >= 1:
        rows["bids"] = [{"project_id": pid, "research_rounds": 2, "briefing_date": d("2026-08-20"),
                         "briefing_level": "总监", "control_points_locked": "是", "bid_date": d("2026-09-15"),
                         "price_approval_date": d("2026-09-07"), "sealed_date": d("2026-09-10"),
                         "bid_amount": 1_000_000, "cost": 700_000, "discount": 0.05,
                         "result": "中标" if level >= 3 else "待定"}]
    if level >= 3:
        rows["contracts"] = [{"contract_id": f"HT-{pid}", "project_id": pid, "signed_date": d("2026-09-21"),
                              "amount": 1_000_000, "advance_ratio": 0.3, "legal_signoff": d("2026-09-18"),
                              "finance_signoff": d("2026-09-18"), "acceptance_defined": "是",
                              "liability_defined": "是", "handover_date": d("2026-09-22"),
                              "archived_date": d("2026-09-22"), "end_date": d("2027-09-30")}]
        rows["receivables"] = [
            {"contract_id": f"HT-{pid}", "installment": 1, "milestone": "预付款", "due_date": d("2026-09-30"),
             "amount_due": 300_000, "invoice_date": d("2026-09-25"), "received_date": d("2026-09-29"),
             "amount_received": 300_000},
            {"contract_id": f"HT-{pid}", "installment": 2, "milestone": "验收款", "due_date": d("2026-12-20"),
             "amount_due": 700_000}]
    return rows


def with_changes(rows: dict[str, list[dict]], changes: Mapping[str, Any]) -> dict[str, list[dict]]:
    """``changes`` maps a sheet to field overrides for its first row, or to a full list of rows."""
    out = copy.deepcopy(rows)
    for sheet, change in changes.items():
        if isinstance(change, list):
            out[sheet] = change
        else:
            out[sheet][0].update(change)
    return out


def merge(*ledgers: dict[str, list[dict]]) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for ledger in ledgers:
        for sheet, rows in ledger.items():
            out.setdefault(sheet, []).extend(rows)
    return out
