"""INI, STK, PRO, BID, CON and REN rules on real .xlsx ledgers: each fires, each near miss doesn't.

Every case is one project (named after the case) that differs from a clean project
(tests/sop_cases.py) only in what the case is about; the whole table is one ledger, checked
once. Deadlines are probed the day before, on, and the day after, across the 2026 National Day
holiday week (10-01..10-07, not working days) and the make-up Saturday 2026-10-10 (a working day).
"""

from __future__ import annotations

import datetime as dt

import pytest

from kaxl.api import check_files
from kaxl.contract.columns import sheet
from tests.ledger_factory import d, write_ledger
from tests.sop_cases import AM, CO, PS, merge, project_rows, with_changes

AS_OF = d("2026-11-16")
FAMILIES = {"INI": {"INI-001", "INI-002", "INI-003", "INI-004"}, "STK": {"STK-001", "STK-002", "STK-003"},
            "PRO": {"PRO-001", "PRO-002", "PRO-003"}, "BID": {"BID-001", "BID-002", "BID-003"},
            "CON": {"CON-001", "CON-002", "CON-003", "CON-004", "CON-005", "CON-006"}, "REN": {"REN-001"}}
ALL = set().union(*FAMILIES.values())

# lead 2026-09-28 (Mon): +3 working days = 09-29, 09-30, [holidays 10-01..07], 10-08 → due 2026-10-08
HOLIDAY_LEAD = {"projects": {"lead_date": d("2026-09-28")}, "initiation": {"review_date": d("2026-10-13"),
                                                                           "crm_date": d("2026-10-13")}}
# lead 2026-10-08 (Thu): +3 = 10-09, 10-10 (make-up Saturday), 10-12 → due 2026-10-12
SATURDAY_LEAD = {"projects": {"lead_date": d("2026-10-08")}, "initiation": {"review_date": d("2026-10-14"),
                                                                            "crm_date": d("2026-10-14")}}
# bid 2026-10-12 (Mon): −5 = 10-10 (Sat, make-up), 10-09, 10-08, [holidays], 09-30, 09-29 → price by 09-29;
# −2 = 10-10, 10-09 → sealing by 10-09
BID_1012 = {"bid_date": d("2026-10-12"), "price_approval_date": d("2026-09-29"), "sealed_date": d("2026-10-09")}
# signed 2026-09-28: handover +5 = 09-29, 09-30, 10-08, 10-09, 10-10 (Sat) → by 10-10; archive +3 → by 10-08
SIGNED_0928 = {"signed_date": d("2026-09-28"), "legal_signoff": d("2026-09-28"), "finance_signoff": d("2026-09-28")}
OPEN = {"stage": "投标", "status": "进行中"}
NEW = {"stage": "立项", "status": "进行中"}  # the lead-date cases: no bid yet whose date the chain would pass

