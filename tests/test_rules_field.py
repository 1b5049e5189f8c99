"""LEA, PRJ and VIS rules (SPEC §7) on real .xlsx ledgers: each fires, each near miss doesn't.

Every case is one project (named after the case) whose field rows differ from a clean one
(tests/field_cases.py) only in what the case is about; the whole table is one ledger checked
once at 2026-11-16. VIS-002 counts working days on the 调休 calendar (the make-up Saturday
2026-10-10 is a working day, 10-01..07 are holidays); LEA-001 and VIS-001 count calendar days.
"""

from __future__ import annotations

import datetime as dt

import pytest

from kaxl.api import check_files
from tests.field_cases import AS_OF, VISITOR, field_project, lead, person, visit
from tests.ledger_factory import d, write_ledger
from tests.sop_cases import AM, CO, merge, project_rows

FAMILIES = ("LEA-", "PRJ-", "VIS-")
SERIAL_1110 = 46336  # 2026-11-10 as an Excel date serial


def v(name: str, **over) -> dict:
    """The case's only visit (replacing the clean one), plus the clean one when it keeps the cadence."""
    return {"visits": [visit(name, **over)]}


def leads(name: str, **over) -> dict:
    return {"leads": [lead(name, **over)]}


def pad(name: str, *rows: dict) -> dict:
    """Extra visits beside the clean one."""
    return {"visits": [visit(name), *rows]}


