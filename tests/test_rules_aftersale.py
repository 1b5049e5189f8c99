"""DEL, HLT and ISS rules (SPEC §7) on real .xlsx ledgers: each fires, each near miss doesn't.

Every case is one signed project (named after the case) whose after-sale rows differ from a
clean one (tests/aftersale_cases.py) only in what the case is about; the whole table is one
ledger checked once at 2026-11-16. Working-day deadlines are probed across the 2026 National
Day holidays (10-01..07) and the make-up Saturday 2026-10-10 (a working day).
"""

from __future__ import annotations

import datetime as dt

import pytest

from kaxl.api import check_files
from tests.aftersale_cases import AS_OF, CS, DM, aftersale_project, assessment, issue, milestone
from tests.ledger_factory import d, write_ledger
from tests.sop_cases import AM, CO, merge, project_rows

FAMILIES = ("DEL-", "HLT-", "ISS-")
OPEN_MS = {"actual_date": None, "signoff_date": None}  # a milestone not done yet


def ms(name: str, **over) -> dict:
    return {"delivery": [milestone(name, **over)]}


def acceptance(name: str, *, signoff, invoice) -> dict:
    rows = project_rows(name, as_of=AS_OF)["receivables"]
    rows[1].update(invoice_date=invoice)
    return {"delivery": [milestone(name), milestone(name, milestone="验收", planned_date=d("2026-11-10"),
                                                    actual_date=d("2026-11-09"), signoff_date=signoff)],
            "receivables": rows}


def complaint(name: str, **over) -> dict:
    return {"issues": [issue(name, kind="投诉", **over)]}


