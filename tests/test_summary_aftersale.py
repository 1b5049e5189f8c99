"""The summary's after-sale tabs (SPEC §7): 交付 Delivery, 客户健康 Health, 问题 Issues, re-opened
with python-calamine. One hand-made ledger (as of 2026-11-16, a Monday) whose numbers are worked
out below; its customer named "=1+1" must stay text.

- HT-A1 (in delivery): 需求确认 done on time; 开发 planned 10-30, done 11-03 (late), not signed
  off (DEL-004), cost 260k on a 200k budget with no change request (DEL-005); 测试 planned 11-10,
  not done (DEL-001, 6 days late). HT-A3 (in delivery): one done, 上线 planned 12-10. HT-A2: done.
- Health (threshold 80): A1 客户 90 → 70 (↓ −20, no retention plan: HLT-001); "=1+1" 89, once (no
  arrow); A3 客户 80 → 90 (↑ +10; blank relationship computed: its one key person was contacted
  on 11-11, within 30 days of the 11-12 assessment → 100; 0.4·85 + 0.3·85 + 0.3·100 = 89.5 → 90).
- Issues: open WT-1 (2 days, high), WT-2 (6 days, medium: ISS-001 to the AM), WT-3 (15 days, a
  low complaint: to management), WT-7 (76 days, no priority: to management); resolved WT-4, WT-5,
  WT-6. Complaints' working days to reply: WT-3 2 (11-01 Sun → 11-03), WT-4 3 (09-30 → 10-10
  over National Day, the make-up Saturday counts), WT-5 0; to resolve: WT-4 4 (→ 10-12), WT-5 5
  (11-02 → 11-09).
"""

from __future__ import annotations

import zipfile

import pytest
from python_calamine import CalamineWorkbook

from kaxl.api import check_files
from kaxl.reports.summary import write_summary
from tests.aftersale_cases import AS_OF, aftersale_project, assessment, issue, milestone
from tests.ledger_factory import d, write_ledger
from tests.sop_cases import merge

FORMULA = "=1+1"
DELIVERY, HEALTH, ISSUES = "交付 Delivery", "客户健康 Health", "问题 Issues"


def delivery_rows() -> list[dict]:
    return [
        milestone("A1"),
        milestone("A1", milestone="开发", planned_date=d("2026-10-30"), actual_date=d("2026-11-03"), signoff_date=None,
                  budget=200_000, actual_cost=260_000),
        milestone("A1", milestone="测试", planned_date=d("2026-11-10"), actual_date=None, signoff_date=None,
                  actual_cost=None),
        milestone("A2"),
        milestone("A3"),
        milestone("A3", milestone="上线", planned_date=d("2026-12-10"), actual_date=None, signoff_date=None,
                  actual_cost=None),
    ]


def ledger_sheets(*, delivery: bool = True, health: bool = True, issues: bool = True) -> dict[str, list[dict]]:
    sheets = merge(aftersale_project("A1"), aftersale_project("A2"), aftersale_project("A3"))
    sheets["projects"][1]["customer"] = FORMULA
    sheets["delivery"] = delivery_rows()
    sheets["health"] = [
        assessment("A1", assessed_date=d("2026-08-01")),
        assessment("A1", usage=70, value=70, relationship=70, csat=60),
        assessment("A2", customer=FORMULA, usage=80, value=90, relationship=100, csat=88),
        assessment("A3", assessed_date=d("2026-08-01"), usage=80, value=80, relationship=80),
        assessment("A3", assessed_date=d("2026-11-12"), usage=85, value=85, relationship=None, csat=None),
    ]
    open_ = {"replied_date": None, "resolved_date": None, "status": "开放"}
    sheets["issues"] = [
        issue("A1", 1, raised_date=d("2026-11-14"), priority="高", **open_),
        issue("A1", 2, raised_date=d("2026-11-10"), priority="中", **open_),
        issue("A2", 3, kind="投诉", raised_date=d("2026-11-01"), priority="低",
              **{**open_, "replied_date": d("2026-11-03")}),
        issue("A3", 4, kind="投诉", raised_date=d("2026-09-30"), priority="高", replied_date=d("2026-10-10"),
              resolved_date=d("2026-10-12")),
        issue("A3", 5, kind="投诉", raised_date=d("2026-11-02"), replied_date=d("2026-11-02"),
              resolved_date=d("2026-11-09")),
        issue("A1", 6, raised_date=d("2026-08-01"), priority="低", replied_date=d("2026-08-02"),
              resolved_date=d("2026-08-05")),
        issue("A2", 7, raised_date=d("2026-09-01"), priority=None, description=FORMULA, **open_),
    ]
    for key, keep in (("delivery", delivery), ("health", health), ("issues", issues)):
        if not keep:
            del sheets[key]
    return sheets