# case: (field_project keyword arguments, rules of the three families that must fire)
CASES: dict[str, tuple[dict, set[str]]] = {
    "clean": ({}, set()),
    # LEA-001 screened within 2 calendar days (48 h) of registering
    "lea1-on-boundary": ({"changes": leads("lea1-on-boundary", registered_date=d("2026-11-10"),
                                           screened_date=d("2026-11-12"))}, set()),
    "lea1-late": ({"changes": leads("lea1-late", registered_date=d("2026-11-10"), screened_date=d("2026-11-13"))},
                  {"LEA-001"}),
    # Friday → Monday is one working day but three calendar days: late
    "lea1-calendar-not-working": ({"changes": leads("lea1-calendar-not-working", registered_date=d("2026-11-06"),
                                                    screened_date=d("2026-11-09"))}, {"LEA-001"}),
    "lea1-missing-passed": ({"changes": leads("lea1-missing-passed", registered_date=d("2026-11-13"),
                                              screened_date=None, grade=None, result=None)}, {"LEA-001"}),
    "lea1-missing-due-today": ({"changes": leads("lea1-missing-due-today", registered_date=d("2026-11-14"),
                                                 screened_date=None, grade=None, result=None)}, set()),
    "lea1-text-dates": ({"changes": leads("lea1-text-dates", registered_date="2026/11/10",
                                          screened_date="2026年11月12日")}, set()),
    "lea1-serial-late": ({"changes": leads("lea1-serial-late", registered_date=SERIAL_1110 - 3,
                                           screened_date=SERIAL_1110)}, {"LEA-001"}),
    # LEA-002 converted without a project id
    "lea2-unlinked": ({"changes": {"leads": [lead("lea2-unlinked"), lead("lea2-unlinked", 2, project_id=None)]}},
                      {"LEA-002"}),
    "lea2-english-key": ({"changes": {"leads": [lead("lea2-english-key"),
                                                lead("lea2-english-key", 2, project_id=None, result=" converted ")]}},
                         {"LEA-002"}),
    "lea2-nurtured": ({"changes": {"leads": [lead("lea2-nurtured"),
                                             lead("lea2-nurtured", 2, project_id=None, result="培育")]}}, set()),
    # LEA-003 past Initiation without KA admission
    "lea3-no-admission": ({"changes": leads("lea3-no-admission", admission_approved=None, admission_approver=None)},
                          {"LEA-003"}),
    "lea3-still-initiation": ({"stage": "立项", "changes": leads("lea3-still-initiation", admission_approved=None)},
                              set()),
    "lea3-not-converted": ({"changes": leads("lea3-not-converted", admission_approved=None, result="培育")}, set()),
    # PRJ-001: ka_min_amount is 50万 in this ledger's settings
    "prj1-small": ({"changes": {"projects": {"estimated_amount": 400_000}}}, {"PRJ-001"}),
    "prj1-at-threshold": ({"changes": {"projects": {"estimated_amount": 500_000}}}, set()),
    "prj1-small-strategic": ({"changes": {"projects": {"estimated_amount": 400_000, "strategic": "是"}}}, set()),
    # VIS-001 recorded within 1 calendar day (24 h)
    "vis1-next-day": ({"extra_visits": [visit("vis1-next-day", kind="电话", visit_date=d("2026-11-12"),
                                              record_date=d("2026-11-13"))]}, set()),
    "vis1-two-days": ({"extra_visits": [visit("vis1-two-days", kind="电话", visit_date=d("2026-11-12"),
                                              record_date=d("2026-11-14"))]}, {"VIS-001"}),
    "vis1-missing-passed": ({"extra_visits": [visit("vis1-missing-passed", kind="电话", visit_date=d("2026-11-14"),
                                                    record_date=None)]}, {"VIS-001"}),
    "vis1-missing-due-today": ({"extra_visits": [visit("vis1-missing-due-today", kind="video",
                                                       visit_date=d("2026-11-15"), record_date=None)]}, set()),
    "vis1-future-visit": ({"extra_visits": [visit("vis1-future-visit", visit_date=d("2026-11-30"), record_date=None,
                                                  plan_date=d("2026-11-20"))]}, set()),
    # VIS-002 an in-person visit planned 3 working days ahead (调休 calendar)
    # visit 10-12 (Mon): −3 = 10-10 (make-up Saturday), 10-09, 10-08 → plan by 10-08
    "vis2-saturday-counts": ({"extra_visits": [visit("vis2-saturday-counts", visit_date=d("2026-10-12"),
                                                     plan_date=d("2026-10-08"), record_date=d("2026-10-12"))]}, set()),
    "vis2-saturday-late": ({"extra_visits": [visit("vis2-saturday-late", visit_date=d("2026-10-12"),
                                                   plan_date=d("2026-10-09"), record_date=d("2026-10-12"))]},
                           {"VIS-002"}),
    # visit 10-09 (Fri): −3 = 10-08, [holidays], 09-30, 09-29 → plan by 09-29
    "vis2-over-holidays": ({"extra_visits": [visit("vis2-over-holidays", visit_date=d("2026-10-09"),
                                                   plan_date=d("2026-09-29"), record_date=d("2026-10-09"))]}, set()),
    "vis2-over-holidays-late": ({"extra_visits": [visit("vis2-over-holidays-late", visit_date=d("2026-10-09"),
                                                        plan_date=d("2026-09-30"), record_date=d("2026-10-09"))]},
                                {"VIS-002"}),
    "vis2-no-plan": ({"extra_visits": [visit("vis2-no-plan", plan_date=None)]}, {"VIS-002"}),
    "vis2-phone-no-plan": ({"extra_visits": [visit("vis2-phone-no-plan", kind="电话", plan_date=None)]}, set()),
    "vis2-english-kind": ({"extra_visits": [visit("vis2-english-kind", kind="\u3000in_person ", plan_date=None)]},
                          {"VIS-002"}),
    # visit 11-25 (Wed): −3 = 11-24, 11-23, 11-20 → a plan by 11-20 still ahead: upcoming
    "vis2-plan-ahead": ({"extra_visits": [visit("vis2-plan-ahead", visit_date=d("2026-11-25"), plan_date=None,
                                                record_date=None)]}, set()),
    # VIS-003 an active grade-A or strategic customer met in person every 30 days
    "vis3-30-days": (v("vis3-30-days", visit_date=AS_OF - dt.timedelta(days=30), plan_date=d("2026-10-01"),
                       record_date=AS_OF - dt.timedelta(days=30)), set()),
    "vis3-31-days": (v("vis3-31-days", visit_date=AS_OF - dt.timedelta(days=31), plan_date=d("2026-10-01"),
                       record_date=AS_OF - dt.timedelta(days=31)), {"VIS-003"}),
    "vis3-phone-only": (v("vis3-phone-only", kind="电话"), {"VIS-003"}),
    "vis3-strategic-grade-c": ({"changes": {"visits": [visit("vis3-strategic-grade-c", kind="电话")],
                                            "projects": {"tier": "C", "relationship": "战略合作伙伴"}}}, {"VIS-003"}),
    "vis3-grade-b": ({"changes": {"visits": [visit("vis3-grade-b", kind="电话")], "projects": {"tier": "B"}}}, set()),
    "vis3-won": ({"status": "赢单", "stage": "回款", "changes": v("vis3-won", kind="电话")}, set()),
    # VIS-004 an agreed follow-up happens (active projects)
    "vis4-missed": (v("vis4-missed", visit_date=d("2026-11-10"), next_date=d("2026-11-12"), next_step="报价"),
                    {"VIS-004"}),
    "vis4-kept-same-day": (pad("vis4-kept-same-day",
                               visit("vis4-kept-same-day", kind="电话", visit_date=d("2026-11-03"),
                                     next_date=d("2026-11-10"), plan_date=None, record_date=d("2026-11-03"))), set()),
    "vis4-due-today": (v("vis4-due-today", next_date=AS_OF), set()),
    "vis4-won": ({"status": "赢单", "stage": "回款", "changes": v("vis4-won", next_date=d("2026-11-12"))}, set()),
    # VIS-005 names that are not on the project's map; separators and titles as people type them
    "vis5-all-match": ({"changes": {
        "visits": [visit("vis5-all-match", contacts="张伟总、王总, 赵总;钱工\n孙丽\u3000周强，刘洋；陈静 吴磊")],
        "stakeholders": [person("vis5-all-match", n) for n in ("赵总", "张伟", "王建国", "钱明", "孙丽", "周强", "刘洋",
                                                               "陈静", "吴磊")]}}, set()),
    "vis5-stranger": ({"changes": {"visits": [visit("vis5-stranger", contacts="赵总、黄蓉")]}}, {"VIS-005"}),
    "vis5-surname-nobody": ({"changes": {"visits": [visit("vis5-surname-nobody", contacts="赵总，王总")]}},
                            {"VIS-005"}),
}


