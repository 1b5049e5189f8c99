"""Hand-made ledgers with 线索登记 Leads and 拜访记录 Visits (SPEC §7) for the output tests: the
digest's Visits section, the summary's Leads and Visits tabs, annotate and the Validate button.

Built on the digest's hand ledger (tests.test_digest_support) with one active strategic project
P3 of 张伟, so every visit chore of the section and every cadence state of the summary is there
once: as-of is 2026-11-18 (a Wednesday).
"""

from __future__ import annotations

from pathlib import Path

from tests.ledger_factory import d, write_ledger
from tests.test_digest_support import SHEETS, XSS

FORMULA = "=HYPERLINK(\"http://x\",\"点我\")"  # ledger text that must stay text

P3 = {"project_id": "P3", "customer": "华北钢铁", "industry": "冶金", "relationship": "战略合作伙伴",
      "account_manager": "张伟", "commercial_ops": "李娜", "stage": "方案", "status": "进行中",
      "lead_date": d("2026-08-01"), "estimated_amount": 2_000_000, "expected_close": d("2027-01-30")}
P3_INITIATION = {"project_id": "P3", "form_date": d("2026-08-02"), "budget": 2_000_000, "budget_status": "已批复",
                 "decision_maker": "周总", "need": "能耗平台", "urgency": 4, "purchase_date": d("2027-01-15"),
                 "strategy_fit": 5, "review_date": d("2026-08-03"), "review_result": "通过",
                 "crm_date": d("2026-08-03")}
P3_STAKEHOLDERS = [
    {"project_id": "P3", "name": "周总", "title": "总经理", "level": "高层", "role": "决策者", "attitude": "支持",
     "influence": 5, "last_contact": d("2026-11-10"), "is_kp": "是"},
    {"project_id": "P3", "name": "吴处", "title": "财务总监", "level": "总监", "role": "预算审批",
     "attitude": "中立", "influence": 4, "last_contact": d("2026-11-12"), "is_kp": "是"}]

# the visits sheet, row 2 onwards (the row numbers the cells below name)
VISITS = [
    # row 2 — P3's last in-person visit: 48 days before as-of → VIS-003 (not met within 30 days)
    {"project_id": "P3", "visit_date": d("2026-10-01"), "visitor": "张伟", "kind": "面谈", "contacts": "周总、吴处",
     "plan_date": d("2026-09-25"), "record_date": d("2026-10-01"), "purpose": "需求调研", "outcome": "认可方案方向"},
    # row 3 — a call on 11-16, not recorded (due 11-17) → VIS-001 overdue 1 day; follow-up 11-17 missed → VIS-004
    {"project_id": "P3", "visit_date": d("2026-11-16"), "visitor": "张伟", "kind": "电话", "contacts": "吴处",
     "purpose": "预算确认", "next_step": "送报价", "next_date": d("2026-11-17")},
    # row 4 — an in-person visit on 11-24 with no plan yet: plan due 11-19 (3 working days) → upcoming VIS-002
    {"project_id": "P3", "visit_date": d("2026-11-24"), "visitor": "张伟", "kind": "面谈", "contacts": "周总",
     "purpose": FORMULA},
    # row 5 — 孙强's visit planned late but planned and recorded: nothing left to do (not in the section)
    {"project_id": "P2", "visit_date": d("2026-11-17"), "visitor": "孙强", "kind": "面谈", "contacts": "周总",
     "plan_date": d("2026-11-16"), "record_date": d("2026-11-17"), "outcome": "回款确认"},
    # row 6 — 赵敏 (pre-sales) called P1 today, record due tomorrow → upcoming VIS-001 for her
    {"project_id": "P1", "visit_date": d("2026-11-18"), "visitor": "赵敏", "kind": "视频", "contacts": "周总",
     "purpose": "演示"},
    # row 7 — P2 phone call in October, recorded late (a slip already made: not in the section)
    {"project_id": "P2", "visit_date": d("2026-10-12"), "visitor": "孙强", "kind": "电话", "contacts": "吴处",
     "record_date": d("2026-10-20")},
]

LEADS = [
    {"lead_id": "L1", "customer": "华北钢铁", "source": "展会", "registered_date": d("2026-07-28"), "owner": "张伟",
     "industry": "冶金", "estimated_amount": 2_000_000, "screened_date": d("2026-07-29"), "grade": "A",
     "result": "转立项", "project_id": "P3", "admission_applied": d("2026-07-30"), "admission_approved": d("2026-08-01"),
     "admission_approver": "刘总"},
    {"lead_id": "L2", "customer": FORMULA, "source": "转介绍", "registered_date": d("2026-10-05"), "owner": "张伟",
     "screened_date": d("2026-10-09"), "grade": "B", "result": "培育"},
    {"lead_id": "L3", "customer": "西南水务", "source": "招标平台", "registered_date": d("2026-11-02"), "owner": "孙强",
     "screened_date": d("2026-11-03"), "grade": "C", "result": "放弃"},
    {"lead_id": "L4", "customer": "东海港务", "source": "展会", "registered_date": d("2026-11-10"), "owner": "孙强"},
    {"lead_id": "L5", "customer": XSS, "source": "官网", "registered_date": d("2026-09-01"), "owner": "孙强",
     "screened_date": d("2026-09-02"), "grade": "A", "result": "转立项", "project_id": "P2"},
]


def field_sheets(*, leads: bool = True, visits: bool = True) -> dict[str, list[dict]]:
    sheets = {key: list(rows) for key, rows in SHEETS.items()}
    sheets["projects"].append(P3)
    sheets["initiation"].append(P3_INITIATION)
    sheets["stakeholders"] += P3_STAKEHOLDERS
    if leads:
        sheets["leads"] = LEADS
    if visits:
        sheets["visits"] = VISITS
    return sheets


def write_field_ledger(path: Path, *, leads: bool = True, visits: bool = True) -> Path:
    return write_ledger(path, field_sheets(leads=leads, visits=visits))