# case: (stage/status, changes, rules of its family that must fire)
CASES: dict[str, tuple[dict, dict, set[str]]] = {
    # INI-001: initiation form within 3 working days of the lead
    "ini1-on-deadline-after-holidays": (NEW, {**HOLIDAY_LEAD, "initiation": {
        **HOLIDAY_LEAD["initiation"], "form_date": d("2026-10-08")}}, set()),
    "ini1-day-before": (NEW, {**HOLIDAY_LEAD, "initiation": {
        **HOLIDAY_LEAD["initiation"], "form_date": d("2026-09-30")}}, set()),
    "ini1-day-after": (NEW, {**HOLIDAY_LEAD, "initiation": {
        **HOLIDAY_LEAD["initiation"], "form_date": d("2026-10-09")}}, {"INI-001"}),
    "ini1-saturday-counts": (NEW, {**SATURDAY_LEAD, "initiation": {
        **SATURDAY_LEAD["initiation"], "form_date": d("2026-10-12")}}, set()),
    "ini1-saturday-late": (NEW, {**SATURDAY_LEAD, "initiation": {
        **SATURDAY_LEAD["initiation"], "form_date": d("2026-10-13")}}, {"INI-001"}),
    "ini1-missing": ({"stage": "立项", "status": "进行中"}, {"initiation": {"form_date": None}}, {"INI-001"}),
    "ini1-missing-but-lost": ({"stage": "立项", "status": "输单"}, {
        "initiation": {"form_date": None}, "projects": {"lost_reason": "预算取消"}}, set()),
    "ini1-late-and-lost": ({"stage": "立项", "status": "输单"}, {
        **HOLIDAY_LEAD, "projects": {**HOLIDAY_LEAD["projects"], "lost_reason": "预算取消"},
        "initiation": {**HOLIDAY_LEAD["initiation"], "form_date": d("2026-10-09")}}, {"INI-001"}),
    # INI-002 BANT once past initiation; INI-003 review; INI-004 date chain
    "ini2-bant-gap": (OPEN, {"initiation": {"decision_maker": None, "purchase_date": None}}, {"INI-002"}),
    "ini2-still-initiation": ({"stage": "立项", "status": "进行中"}, {"initiation": {"decision_maker": None}}, set()),
    "ini3-no-review": (OPEN, {"initiation": {"review_date": None, "review_result": None}}, {"INI-003"}),
    "ini3-rejected": (OPEN, {"initiation": {"review_result": "不通过"}}, {"INI-003"}),
    "ini3-conditional-is-fine": (OPEN, {"initiation": {"review_result": "有条件通过"}}, set()),
    "ini4-form-before-lead": (OPEN, {"initiation": {"form_date": d("2026-08-01")}}, {"INI-004"}),
    "ini4-signed-before-bid": ({}, {"contracts": {"signed_date": d("2026-09-14"), "legal_signoff": d("2026-09-11"),
                                                  "finance_signoff": d("2026-09-11"), "handover_date": d("2026-09-15"),
                                                  "archived_date": d("2026-09-15")}}, {"INI-004"}),
    # STK
    "stk1-no-stakeholders": (OPEN, {"stakeholders": []}, {"STK-001"}),
    "stk1-no-decision-maker": (OPEN, {"stakeholders": {"role": "技术评估"}}, {"STK-001"}),
    "stk1-still-initiation": ({"stage": "立项", "status": "进行中"}, {"stakeholders": []}, set()),
    "stk2-kp-31-days": (OPEN, {"stakeholders": {"last_contact": AS_OF - dt.timedelta(days=31)}}, {"STK-002"}),
    "stk2-kp-30-days": (OPEN, {"stakeholders": {"last_contact": AS_OF - dt.timedelta(days=30)}}, set()),
    "stk2-not-kp": (OPEN, {"stakeholders": [
        {"name": "赵总", "level": "高层", "role": "决策者", "attitude": "支持", "influence": 5,
         "last_contact": AS_OF - dt.timedelta(days=3), "is_kp": "是"},
        {"name": "孙工", "level": "员工", "role": "使用者", "attitude": "支持", "influence": 2,
         "last_contact": AS_OF - dt.timedelta(days=90), "is_kp": "否"}]}, set()),
    "stk2-paused-project": ({"stage": "投标", "status": "暂停"}, {
        "stakeholders": {"last_contact": AS_OF - dt.timedelta(days=90)}}, set()),
    "stk3-strong-opponent": (OPEN, {"stakeholders": [
        {"name": "赵总", "level": "高层", "role": "决策者", "attitude": "支持", "influence": 5,
         "last_contact": AS_OF - dt.timedelta(days=3), "is_kp": "是"},
        {"name": "钱主任", "level": "总监", "role": "技术评估", "attitude": "反对", "influence": 4,
         "last_contact": AS_OF - dt.timedelta(days=3)}]}, {"STK-003"}),
    "stk3-weak-opponent": (OPEN, {"stakeholders": [
        {"name": "赵总", "level": "高层", "role": "决策者", "attitude": "支持", "influence": 5,
         "last_contact": AS_OF - dt.timedelta(days=3), "is_kp": "是"},
        {"name": "钱主任", "level": "总监", "role": "技术评估", "attitude": "反对", "influence": 3,
         "last_contact": AS_OF - dt.timedelta(days=3)}]}, set()),
    # PRO
    "pro1-one-round": (OPEN, {"bids": {"research_rounds": 1}}, {"PRO-001"}),
    "pro1-one-round-still-proposal": ({"stage": "方案", "status": "进行中"}, {"bids": {"research_rounds": 1}}, set()),
    "pro2-manager-briefing": (OPEN, {"bids": {"briefing_level": "经理"}}, {"PRO-002"}),
    "pro2-executive-briefing": (OPEN, {"bids": {"briefing_level": "高层"}}, set()),
    "pro3-not-locked": (OPEN, {"bids": {"control_points_locked": "否"}}, {"PRO-003"}),
    "pro3-not-locked-in-proposal": ({"stage": "方案", "status": "进行中"}, {"bids": {"control_points_locked": "否"}},
                                    set()),
    # BID-001/002 around a bid on Monday 2026-10-12
    "bid-on-deadlines": (OPEN, {"bids": BID_1012}, set()),
    "bid-a-day-earlier": (OPEN, {"bids": BID_1012 | {"price_approval_date": d("2026-09-28"),
                                                     "sealed_date": d("2026-10-08")}}, set()),
    "bid1-a-day-late": (OPEN, {"bids": BID_1012 | {"price_approval_date": d("2026-09-30")}}, {"BID-001"}),
    "bid2-sealed-on-saturday": (OPEN, {"bids": BID_1012 | {"sealed_date": d("2026-10-10")}}, {"BID-002"}),
    "bid12-missing": (OPEN, {"bids": {"price_approval_date": None, "sealed_date": None}}, {"BID-001", "BID-002"}),
    "bid12-missing-but-lost": ({"stage": "投标", "status": "输单"}, {
        "projects": {"lost_reason": "价格"}, "bids": {"price_approval_date": None, "sealed_date": None}}, set()),
    "bid3-discount-over-tier": (OPEN, {"bids": {"discount": 0.25}}, {"BID-003"}),
    "bid3-discount-approved": (OPEN, {"bids": {"discount": 0.25, "discount_approver": "陈总"}}, set()),
    "bid3-thin-margin": (OPEN, {"bids": {"cost": 900_000}}, {"BID-003"}),
    "bid3-margin-on-floor": (OPEN, {"bids": {"cost": 850_000}}, set()),
    # CON
    "con1-zero-advance": ({}, {"contracts": {"advance_ratio": 0}}, {"CON-001"}),
    "con1-blank-advance": ({}, {"contracts": {"advance_ratio": None}}, {"CON-001"}),
    "con1-zero-advance-approved": ({}, {"contracts": {"advance_ratio": 0, "special_approval": "SP-2026-01"}}, set()),
    "con2-legal-after-signing": ({}, {"contracts": {"legal_signoff": d("2026-09-22")}}, {"CON-002"}),
    "con2-finance-missing": ({}, {"contracts": {"finance_signoff": None}}, {"CON-002"}),
    "con2-signed-same-day": ({}, {"contracts": {"legal_signoff": d("2026-09-21"),
                                                "finance_signoff": d("2026-09-21")}}, set()),
    "con3-acceptance-undefined": ({}, {"contracts": {"acceptance_defined": "否"}}, {"CON-003"}),
    "con3-liability-blank": ({}, {"contracts": {"liability_defined": None}}, {"CON-003"}),
    "con45-on-deadlines": ({}, {"contracts": SIGNED_0928 | {"handover_date": d("2026-10-10"),
                                                            "archived_date": d("2026-10-08")}}, set()),
    "con45-a-working-day-late": ({}, {"contracts": SIGNED_0928 | {"handover_date": d("2026-10-12"),
                                                                  "archived_date": d("2026-10-09")}},
                                 {"CON-004", "CON-005"}),
    "con6-one-yuan-short": ({}, {"receivables": None}, {"CON-006"}),
    "con6-within-half-yuan": ({}, {"receivables": 0.4}, set()),
    # REN-001: contract ending within 90 days and no renewal project for the customer
    "ren-ends-in-60-days": ({}, {"contracts": {"end_date": AS_OF + dt.timedelta(days=60)}}, {"REN-001"}),
    "ren-ends-in-91-days": ({}, {"contracts": {"end_date": AS_OF + dt.timedelta(days=91)}}, set()),
}
RENEWED = "ren-renewal-exists"  # same as ren-ends-in-60-days, plus a new project for the same customer