def _ledger(name: str, spec: dict) -> dict[str, list[dict]]:
    """A spec is field_project's keyword arguments, or just its sheet changes."""
    if not set(spec) <= {"changes", "stage", "status", "extra_visits"}:
        spec = {"changes": spec}
    return field_project(name, **spec)


def _rows() -> dict[str, list[dict]]:
    ledgers = [_ledger(name, spec) for name, (spec, _) in CASES.items()]
    return merge(*ledgers, {"settings": [{"key": "ka_min_amount", "value": "50万"}]})


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    path = write_ledger(tmp_path_factory.mktemp("field") / "ledger.xlsx", _rows())
    return check_files([path], AS_OF)


def lead_ids(result) -> dict[int, str]:
    frame = result.ledger.frames["leads"]
    return dict(zip(frame["_row"].astype(int), frame["lead_id"]))


def _on_leads(f) -> bool:
    return f.sheet.strip().casefold() in {"线索登记 leads", "线索登记", "leads"}


def fired(result, pid: str) -> set[str]:
    by_row = lead_ids(result)
    return {f.rule for f in result.findings if f.rule.startswith(FAMILIES)
            and (f.project_id == pid or (_on_leads(f) and by_row.get(f.row, "").startswith(f"XS-{pid}-")))}


@pytest.mark.parametrize("name", CASES)
def test_case_fires_exactly_its_rules(result, name):
    assert fired(result, name) == CASES[name][1]


def test_no_calendar_or_schema_noise(result):
    assert not [(f.rule, f.cell, f.message_en) for f in result.findings if f.rule.startswith(("CAL", "SCH", "SET"))]


def one(result, pid: str, rule: str):
    by_row = lead_ids(result)
    (finding,) = [f for f in result.findings if f.rule == rule and (
        f.project_id == pid or (_on_leads(f) and by_row.get(f.row, "").startswith(f"XS-{pid}-")))]
    return finding


def _row(result, key: str, pid: str, nth: int = 0) -> int:
    frame = result.ledger.frames[key]
    return int(frame.loc[frame["project_id"] == pid, "_row"].iloc[nth])


