"""After-sale rules and KPIs (SPEC §7) on what people really type, and on the edges of each window.

- The whole case table of tests/test_rules_aftersale.py, written with English (and with Chinese)
  headers and every after-sale value typed messily (2026年11月15日, 20261115, ¥110,001.00, 11万,
  English enum keys, full-width spaces): each case fires exactly the same rules.
- Boundaries the table leaves open: ISS-001 exactly on a step, DEL-006 on a received-only
  installment and on another contract's signed acceptance, HLT-002's assessment due ahead (an
  upcoming node), a custom health_threshold, a weights setting that does not sum to 1, and
  renewal_rate / complaint_on_time_rate on the first and last day of their windows.
"""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from kaxl.api import check_files
from tests.aftersale_cases import AS_OF, aftersale_project, assessment, issue, milestone
from tests.ledger_factory import d, write_ledger
from tests.sop_cases import AM, merge, project_rows, with_changes
from tests.test_rules_aftersale import CASES, fired

ENGLISH = {"需求确认": "requirements", "验收": "Acceptance", "投诉": "complaint", "问题": " issue ", "已解决": "resolved",
           "开放": "OPEN", "中": "medium", "高": "high", "电话": "phone"}
DATE_STYLES = ("{y}年{m}月{d}日", "{y}/{m}/{d}", "{y}{m:02d}{d:02d}", "{y}.{m}.{d}", "{y}-{m:02d}-{d:02d}", None)
MONEY_COLUMNS = {"budget", "actual_cost"}
MESSY_SHEETS = ("delivery", "health", "issues")


def messy(rows: dict[str, list[dict]]) -> dict[str, list[dict]]:
    """The same ledger with the after-sale sheets typed the way people type (see the module doc)."""
    styles = itertools.cycle(DATE_STYLES)
    money = itertools.cycle(("yuan", "wan", "plain"))
    out = {k: [dict(r) for r in v] for k, v in rows.items()}
    for key in MESSY_SHEETS:
        for row in out.get(key, []):
            for column, value in row.items():
                if isinstance(value, dt.date):
                    style = next(styles)
                    if style is not None:
                        row[column] = style.format(y=value.year, m=value.month, d=value.day)
                elif column in MONEY_COLUMNS and isinstance(value, (int, float)):
                    kind = next(money)
                    if kind == "yuan":
                        row[column] = f"¥{value:,.2f}"
                    elif kind == "wan" and value % 100 == 0:
                        row[column] = f"{value / 10_000:g}万"
                elif isinstance(value, str):
                    row[column] = "\u3000" + ENGLISH.get(value, value) + " "
    return out


@pytest.fixture(scope="module", params=["en", "zh"])
def typed(request, tmp_path_factory):
    ledgers = merge(*[aftersale_project(name, changes) for name, (changes, _) in CASES.items()])
    path = write_ledger(tmp_path_factory.mktemp("typed") / "ledger.xlsx", messy(ledgers), header_style=request.param)
    return check_files([path], AS_OF)


def test_messy_values_and_either_header_language_fire_the_same_rules(typed):
    assert not [f.message_en for f in typed.findings if f.rule.startswith(("SCH", "CAL", "SET"))]
    got = {name: fired(typed, name) for name in CASES}
    assert got == {name: rules for name, (_, rules) in CASES.items()}


# ------------------------------------------------------------------------------ rule boundaries


def check(tmp_path, rows, as_of: dt.date = AS_OF):
    return check_files([write_ledger(tmp_path / "l.xlsx", rows)], as_of)


def only(result, rule: str):
    (f,) = [f for f in result.findings if f.rule == rule]
    return f


def test_iss001_on_each_step_is_the_lower_one(tmp_path):
    rows = aftersale_project("p", {"issues": [
        issue("p", 1, raised_date=AS_OF - dt.timedelta(days=7), resolved_date=None, status="开放"),
        issue("p", 2, raised_date=AS_OF - dt.timedelta(days=3), resolved_date=None, status="开放"),
        issue("p", 3, kind="投诉", raised_date=AS_OF - dt.timedelta(days=30), resolved_date=None, status="开放",
              owner=None)]})
    result = check(tmp_path, rows)
    found = {f.message_en.split(" ")[1]: f for f in result.findings if f.rule == "ISS-001"}
    assert set(found) == {"WT-p-1", "WT-p-3"}  # 3 days open is not "older than 3"
    assert (found["WT-p-1"].severity, found["WT-p-1"].escalation_level) == ("warning", 1)  # 7 days: not yet > 7
    assert (found["WT-p-3"].severity, found["WT-p-3"].escalation_level, found["WT-p-3"].owner) == ("error", 3, AM)


def test_del006_received_without_invoice_and_another_contracts_acceptance(tmp_path):
    rows = aftersale_project("p")
    rows["receivables"][1].update(received_date=d("2026-11-12"), amount_received=700_000)
    other = aftersale_project("q", {"delivery": [milestone("q", milestone="验收", signoff_date=d("2026-10-20"))]})
    result = check(tmp_path, merge(rows, other))
    f = only(result, "DEL-006")
    assert f.project_id == "p" and f.column.startswith("实收日期") and "2026-11-12" in f.message_zh


def test_del006_acceptance_signed_after_the_invoice_date_but_before_as_of_is_fine(tmp_path):
    rows = aftersale_project("p", {"delivery": [milestone("p"), milestone("p", milestone="验收", actual_date=d("2026-11-12"),
                                                                         signoff_date=d("2026-11-13"))]})
    rows["receivables"][1].update(invoice_date=d("2026-11-10"))
    assert not [f for f in check(tmp_path, rows).findings if f.rule == "DEL-006"]