# case: (changes, rules of the three families that must fire)
CASES: dict[str, tuple[dict, set[str]]] = {
    "clean": ({}, set()),
    # DEL-001 not done past planned_date
    "del1-overdue": (ms("del1-overdue", planned_date=d("2026-11-15"), **OPEN_MS), {"DEL-001"}),
    "del1-due-today": (ms("del1-due-today", planned_date=AS_OF, **OPEN_MS), set()),
    "del1-done-late": (ms("del1-done-late", planned_date=d("2026-10-15"), actual_date=d("2026-10-19")), set()),
    # DEL-002 confirmed 5 working days before planned_date
    # planned 10-16 (Fri): −5 = 10-15, 10-14, 10-13, 10-12, 10-10 (make-up Saturday) → by 10-10
    "del2-saturday-counts": (ms("del2-saturday-counts", planned_date=d("2026-10-16"), actual_date=d("2026-10-16"),
                                plan_confirmed=d("2026-10-10")), set()),
    "del2-saturday-late": (ms("del2-saturday-late", planned_date=d("2026-10-16"), actual_date=d("2026-10-16"),
                              plan_confirmed=d("2026-10-12")), {"DEL-002"}),
    # planned 10-12 (Mon): −5 = 10-10, 10-09, 10-08, [holidays], 09-30, 09-29 → by 09-29
    "del2-on-deadline-over-holidays": (ms("del2-on-deadline-over-holidays", planned_date=d("2026-10-12"),
                                          actual_date=d("2026-10-12"), plan_confirmed=d("2026-09-29")), set()),
    "del2-day-after-over-holidays": (ms("del2-day-after-over-holidays", planned_date=d("2026-10-12"),
                                        actual_date=d("2026-10-12"), plan_confirmed=d("2026-09-30")), {"DEL-002"}),
    "del2-missing-passed": (ms("del2-missing-passed", planned_date=d("2026-11-20"), plan_confirmed=None,
                               **OPEN_MS), {"DEL-002"}),
    "del2-missing-ahead": (ms("del2-missing-ahead", planned_date=d("2026-12-10"), plan_confirmed=None,
                              **OPEN_MS), set()),
    # DEL-003 weekly report of a contract in delivery, one finding per contract
    "del3-report-7-days": (ms("del3-report-7-days", planned_date=d("2026-12-10"), last_report=d("2026-11-09"),
                              **OPEN_MS), set()),
    "del3-report-8-days": ({"delivery": [
        milestone("del3-report-8-days", planned_date=d("2026-12-20"), last_report=d("2026-11-08"), **OPEN_MS),
        milestone("del3-report-8-days", planned_date=d("2026-12-10"), last_report=d("2026-11-01"), **OPEN_MS),
        milestone("del3-report-8-days", planned_date=d("2026-12-28"), last_report=None, **OPEN_MS)]}, {"DEL-003"}),
    "del3-never-reported": (ms("del3-never-reported", planned_date=d("2026-12-10"), last_report=None,
                               **OPEN_MS), {"DEL-003"}),
    "del3-all-done": (ms("del3-all-done", last_report=d("2026-10-01")), set()),
    # DEL-004 done without three-party sign-off
    "del4-no-signoff": (ms("del4-no-signoff", signoff_date=None), {"DEL-004"}),
    # DEL-005 cost overrun beyond the 10 % tolerance without a change request
    "del5-at-tolerance": (ms("del5-at-tolerance", actual_cost=110_000), set()),
    "del5-over": (ms("del5-over", actual_cost=110_001), {"DEL-005"}),
    "del5-with-change-request": (ms("del5-with-change-request", actual_cost=150_000, change_request="BG-007"), set()),
    # DEL-006 验收款 invoiced while the 验收 milestone is not signed off
    "del6-invoiced-unsigned": (acceptance("del6-invoiced-unsigned", signoff=None, invoice=d("2026-11-10")),
                               {"DEL-004", "DEL-006"}),
    "del6-invoiced-signed": (acceptance("del6-invoiced-signed", signoff=d("2026-11-09"), invoice=d("2026-11-10")), set()),
    "del6-not-invoiced": (acceptance("del6-not-invoiced", signoff=None, invoice=None), {"DEL-004"}),
    # HLT-001 latest health below 80 without a retention plan on or after it
    "hlt1-low": ({"health": [assessment("hlt1-low", usage=70, value=70, relationship=70)]}, {"HLT-001"}),
    "hlt1-low-with-plan": ({"health": [assessment("hlt1-low-with-plan", usage=70, value=70, relationship=70,
                                                  retention_plan_date=d("2026-11-02"))]}, set()),
    "hlt1-plan-before-assessment": ({"health": [
        assessment("hlt1-plan-before-assessment", assessed_date=d("2026-08-20"), usage=70, value=70, relationship=70,
                   retention_plan_date=d("2026-08-25")),
        assessment("hlt1-plan-before-assessment", usage=70, value=70, relationship=60)]}, {"HLT-001"}),
    # 0.4×80 + 0.3×80 + 0.3×79 = 79.7 → 80; 0.4×75 + 0.3×80 + 0.3×85 = 79.5 → 80 (half up)
    "hlt1-rounds-to-80": ({"health": [assessment("hlt1-rounds-to-80", usage=80, value=80, relationship=79)]}, set()),
    "hlt1-half-up": ({"health": [assessment("hlt1-half-up", usage=75, value=80, relationship=85)]}, set()),
    "hlt1-recovered": ({"health": [assessment("hlt1-recovered", assessed_date=d("2026-08-20"), usage=50, value=50,
                                              relationship=50), assessment("hlt1-recovered")]}, set()),
    # blank relationship: the only KP (赵总) was last contacted 2026-11-11 (as-of − 5)
    "hlt1-blank-relationship-cold": ({"health": [assessment("hlt1-blank-relationship-cold", assessed_date=d("2026-10-01"),
                                                            usage=100, value=100, relationship=None),
                                                 ]}, {"HLT-001"}),
    # the same KP last typed as contacted 40 days ago, but a phone call on the assessment day names them
    "hlt1-blank-relationship-warm": ({
        "health": [assessment("hlt1-blank-relationship-warm", assessed_date=AS_OF, usage=80, value=80,
                              relationship=None)],
        "stakeholders": {"last_contact": AS_OF - dt.timedelta(days=40)},
        "visits": [{"project_id": "hlt1-blank-relationship-warm", "visit_date": AS_OF, "visitor": AM,
                    "kind": "电话", "contacts": "赵总", "record_date": AS_OF}]}, set()),
    # HLT-002 a customer under contract assessed every 90 days
    "hlt2-90-days": ({"health": [assessment("hlt2-90-days", assessed_date=AS_OF - dt.timedelta(days=90))]}, set()),
    "hlt2-91-days": ({"health": [assessment("hlt2-91-days", assessed_date=AS_OF - dt.timedelta(days=91))]}, {"HLT-002"}),
    "hlt2-never": ({"health": []}, {"HLT-002"}),
    "hlt2-contract-ended": ({"health": [], "contracts": {"end_date": d("2026-11-15")}}, set()),
    # ISS-001 open by age: > 3 days a warning to the AM, > 7 days an error to management
    "iss1-3-days": ({"issues": [issue("iss1-3-days", raised_date=d("2026-11-13"), resolved_date=None, status="开放")]},
                    set()),
    "iss1-4-days": ({"issues": [issue("iss1-4-days", raised_date=d("2026-11-12"), resolved_date=None, status="开放")]},
                    {"ISS-001"}),
    "iss1-8-days": ({"issues": [issue("iss1-8-days", raised_date=d("2026-11-08"), resolved_date=None, status=None)]},
                    {"ISS-001"}),
    "iss1-resolved": ({"issues": [issue("iss1-resolved", raised_date=d("2026-10-01"), resolved_date=d("2026-10-20"))]},
                      set()),
    # ISS-002 complaint answered within 2 working days
    # raised 10-09 (Fri): +2 = 10-10 (make-up Saturday), 10-12 → by 10-12
    "iss2-saturday-counts": (complaint("iss2-saturday-counts", raised_date=d("2026-10-09"), replied_date=d("2026-10-12"),
                                       resolved_date=d("2026-10-14")), set()),
    "iss2-saturday-late": (complaint("iss2-saturday-late", raised_date=d("2026-10-09"), replied_date=d("2026-10-13"),
                                     resolved_date=d("2026-10-14")), {"ISS-002"}),
    # raised 09-30 (Wed): +2 = [holidays] 10-08, 10-09 → by 10-09
    "iss2-over-holidays": (complaint("iss2-over-holidays", raised_date=d("2026-09-30"), replied_date=d("2026-10-09"),
                                     resolved_date=d("2026-10-09")), set()),
    "iss2-no-reply-passed": (complaint("iss2-no-reply-passed", raised_date=d("2026-11-11"), replied_date=None,
                                       resolved_date=d("2026-11-14")), {"ISS-002"}),
    "iss2-no-reply-ahead": (complaint("iss2-no-reply-ahead", raised_date=d("2026-11-13"), replied_date=None,
                                      resolved_date=None, status="开放"), set()),
    "iss2-issue-not-complaint": ({"issues": [issue("iss2-issue-not-complaint", replied_date=None)]}, set()),
    # ISS-003 resolved without a date, or resolved before raised
    "iss3-no-date": ({"issues": [issue("iss3-no-date", resolved_date=None)]}, {"ISS-003"}),
    "iss3-before-raised": ({"issues": [issue("iss3-before-raised", resolved_date=d("2026-11-09"))]}, {"ISS-003"}),
}