def test_findings_point_at_the_cell_to_change(result):
    f = one(result, "lea1-late", "LEA-001")
    assert (f.severity, f.owner_role, f.owner, f.due_date, f.days) == ("warning", "AM", AM, d("2026-11-12"), 1)
    assert f.sheet == "线索登记 Leads" and f.column.startswith("初筛日期") and f.cell.endswith(str(f.row))
    assert "2026-11-12" in f.message_zh and "2026-11-13" in f.message_en
    f = one(result, "lea1-missing-passed", "LEA-001")
    assert f.due_date == d("2026-11-15") and f.days == 1 and "初筛" in f.message_zh
    f = one(result, "lea2-unlinked", "LEA-002")
    assert (f.severity, f.project_id, f.owner) == ("error", None, AM) and f.column.startswith("项目编号")
    assert lead_ids(result)[f.row] == "XS-lea2-unlinked-2"
    f = one(result, "lea3-no-admission", "LEA-003")
    assert f.severity == "error" and f.column.startswith("准入审批日期") and "准入" in f.message_zh
    assert "admission" in f.message_en
    f = one(result, "prj1-small", "PRJ-001")
    assert (f.severity, f.owner_role, f.owner) == ("info", "AM", AM) and f.column.startswith("预估金额")
    assert f.sheet == "项目台账 Projects" and "500,000" in f.message_zh
    f = one(result, "vis1-two-days", "VIS-001")
    assert (f.severity, f.owner, f.due_date, f.days) == ("warning", VISITOR, d("2026-11-13"), 1)
    assert f.column.startswith("记录日期") and f.row == _row(result, "visits", "vis1-two-days", 1)
    f = one(result, "vis2-saturday-late", "VIS-002")
    assert (f.owner, f.due_date, f.days) == (VISITOR, d("2026-10-08"), 1) and f.column.startswith("计划日期")
    assert "2026-10-08" in f.message_zh and "2026-10-08" in f.message_en
    f = one(result, "vis3-31-days", "VIS-003")
    assert (f.owner_role, f.owner, f.due_date, f.days) == ("AM", AM, AS_OF - dt.timedelta(days=1), 1)
    assert f.sheet == "项目台账 Projects" and "面谈" in f.message_zh and "in person" in f.message_en
    f = one(result, "vis4-missed", "VIS-004")
    assert (f.owner, f.due_date, f.days) == (VISITOR, d("2026-11-12"), 4) and f.column.startswith("下次跟进日期")
    assert "报价" in f.message_zh
    f = one(result, "vis5-stranger", "VIS-005")
    assert (f.severity, f.owner_role, f.owner) == ("info", "CO", CO) and f.column.startswith("拜访对象")
    assert "黄蓉" in f.message_zh and "黄蓉" in f.message_en and "赵总" not in f.message_zh
    f = one(result, "vis5-surname-nobody", "VIS-005")
    assert "王总" in f.message_zh


def test_a_visitor_left_blank_leaves_the_visit_to_the_am(tmp_path):
    rows = field_project("p", extra_visits=[visit("p", kind="电话", visitor=None, visit_date=d("2026-11-12"),
                                                  record_date=d("2026-11-15"))])
    result = check_files([write_ledger(tmp_path / "l.xlsx", rows)], AS_OF)
    (f,) = [f for f in result.findings if f.rule == "VIS-001"]
    assert (f.owner_role, f.owner) == ("AM", AM)


def upcoming(result, pid: str, rule: str):
    alerts = result.alerts
    rows = alerts[(alerts["kind"] == "upcoming") & (alerts["project_id"] == pid) & (alerts["rule"] == rule)]
    assert len(rows) == 1, rows
    return rows.iloc[0]


def test_deadlines_still_ahead_are_upcoming_nodes(result):
    row = upcoming(result, "vis2-plan-ahead", "VIS-002")
    assert row["due_date"] == d("2026-11-20") and row["days"] == -4
    assert "11-25" in row["message_zh"] and "2026-11-20" in row["message_zh"]
    assert "The visit on 11-25 needs a plan by 2026-11-20" in row["message_en"]
    row = upcoming(result, "vis1-missing-due-today", "VIS-001")
    assert row["due_date"] == AS_OF and row["days"] == 0 and "今天到期" in row["message_zh"]
    row = upcoming(result, "lea1-missing-due-today", "LEA-001")
    assert row["due_date"] == AS_OF and row["owner"] == AM
    row = upcoming(result, "vis4-due-today", "VIS-004")
    assert row["due_date"] == AS_OF and row["owner"] == VISITOR
    row = upcoming(result, "vis3-30-days", "VIS-003")  # met 30 days ago: due again today
    assert row["due_date"] == AS_OF