def _rows(name: str, status_stage: dict, changes: dict) -> dict[str, list[dict]]:
    rows = project_rows(name, as_of=AS_OF, **status_stage)
    changes = dict(changes)
    short = changes.pop("receivables", "absent")
    rows = with_changes(rows, changes)
    for key, sheet_rows in rows.items():
        if "project_id" in {c.key for c in sheet(key).columns}:
            for row in sheet_rows:
                row.setdefault("project_id", name)  # rows a case replaced wholesale
    if short != "absent":  # second installment short by 1 元 (None) or by 0.4 元
        rows["receivables"][1]["amount_due"] -= 1 if short is None else short
    return rows


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    ledgers = [_rows(name, stage_status, changes) for name, (stage_status, changes, _) in CASES.items()]
    renewed = _rows(RENEWED, {}, {"contracts": {"end_date": AS_OF + dt.timedelta(days=60)}})
    renewal = project_rows(f"{RENEWED}-2027", stage="方案", status="进行中", as_of=AS_OF)
    renewal["projects"][0].update(customer=renewed["projects"][0]["customer"], lead_date=d("2026-10-15"))
    renewal["initiation"][0].update(form_date=d("2026-10-16"), review_date=d("2026-10-19"), crm_date=d("2026-10-19"))
    path = write_ledger(tmp_path_factory.mktemp("sop") / "ledger.xlsx", merge(*ledgers, renewed, renewal))
    return check_files([path], AS_OF)