def _ledger(name: str, changes: dict) -> dict[str, list[dict]]:
    return aftersale_project(name, changes)


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    ledgers = [_ledger(name, changes) for name, (changes, _) in CASES.items()]
    path = write_ledger(tmp_path_factory.mktemp("aftersale") / "ledger.xlsx", merge(*ledgers))
    return check_files([path], AS_OF)


def fired(result, pid: str) -> set[str]:
    return {f.rule for f in result.findings if f.project_id == pid and f.rule.startswith(FAMILIES)}


@pytest.mark.parametrize("name", CASES)
def test_case_fires_exactly_its_rules(result, name):
    assert fired(result, name) == CASES[name][1]


def test_no_calendar_or_schema_noise(result):
    assert not [f for f in result.findings if f.rule.startswith(("CAL", "SCH", "SET"))]


def one(result, pid: str, rule: str):
    (finding,) = [f for f in result.findings if f.project_id == pid and f.rule == rule]
    return finding


def test_del003_is_one_finding_on_the_first_open_milestone(result):
    f = one(result, "del3-report-8-days", "DEL-003")
    assert f.column.startswith("最近周报日期") and f.contract_id == "HT-del3-report-8-days"
    assert "2026-11-08" in f.message_zh and f.due_date == d("2026-11-15") and f.days == 1
    # the open milestone planned first (12-10) is the contract's second delivery row
    assert f.row == _delivery_row(result, "del3-report-8-days", 1)