@pytest.mark.parametrize("style", ["zh", "en", "key"])
def test_headers_and_sheet_names_in_either_language(tmp_path, result, style):
    titles = {"zh": {"leads": "线索登记", "visits": "拜访记录"}, "en": {"leads": " leads ", "visits": "VISITS"},
              "key": {"leads": "leads", "visits": "visits"}}[style]
    path = write_ledger(tmp_path / "l.xlsx", _rows(), header_style=style, titles=titles)
    other = check_files([path], AS_OF)
    assert not [f for f in other.findings if f.rule.startswith(("SCH", "CAL"))]
    for name in CASES:
        assert fired(other, name) == fired(result, name), name


def test_sheets_absent_never_fire(tmp_path):
    rows = merge(project_rows("p", stage="方案", status="进行中", as_of=AS_OF))
    result = check_files([write_ledger(tmp_path / "l.xlsx", rows)], AS_OF)
    assert not result.ledger.present["visits"] and not result.ledger.present["leads"]
    assert not [f for f in result.findings if f.rule.startswith(FAMILIES)]
    assert not [a for a in result.alerts["rule"] if str(a).startswith(FAMILIES)]


def test_prj001_is_off_while_the_setting_is_zero(tmp_path):
    rows = field_project("p", {"projects": {"estimated_amount": 1}})
    result = check_files([write_ledger(tmp_path / "l.xlsx", rows)], AS_OF)
    assert "PRJ-001" not in {f.rule for f in result.findings}
    assert "SET-001" not in {f.rule for f in result.findings}


def test_ka_min_amount_is_a_known_setting(tmp_path):
    rows = merge(field_project("p"), {"settings": [{"key": "ka_min_amount", "value": "2000000"}]})
    result = check_files([write_ledger(tmp_path / "l.xlsx", rows)], AS_OF)
    assert not [f for f in result.findings if f.rule == "SET-001"]
    assert [f.rule for f in result.findings if f.rule == "PRJ-001"] == ["PRJ-001"]


# ------------------------------------------------------------------------------ STK-002 and visits


def _cold(tmp_path, visits: list[dict], stakeholders: list[dict] | None = None):
    rows = field_project("p", {"visits": visits,
                               "stakeholders": stakeholders or [person("p", "赵总", role="决策者", is_kp="是",
                                                                       last_contact=AS_OF - dt.timedelta(days=40))]})
    result = check_files([write_ledger(tmp_path / "l.xlsx", rows)], AS_OF)
    return [f for f in result.findings if f.rule == "STK-002"], result


def test_a_kp_visited_yesterday_is_not_gone_cold(tmp_path):
    found, result = _cold(tmp_path, [visit("p", visit_date=AS_OF - dt.timedelta(days=1), contacts="王总、赵总",
                                           record_date=AS_OF - dt.timedelta(days=1))])
    assert found == []
    projects = result.projects.set_index("project_id")
    assert projects.loc["p", "coverage"] > 0  # the decision maker counts as contacted


def test_a_visit_naming_someone_else_does_not_count(tmp_path):
    found, result = _cold(tmp_path, [visit("p", contacts="钱工", kind="电话")])
    (f,) = found
    assert f.days == 10 and f.column.startswith("最近接触日期")
    assert result.projects.set_index("project_id").loc["p", "coverage"] == 0


def test_a_future_visit_does_not_count(tmp_path):
    found, _ = _cold(tmp_path, [visit("p", kind="电话", visit_date=AS_OF + dt.timedelta(days=3), record_date=None)])
    assert len(found) == 1


def test_a_surname_shared_by_two_kps_credits_neither(tmp_path):
    old = AS_OF - dt.timedelta(days=40)
    people = [person("p", "王建国", role="决策者", last_contact=old), person("p", "王立", role="预算审批", last_contact=old)]
    found, result = _cold(tmp_path, [visit("p", contacts="王总")], people)
    assert len(found) == 2
    assert not [f for f in result.findings if f.rule == "VIS-005"]  # 王总 names someone on the map