def fired(result, pid: str) -> set[str]:
    return {f.rule for f in result.findings if f.project_id == pid and f.rule in ALL}


@pytest.mark.parametrize("name", CASES)
def test_case_fires_exactly_its_rules(result, name):
    _, _, expected = CASES[name]
    assert fired(result, name) == expected


def test_a_renewal_project_for_the_customer_silences_ren001(result):
    assert fired(result, RENEWED) == set()


def test_no_calendar_or_schema_noise(result):
    assert not [f for f in result.findings if f.rule.startswith(("CAL", "SCH", "SET"))]


def one(result, pid: str, rule: str):
    (finding,) = [f for f in result.findings if f.project_id == pid and f.rule == rule]
    return finding


def test_bid001_message_states_deadline_actual_and_lateness(result):
    f = one(result, "bid1-a-day-late", "BID-001")
    assert "价格审批应不晚于 2026-09-29（投标前5个工作日），实际 2026-09-30，晚 1 个工作日" in f.message_zh
    assert "2026-09-29" in f.message_en and "1 working day" in f.message_en
    assert (f.severity, f.owner_role, f.owner, f.due_date) == ("error", "CO", CO, d("2026-09-29"))
    assert f.sheet == "方案投标 Proposal & Bid" and f.column.startswith("价格审批日期")
    assert f.cell.endswith(f"!{f.cell.split('!')[-1]}") and f.row >= 2