def _delivery_row(result, pid: str, nth: int) -> int:
    frame = result.ledger.frames["delivery"]
    here = frame[frame["contract_id"] == f"HT-{pid}"]
    return int(here["_row"].iloc[nth])


def test_findings_carry_owner_cell_and_due_date(result):
    f = one(result, "del1-overdue", "DEL-001")
    assert (f.severity, f.owner_role, f.owner, f.due_date, f.days) == ("error", "DM", DM, d("2026-11-15"), 1)
    assert f.sheet == "交付里程碑 Delivery" and f.column.startswith("完成日期")
    f = one(result, "del2-saturday-late", "DEL-002")
    assert f.due_date == d("2026-10-10") and f.days == 1 and "2026-10-10" in f.message_zh
    f = one(result, "del5-over", "DEL-005")
    assert (f.owner_role, f.owner) == ("AM", AM) and f.column.startswith("变更单号")
    f = one(result, "del6-invoiced-unsigned", "DEL-006")
    assert (f.owner_role, f.owner, f.installment) == ("CO", CO, 2) and f.sheet == "回款台账 Receivables"
    assert f.column.startswith("开票日期")
    f = one(result, "hlt1-low", "HLT-001")
    assert (f.severity, f.owner_role, f.owner) == ("error", "CS", AM)  # no retention owner, no CS: the AM
    assert "70" in f.message_zh and f.column.startswith("挽回计划日期")
    f = one(result, "hlt2-never", "HLT-002")
    assert (f.severity, f.owner_role) == ("warning", "CS") and f.sheet == "项目台账 Projects"
    f = one(result, "iss2-saturday-late", "ISS-002")
    assert (f.severity, f.owner, f.due_date, f.days) == ("error", "孙磊", d("2026-10-12"), 1)
    f = one(result, "iss3-no-date", "ISS-003")
    assert (f.owner_role, f.owner) == ("CO", CO)


def test_iss001_escalates_in_two_steps(result):
    warning = one(result, "iss1-4-days", "ISS-001")
    error = one(result, "iss1-8-days", "ISS-001")
    assert (warning.severity, warning.escalation_level, warning.days) == ("warning", 1, 1)
    assert (error.severity, error.escalation_level, error.days) == ("error", 3, 1)
    assert "销售经理" in warning.message_zh and "管理层" in error.message_zh
    assert warning.owner == "孙磊" and error.due_date == d("2026-11-15")


def test_blank_relationship_is_computed_from_contact(result):
    cold = one(result, "hlt1-blank-relationship-cold", "HLT-001")
    assert "健康度为 70" in cold.message_zh and "按关键人接触计算" in cold.message_zh


def test_deadlines_still_ahead_are_upcoming_alerts(result):
    alerts = result.alerts
    upcoming = alerts[alerts["kind"] == "upcoming"]

    def has(pid: str, rule: str) -> bool:
        return bool(((upcoming["project_id"] == pid) & (upcoming["rule"] == rule)).any())

    assert has("del1-due-today", "DEL-001")
    assert has("del2-missing-ahead", "DEL-002") is False  # 12-10 − 5 = 12-03: beyond the two-week window
    assert has("del3-report-7-days", "DEL-003")
    assert has("iss2-no-reply-ahead", "ISS-002") and has("iss1-3-days", "ISS-001")
    row = upcoming[(upcoming["project_id"] == "iss2-no-reply-ahead") & (upcoming["rule"] == "ISS-002")].iloc[0]
    assert row["due_date"] == d("2026-11-17") and row["days"] == -1


def test_owners_fall_back_to_the_projects_people(tmp_path):
    rows = aftersale_project("p", {"delivery": [milestone("p", owner=None, planned_date=d("2026-11-10"), **OPEN_MS)],
                                   "health": [assessment("p", usage=10, value=10, relationship=10)]})
    rows["projects"][0].update(delivery_manager="周敏", csm=CS)
    path = write_ledger(tmp_path / "l.xlsx", rows)
    result = check_files([path], AS_OF)
    assert one(result, "p", "DEL-001").owner == "周敏"
    assert one(result, "p", "HLT-001").owner == CS


