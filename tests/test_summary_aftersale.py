"""The summary's after-sale tabs (SPEC §7): 交付 Delivery, 客户健康 Health, 问题 Issues, re-opened
with python-calamine. One hand-made ledger (as of 2026-11-16, a Monday) whose numbers are worked
out below; its customer named "=1+1" must stay text.

- HT-A1 (in delivery): 需求确认 done on time; 开发 planned 10-30, done 11-03 (late), not signed
  off (DEL-004), cost 260k on a 200k budget with no change request (DEL-005); 测试 planned 11-10,
  not done (DEL-001, 6 days late). HT-A3 (in delivery): one done, 上线 planned 12-10. HT-A2: done.
"""

from __future__ import annotations

import zipfile

import pytest
from python_calamine import CalamineWorkbook

from kaxl.api import check_files
from kaxl.reports.summary import write_summary
from tests.aftersale_cases import AS_OF, aftersale_project, milestone
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
    sheets["health"] = []
    sheets["issues"] = []
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