def test_deadline_findings_carry_cell_owner_and_due_date(result):
    expectations = {
        ("ini1-day-after", "INI-001"): ("error", "AM", AM, d("2026-10-08"), "立项评估", "立项表日期"),
        ("ini1-saturday-late", "INI-001"): ("error", "AM", AM, d("2026-10-12"), "立项评估", "立项表日期"),
        ("bid2-sealed-on-saturday", "BID-002"): ("error", "CO", CO, d("2026-10-09"), "方案投标", "封标日期"),
        ("con45-a-working-day-late", "CON-004"): ("warning", "AM", AM, d("2026-10-10"), "合同", "交接单日期"),
        ("con45-a-working-day-late", "CON-005"): ("warning", "CO", CO, d("2026-10-08"), "合同", "归档日期"),
    }
    for (pid, rule), (severity, role, owner, due, sheet_title, column) in expectations.items():
        f = one(result, pid, rule)
        assert (f.severity, f.owner_role, f.owner, f.due_date) == (severity, role, owner, due), (pid, rule)
        assert f.sheet.startswith(sheet_title) and f.column.startswith(column), (f.sheet, f.column)
        assert f.cell == f"'{f.sheet}'!{f.cell.split('!')[-1]}" or f.cell == f"{f.sheet}!{f.cell.split('!')[-1]}"
        assert "晚 1 个工作日" in f.message_zh and due.isoformat() in f.message_zh


def test_owner_roles_of_the_other_rules(result):
    roles = {(f.rule, f.owner_role) for f in result.findings if f.rule in ALL}
    for rule, role in [("INI-002", "AM"), ("INI-003", "AM"), ("INI-004", "CO"), ("STK-001", "AM"), ("PRO-001", "PS"),
                       ("PRO-002", "AM"), ("PRO-003", "PS"), ("BID-003", "AM"), ("CON-001", "AM"), ("CON-002", "CO"),
                       ("CON-003", "AM"), ("CON-006", "CO"), ("REN-001", "AM")]:
        assert (rule, role) in roles, rule
    assert one(result, "pro1-one-round", "PRO-001").owner == PS


def test_messages_name_the_value_and_the_fix(result):
    f = one(result, "ini2-bant-gap", "INI-002")
    assert "决策人" in f.message_zh and "采购时间" in f.message_zh or "purchase" in f.message_en
    f = one(result, "con6-one-yuan-short", "CON-006")
    assert "1,000,000" in f.message_zh and "999,999" in f.message_zh
    f = one(result, "stk2-kp-31-days", "STK-002")
    assert "31 天" in f.message_zh


# ------------------------------------------------------------------------------- upcoming nodes

UPCOMING_AS_OF = d("2026-09-22")  # Tuesday before the Mid-Autumn (09-25..27) and National Day holidays


@pytest.fixture(scope="module")
def upcoming(tmp_path_factory):
    ledgers = [
        _rows("up-bid", OPEN, {"bids": {**BID_1012, "price_approval_date": None, "sealed_date": None}}),
        _rows("up-form", {"stage": "立项", "status": "进行中"}, {**HOLIDAY_LEAD, "initiation": {
            **HOLIDAY_LEAD["initiation"], "form_date": None, "review_date": None, "review_result": None}}),
    ]
    path = write_ledger(tmp_path_factory.mktemp("up") / "ledger.xlsx", merge(*ledgers))
    return check_files([path], UPCOMING_AS_OF)


def test_nodes_still_ahead_are_upcoming_alerts_not_findings(upcoming):
    assert not [f for f in upcoming.findings if f.rule in ALL]
    alerts = upcoming.alerts
    due = {(row.project_id, row.rule): row.due_date for row in alerts.itertuples()}
    assert due[("up-bid", "BID-001")] == d("2026-09-29")
    assert due[("up-bid", "BID-002")] == d("2026-10-09")
    # the form is not due until 10-08 (the lead was on 09-28, the holidays do not count)
    form_row = alerts[(alerts["project_id"] == "up-form") & (alerts["rule"] == "INI-001")]
    assert len(form_row) == 1 and form_row["due_date"].item() == d("2026-10-08")
    bid = alerts[(alerts["project_id"] == "up-bid") & (alerts["rule"] == "BID-001")].iloc[0]
    assert "4 个工作日后到期" in bid["message_zh"]  # 09-23, 09-24, [09-25..27 Mid-Autumn], 09-28, 09-29