def test_sheets_absent_never_fire(tmp_path):
    rows = project_rows("p", as_of=AS_OF)
    path = write_ledger(tmp_path / "l.xlsx", rows)
    result = check_files([path], AS_OF)
    assert not [f for f in result.findings if f.rule.startswith(FAMILIES)]
    assert not [a for a in result.alerts["rule"] if str(a).startswith(FAMILIES)]


def test_custom_weights_and_refused_weights(tmp_path):
    rows = aftersale_project("p", {"health": [assessment("p", usage=90, value=60, relationship=30)]})
    # default 0.4×90 + 0.3×60 + 0.3×30 = 63 (HLT-001); 1,0,0 → 90 (healthy)
    good = write_ledger(tmp_path / "good.xlsx", merge(rows, {"settings": [{"key": "health_weights", "value": "1,0,0"}]}))
    assert "HLT-001" not in fired(check_files([good], AS_OF), "p")
    bad = write_ledger(tmp_path / "bad.xlsx", merge(rows, {"settings": [{"key": "health_weights", "value": "0.5,0.5,0.5"}]}))
    result = check_files([bad], AS_OF)
    assert "HLT-001" in fired(result, "p")  # the defaults are used, never a renormalised 1/3 each
    (warning,) = [f for f in result.findings if f.rule == "SET-001"]
    assert "health_weights" in warning.message_zh and "1.5" in warning.message_zh and warning.cell.endswith("B2")


def test_issue_escalation_steps_come_from_settings(tmp_path):
    rows = aftersale_project("p", {"issues": [issue("p", raised_date=d("2026-11-13"), resolved_date=None, status="开放")]})
    custom = write_ledger(tmp_path / "c.xlsx", merge(rows, {"settings": [{"key": "issue_escalation_days", "value": "1,2"}]}))
    (f,) = [f for f in check_files([custom], AS_OF).findings if f.rule == "ISS-001"]
    assert (f.severity, f.escalation_level, f.days) == ("error", 3, 1)  # 3 days open > the second step of 2
    for typed in ("7,3", "3", "-1,7"):
        bad = write_ledger(tmp_path / f"b{len(typed)}.xlsx",
                           merge(rows, {"settings": [{"key": "issue_escalation_days", "value": typed}]}))
        result = check_files([bad], AS_OF)
        (warning,) = [f for f in result.findings if f.rule == "SET-001"]
        assert "由小到大" in warning.message_zh and not [f for f in result.findings if f.rule == "ISS-001"]


def test_a_negative_weight_is_refused(tmp_path):
    rows = aftersale_project("p")
    bad = write_ledger(tmp_path / "n.xlsx", merge(rows, {"settings": [{"key": "health_weights", "value": "1.2,0,-0.2"}]}))
    (warning,) = [f for f in check_files([bad], AS_OF).findings if f.rule == "SET-001"]
    assert "负数" in warning.message_zh and "negative" in warning.message_en


def test_iss_messages_set_the_issue_id_apart_like_the_first_wave(result):
    """Like 合同 HT-001 的… in the receivables messages, an issue's id is followed by a space or a
    bracket, never glued to the Chinese that follows (投诉 WT-0003于 read as one word)."""
    import re

    upcoming = result.alerts[(result.alerts["kind"] == "upcoming") & result.alerts["rule"].str.startswith("ISS-")]
    texts = [f.message_zh for f in result.findings if f.rule.startswith("ISS-")] + list(upcoming["message_zh"])
    assert len(texts) >= 8 and {f.rule for f in result.findings if f.rule.startswith("ISS-")} == {
        "ISS-001", "ISS-002", "ISS-003"}
    for text in texts:
        (ident,) = re.findall(r"WT-[A-Za-z0-9-]*[0-9]", text)
        assert re.search(re.escape(ident) + r"[ （]", text), text
        assert re.match(r"(问题|投诉) WT-", text), text