def write_aftersale_ledger(path, **keep: bool):
    return write_ledger(path, ledger_sheets(**keep))


@pytest.fixture(scope="module")
def summary(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("aftersale")
    result = check_files([write_aftersale_ledger(tmp / "l.xlsx")], AS_OF)
    return write_summary(result, tmp / "s.xlsx"), result


@pytest.fixture(scope="module")
def book(summary):
    return CalamineWorkbook.from_path(str(summary[0]))


def rows(book, name):
    return book.get_sheet_by_name(name).to_python()


def row_of(sheet, first: str, col: int = 0) -> list:
    return next(r for r in sheet if len(r) > col and r[col] == first)


def test_tabs_absent_without_the_sheets(tmp_path):
    ledger = write_aftersale_ledger(tmp_path / "l.xlsx", delivery=False, health=False, issues=False)
    out = write_summary(check_files([ledger], AS_OF), tmp_path / "s.xlsx")
    names = CalamineWorkbook.from_path(str(out)).sheet_names
    assert not {DELIVERY, HEALTH, ISSUES} & set(names)
    assert names[-1] == "说明 About"


def test_a_sheet_with_headers_only_gets_no_tab(tmp_path):
    sheets = ledger_sheets()
    sheets["health"], sheets["issues"] = [], []  # the blank template's tabs, never filled in
    out = write_summary(check_files([write_ledger(tmp_path / "l.xlsx", sheets)], AS_OF), tmp_path / "s.xlsx")
    names = CalamineWorkbook.from_path(str(out)).sheet_names
    assert DELIVERY in names and HEALTH not in names and ISSUES not in names


def test_rows_that_match_nothing_give_empty_tabs_not_errors(tmp_path):
    """Milestones of an unknown contract, a customer no project has, an issue of an unknown
    project: SCH-007's findings; the tabs are there with nothing to show."""
    sheets = ledger_sheets()
    sheets["delivery"] = [milestone("ZZ")]
    sheets["health"] = [assessment("ZZ")]
    sheets["issues"] = [issue("ZZ", project_id="ZZ")]
    result = check_files([write_ledger(tmp_path / "l.xlsx", sheets)], AS_OF)
    book = CalamineWorkbook.from_path(str(write_summary(result, tmp_path / "s.xlsx")))
    assert {r[0]: r[3] for r in rows(book, DELIVERY)[4:6]}["合同（有里程碑）Contracts with milestones"] == 0
    assert {r[0]: r[3] for r in rows(book, HEALTH)[4:6]}["已评估客户 Customers assessed"] == 0
    assert {r[0]: r[3] for r in rows(book, ISSUES)[4:6]}["问题与投诉 Issues and complaints"] == 0
    assert any(f.rule == "SCH-007" for f in result.findings)


def test_a_customer_never_assessed_is_listed_with_its_hlt002(tmp_path):
    sheets = ledger_sheets()
    extra = aftersale_project("A4")
    for key in ("projects", "initiation", "stakeholders", "bids", "contracts", "receivables"):
        sheets[key] += extra[key]
    result = check_files([write_ledger(tmp_path / "l.xlsx", sheets)], AS_OF)
    assert [f.project_id for f in result.findings if f.rule == "HLT-002"] == ["A4"]
    sheet = rows(CalamineWorkbook.from_path(str(write_summary(result, tmp_path / "s.xlsx"))), HEALTH)
    header = next(r for r in sheet if r[:2] == ["客户 Customer", "销售经理 AM"])
    a4 = dict(zip(header, row_of(sheet, "A4 客户")))
    assert a4["状态 Status"] == "未评估 not assessed" and a4["健康度 Health"] == ""
    assert a4["评估过期 Review due (HLT-002)"] == 1 and a4["销售经理 AM"] == "张伟"


def test_delivery_headline_counts(book, summary):
    sheet = rows(book, DELIVERY)
    value = {r[0]: r[3] for r in sheet[4:17]}
    assert value["合同（有里程碑）Contracts with milestones"] == 3
    assert value["交付中 In delivery"] == 2
    assert value["里程碑 Milestones"] == 6 and value["已完成 Done"] == 4
    assert value["计划日已到 Due by as-of"] == 5 and value["按时完成 Done on time"] == 3
    assert value["按时率 On-time rate"] == pytest.approx(0.6) == summary[1].kpis["delivery_on_time_rate"]["value"]
    assert value["延期未完成 Late, not done (DEL-001)"] == 1
    assert value["未三方签字 Done, unsigned (DEL-004)"] == 1
    assert value["超支无变更单 Over budget, no change request (DEL-005)"] == 1


def test_delivery_per_contract_flags_in_delivery_and_late_first(book):
    sheet = rows(book, DELIVERY)
    header = row_of(sheet, "合同 Contract")
    at = sheet.index(header)
    table = [dict(zip(header, r)) for r in sheet[at + 1:at + 4]]
    assert [t["合同 Contract"] for t in table] == ["HT-A1", "HT-A3", "HT-A2"]
    a1, a3, a2 = table
    assert a1["状态 State"] == "交付中 in delivery" and a2["状态 State"] == "已完成 delivered"
    assert (a1["里程碑 Milestones"], a1["已完成 Done"]) == (3, 2)
    assert a1["延期未完成 Late (DEL-001)"] == 1 and a1["最长延期天数 Max days late"] == 6
    assert a1["逾期完成 Done late"] == 1
    assert a1["未三方签字 Unsigned (DEL-004)"] == 1 and a1["超支无变更单 Over budget (DEL-005)"] == 1
    assert a1["预算 Budget"] == 400_000 and a1["实际成本 Actual cost"] == 360_000
    assert a1["已发生超支 Overrun so far"] == pytest.approx(0.2)  # 360k on the 300k budget of costed milestones
    assert a1["下一里程碑 Next milestone"] == "测试 test" and str(a1["下一计划日 Next due"]) == "2026-11-10"
    assert a3["下一里程碑 Next milestone"] == "上线 go_live" and a3["延期未完成 Late (DEL-001)"] == 0
    assert a2["客户 Customer"] == FORMULA  # ledger text, never a formula
    assert str(a2["实际完工 Finished"]) == "2026-10-19"


def test_delivery_gantt_data_plan_and_actual(book):
    sheet = rows(book, DELIVERY)
    plan, actual = row_of(sheet, "HT-A1 计划 plan"), row_of(sheet, "HT-A1 实际 actual")
    assert str(plan[1]) == str(actual[1]) == "2026-09-21"  # both bars start at signing
    assert plan[2:5] == [29, 10, 11]  # 09-21 → 10-20 → 10-30 → 11-10
    assert actual[2:4] == [28, 15] and actual[4] == ""  # 10-19, 11-03; 测试 not done
    assert actual[5] == 13  # open from 11-03 to as-of 11-16
    header = row_of(sheet, "甘特图数据 Gantt data")
    assert header[2:5] == ["1. 需求确认 requirements", "2. 开发 build", "3. 测试 test"]


def test_chart_parts_exist(summary):
    with zipfile.ZipFile(summary[0]) as z:
        charts = [z.read(n).decode() for n in z.namelist() if n.startswith("xl/charts/chart")]
    gantt = next(c for c in charts if "交付甘特图" in c)
    assert '<c:barDir val="bar"/>' in gantt and '<c:grouping val="stacked"/>' in gantt
    assert "<a:noFill/>" in gantt  # the invisible start series
    distribution = next(c for c in charts if "健康度分布" in c)
    assert distribution.count("<c:dPt>") == 10 and "FF0000" not in distribution  # one colour per bucket
    least = next(c for c in charts if "健康度最低的客户" in c)
    assert "<c:lineChart>" in least and "阈值 Threshold 80" in least  # the threshold as a line
    aging = next(c for c in charts if "开放问题账龄" in c)
    assert '<c:grouping val="stacked"/>' in aging and aging.count("<c:ser>") == 4  # one series per priority


def test_health_per_customer_trend_arrow_and_computed_relationship(book, summary):
    sheet = rows(book, HEALTH)
    header = next(r for r in sheet if r[:2] == ["客户 Customer", "销售经理 AM"])
    at = sheet.index(header)
    table = [dict(zip(header, r)) for r in sheet[at + 1:at + 4]]
    assert [t["客户 Customer"] for t in table] == ["A1 客户", FORMULA, "A3 客户"]  # least healthy first
    a1, a2, a3 = table
    assert (a1["健康度 Health"], a1["趋势 Trend"], a1["变化 Change"], a1["上次 Previous"]) == (70, "↓", -20, 90)
    assert a1["状态 Status"] == "低于 80 below" and a1["挽回计划欠缺 Plan owed (HLT-001)"] == 1
    assert a1["满意度 CSAT"] == 60
    assert (a2["健康度 Health"], a2["趋势 Trend"], a2["变化 Change"]) == (89, "", "")
    assert a2["关系来源 Relationship from"] == "填写 typed" and a2["状态 Status"] == "达标 ok"
    assert (a3["健康度 Health"], a3["趋势 Trend"], a3["变化 Change"]) == (90, "↑", 10)
    assert a3["关系维护 Relationship"] == 100 and a3["关系来源 Relationship from"] == "计算 computed"
    assert a3["满意度 CSAT"] == 90  # the latest assessment with a csat (08-01)
    assert a3["评估次数 Assessments"] == 2
    value = {r[0]: r[3] for r in sheet[4:14]}
    assert value["已评估客户 Customers assessed"] == 3
    assert value["低于阈值（< 80）Below the threshold"] == 1
    assert value["达标率 Healthy rate"] == pytest.approx(2 / 3) == summary[1].kpis["health_ok_rate"]["value"]
    assert value["上升 ↑ Rising"] == 1 and value["下降 ↓ Falling"] == 1


def test_health_distribution_is_cut_at_the_threshold(book):
    sheet = rows(book, HEALTH)
    buckets = {r[8]: r[9] for r in sheet[4:15] if len(r) > 9 and r[8]}
    assert buckets["70–79"] == 1 and buckets["80–89"] == 1 and buckets["90–100"] == 1
    assert sum(v for k, v in buckets.items() if k != "健康度 Health") == 3


def test_health_buckets_follow_a_custom_threshold():
    from kaxl.reports.summary_aftersale import bucket_label, health_buckets

    labels = [bucket_label(lo, hi) for lo, hi in health_buckets(75)]
    assert labels[-4:] == ["70–74", "75–79", "80–89", "90–100"]
    assert all(hi <= 75 or lo >= 75 for lo, hi in health_buckets(75))


def test_issues_open_by_age_bucket_and_priority(book):
    sheet = rows(book, ISSUES)
    aging = {r[8]: r[9:14] for r in sheet[4:9] if len(r) > 13 and r[8]}
    # [high, medium, low, blank, total]
    assert aging["0–3 天 days"] == [1, 0, 0, 0, 1]
    assert aging["4–7 天 days → 销售经理 AM"] == [0, 1, 0, 0, 1]
    assert aging["8–30 天 days → 管理层 management"] == [0, 0, 1, 0, 1]
    assert aging["30 天以上 over 30 days"] == [0, 0, 0, 1, 1]
    value = {r[0]: r[3] for r in sheet[4:12]}
    assert value["开放 Open"] == 4 and value["其中投诉 Open complaints"] == 1
    assert value["升级销售经理 Escalated to the AM (ISS-001)"] == 1
    assert value["升级管理层 Escalated to management (ISS-001)"] == 2
    assert value["投诉未按时回复 Complaints answered late (ISS-002)"] == 1


def test_complaint_times_in_working_days_median_and_slowest(book):
    sheet = rows(book, ISSUES)
    reply, resolve = row_of(sheet, "回复 Reply"), row_of(sheet, "解决 Resolve")
    # complaints, median, average, slowest, limit, within limit, no date yet, slowest complaint
    assert reply[1:9] == [3, 2, pytest.approx(5 / 3), 3, 2, 2, 0, "WT-A3-4 · A3 客户"]
    assert resolve[1:9] == [2, 4.5, 4.5, 5, 5, 2, 1, "WT-A3-5 · A3 客户"]


def test_every_issue_with_its_escalation_and_text_kept(book):
    sheet = rows(book, ISSUES)
    header = next(r for r in sheet if r[:2] == ["编号 Issue", "项目 Project"])
    at = sheet.index(header)
    table = [dict(zip(header, r)) for r in sheet[at + 1:at + 8]]
    assert [t["编号 Issue"] for t in table] == ["WT-A2-7", "WT-A2-3", "WT-A1-2", "WT-A1-1", "WT-A1-6", "WT-A3-4",
                                             "WT-A3-5"]
    by_id = {t["编号 Issue"]: t for t in table}
    assert by_id["WT-A2-7"]["升级 Escalated (ISS-001)"] == "升级管理层 to management"
    assert by_id["WT-A1-2"]["升级 Escalated (ISS-001)"] == "升级销售经理 to AM"
    assert by_id["WT-A1-1"]["升级 Escalated (ISS-001)"] == ""
    assert by_id["WT-A2-7"]["开放天数 Days open"] == 76 and by_id["WT-A1-6"]["开放天数 Days open"] == ""
    assert by_id["WT-A2-7"]["描述 Description"] == FORMULA and by_id["WT-A2-3"]["客户 Customer"] == FORMULA
    assert by_id["WT-A3-4"]["解决工作日 Days to resolve"] == 4


def test_ledger_text_is_never_a_formula(summary):
    with zipfile.ZipFile(summary[0]) as z:
        sheets = [z.read(n).decode() for n in z.namelist() if n.startswith("xl/worksheets/sheet")]
    assert not any("<f>" in s for s in sheets)


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    """The bundled sample ledger (its after-sale sheets carry one mistake of each DEL/HLT/ISS rule)."""
    from pathlib import Path

    from kaxl.samples.generator import DEFAULT_AS_OF

    ledger = Path(__file__).resolve().parent.parent / "sample_ledgers" / "kaxl-sample.xlsx"
    result = check_files([ledger], DEFAULT_AS_OF)
    out = write_summary(result, tmp_path_factory.mktemp("sample") / "s.xlsx")
    return CalamineWorkbook.from_path(str(out)), result


def test_sample_tabs_agree_with_the_check(sample):
    book, result = sample
    names = book.sheet_names
    assert names.index(DELIVERY) < names.index(HEALTH) < names.index(ISSUES) < names.index("说明 About")
    rules = [f.rule for f in result.findings]
    delivery = {r[0]: r[3] for r in rows(book, DELIVERY)[4:17]}
    assert delivery["里程碑 Milestones"] == len(result.ledger.frames["delivery"])
    assert delivery["按时率 On-time rate"] == pytest.approx(result.kpis["delivery_on_time_rate"]["value"])
    for label, rule in (("延期未完成 Late, not done (DEL-001)", "DEL-001"),
                        ("超支无变更单 Over budget, no change request (DEL-005)", "DEL-005"),
                        ("验收款先于验收签字 Acceptance invoiced first (DEL-006)", "DEL-006")):
        assert delivery[label] == rules.count(rule) >= 1
    health = {r[0]: r[3] for r in rows(book, HEALTH)[4:14]}
    assert health["挽回计划欠缺 Retention plan owed (HLT-001)"] == rules.count("HLT-001") >= 1
    assert health["满意度均值 Average CSAT"] == pytest.approx(result.kpis["csat_avg"]["value"])
    issues = {r[0]: r[3] for r in rows(book, ISSUES)[4:12]}
    assert issues["问题与投诉 Issues and complaints"] == len(result.ledger.frames["issues"])
    assert issues["投诉按时解决率 Complaints resolved on time"] == \
        pytest.approx(result.kpis["complaint_on_time_rate"]["value"])