def test_hlt002_due_ahead_is_an_upcoming_node_for_the_cs(tmp_path):
    rows = aftersale_project("p", {"health": [assessment("p", assessed_date=AS_OF - dt.timedelta(days=80))]})
    rows["projects"][0]["csm"] = "陈静"
    result = check(tmp_path, rows)
    assert not [f for f in result.findings if f.rule == "HLT-002"]
    upcoming = result.alerts[(result.alerts["kind"] == "upcoming") & (result.alerts["rule"] == "HLT-002")]
    (row,) = upcoming.to_dict("records")
    assert (row["due_date"], row["days"], row["owner"]) == (AS_OF + dt.timedelta(days=10), -10, "陈静")


def test_health_threshold_is_a_setting(tmp_path):
    rows = aftersale_project("p", {"health": [assessment("p", usage=85, value=85, relationship=85)]})  # health 85
    assert "HLT-001" not in fired(check(tmp_path, rows), "p")
    raised = merge(rows, {"settings": [{"key": "health_threshold", "value": "90"}]})
    f = only(check(tmp_path, raised), "HLT-001")
    assert "85" in f.message_zh and "90" in f.message_zh


def test_weights_not_summing_to_one_are_refused_not_renormalised(tmp_path):
    # 0.5,0.3,0.3 sums to 1.1: the defaults are used (0.4×100 + 0.3×50 + 0.3×50 = 70, HLT-001);
    # renormalised (0.45, 0.27, 0.27) it would be 72.7 → 73 — either way below 80, so look at the number
    rows = aftersale_project("p", {"health": [assessment("p", usage=100, value=50, relationship=50)]})
    result = check(tmp_path, merge(rows, {"settings": [{"key": "health_weights", "value": "0.5,0.3,0.3"}]}))
    assert "1.1" in only(result, "SET-001").message_zh
    assert "健康度为 70" in only(result, "HLT-001").message_zh


# ------------------------------------------------------------------------------ KPI windows


def _contract(pid: str, n: int, signed: dt.date, end: dt.date) -> dict:
    base = project_rows(pid, as_of=AS_OF)["contracts"][0]
    return {**base, "contract_id": f"HT-{pid}-{n}", "signed_date": signed, "legal_signoff": signed,
            "finance_signoff": signed, "handover_date": signed, "archived_date": signed, "end_date": end}


def test_renewal_rate_window_edges(tmp_path):
    year_ago = AS_OF - dt.timedelta(days=365)
    # customer C: C-1 ended exactly 365 days ago (counted); its only other contract C-2 was signed at
    # end − 91 days (too early to be its renewal); C-3 ended 366 days ago (outside the window)
    c = with_changes(project_rows("C", as_of=AS_OF), {"contracts": [
        _contract("C", 1, d("2024-11-01"), year_ago),
        _contract("C", 2, year_ago - dt.timedelta(days=91), AS_OF + dt.timedelta(days=200)),
        _contract("C", 3, d("2024-11-01"), year_ago - dt.timedelta(days=1))], "receivables": []})
    # customer A: A-1 ended 10 days ago, renewed by B-1, a contract of another project of the same
    # customer (typed with stray spaces) signed on the day A-1 ended
    a = with_changes(project_rows("A", as_of=AS_OF), {"contracts": [
        _contract("A", 1, d("2025-10-01"), AS_OF - dt.timedelta(days=10))], "receivables": []})
    b = with_changes(project_rows("B", as_of=AS_OF), {"projects": {"customer": "A  客户 "}, "contracts": [
        _contract("B", 1, AS_OF - dt.timedelta(days=10), AS_OF + dt.timedelta(days=300))], "receivables": []})
    kpi = check(tmp_path, merge(a, b, c)).kpis["renewal_rate"]
    assert kpi["value"] == pytest.approx(1 / 2)  # A-1 renewed, C-1 not; C-3 out of the window


def test_complaint_due_today_is_not_yet_in_the_denominator(tmp_path):
    # raised 11-09 (Mon) + 5 working days = 11-16 = as-of: not passed; 11-06 (Fri) → 11-13: passed, resolved late
    rows = aftersale_project("p", {"issues": [
        issue("p", 1, kind="投诉", raised_date=d("2026-11-09"), replied_date=d("2026-11-09"), resolved_date=None,
              status="开放"),
        issue("p", 2, kind="投诉", raised_date=d("2026-11-06"), replied_date=d("2026-11-06"),
              resolved_date=d("2026-11-16"))]})
    kpi = check(tmp_path, rows).kpis["complaint_on_time_rate"]
    assert (kpi["value"], kpi["status"]) == (0.0, "red")


def test_kpis_with_rows_but_nothing_due_are_grey(tmp_path):
    rows = aftersale_project("p", {"delivery": [milestone("p", planned_date=d("2026-12-10"), actual_date=None,
                                                          signoff_date=None)],
                                   "health": [assessment("p", csat=None)],
                                   "issues": [issue("p", kind="投诉", raised_date=AS_OF, replied_date=AS_OF,
                                                    resolved_date=None, status="开放")]})
    kpis = check(tmp_path, rows).kpis
    for name in ("delivery_on_time_rate", "csat_avg", "complaint_on_time_rate", "renewal_rate"):
        assert (kpis[name]["value"], kpis[name]["status"]) == (None, None), name
    assert kpis["health_ok_rate"]["value"] == 1.0
