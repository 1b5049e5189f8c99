"""After-sale KPIs (SPEC §7) on a ledger whose numerators and denominators are counted by hand."""

from __future__ import annotations

import pytest

from kaxl.api import check_files
from tests.aftersale_cases import AS_OF, assessment, issue, milestone
from tests.ledger_factory import d, write_ledger
from tests.sop_cases import AM, merge, project_rows, with_changes

OTHER_AM = "李强"
OPEN = {"actual_date": None, "signoff_date": None}


def contract(pid: str, n: int, signed: str, end: str) -> dict:
    base = project_rows(pid, as_of=AS_OF)["contracts"][0]
    return {**base, "contract_id": f"HT-{pid}-{n}", "signed_date": d(signed), "legal_signoff": d(signed),
            "finance_signoff": d(signed), "handover_date": d(signed), "archived_date": d(signed), "end_date": d(end)}


def complaint(pid: str, n: int, raised: str, resolved: str | None, kind: str = "投诉") -> dict:
    return issue(pid, n, kind=kind, raised_date=d(raised), replied_date=d(raised), resolved_date=d(resolved) if resolved else None,
                 status="已解决" if resolved else "开放")


def ledger() -> dict[str, list[dict]]:
    a = with_changes(project_rows("A", as_of=AS_OF), {
        # A's contracts: one ended 06-30 and renewed by one signed 04-01 (= 06-30 − 90 days, on the boundary);
        # one that ended 366 days ago (outside the window), one ending next month (not ended)
        "contracts": [contract("A", 1, "2025-07-01", "2026-06-30"), contract("A", 2, "2026-04-01", "2027-03-31"),
                      contract("A", 3, "2024-11-10", "2025-11-15"), contract("A", 4, "2025-12-20", "2026-12-31")],
        "receivables": []})
    a["delivery"] = [milestone("A-2", planned_date=d("2026-10-20"), actual_date=d("2026-10-19")),  # on time
                     milestone("A-2", planned_date=d("2026-11-01"), actual_date=d("2026-11-05")),  # late
                     milestone("A-2", planned_date=d("2026-11-10"), **OPEN),  # due, not done
                     milestone("A-2", planned_date=d("2026-12-01"), **OPEN)]  # not due yet
    for row in a["delivery"]:
        row["contract_id"] = "HT-A-2"
    a["health"] = [assessment("A", assessed_date=d("2026-08-01"), csat=90),
                   assessment("A", assessed_date=d("2026-11-02"), csat=80)]  # health 90
    a["issues"] = [complaint("A", 1, "2026-11-02", "2026-11-09"),  # +5 working days = 11-09: on time
                   complaint("A", 2, "2026-11-03", "2026-11-11"),  # due 11-10: late
                   complaint("A", 3, "2026-09-30", "2026-10-13"),  # 10-08, 09, 10 (Sat), 12, 13: on time
                   complaint("A", 4, "2026-11-12", None),  # due 11-19: not passed yet
                   complaint("A", 5, "2026-10-01", None, kind="问题")]  # an issue, not a complaint
    b = with_changes(project_rows("B", as_of=AS_OF), {
        "projects": {"account_manager": OTHER_AM},
        "contracts": [contract("B", 1, "2025-11-01", "2026-10-31")], "receivables": []})  # ended, not renewed
    b["delivery"] = [milestone("B-1", contract_id="HT-B-1", planned_date=AS_OF, actual_date=AS_OF)]
    b["health"] = [assessment("B", assessed_date=d("2026-08-01"), csat=70),
                   assessment("B", usage=70, value=70, relationship=70, csat=None)]  # health 70, csat 70
    return merge(a, b)


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    return check_files([write_ledger(tmp_path_factory.mktemp("k") / "l.xlsx", ledger())], AS_OF)


@pytest.mark.parametrize(("name", "portfolio", "mine", "theirs"), [
    ("delivery_on_time_rate", 2 / 4, 1 / 3, 1.0),
    ("csat_avg", 75.0, 80.0, 70.0),
    ("health_ok_rate", 1 / 2, 1.0, 0.0),
    ("complaint_on_time_rate", 2 / 3, 2 / 3, None),
    ("renewal_rate", 1 / 2, 1.0, 0.0),
])
def test_each_kpi_portfolio_and_per_manager(result, name, portfolio, mine, theirs):
    assert result.kpis[name]["value"] == pytest.approx(portfolio)
    assert result.kpis_by_manager[AM][name]["value"] == pytest.approx(mine)
    if theirs is None:
        assert result.kpis_by_manager[OTHER_AM][name]["value"] is None
        assert result.kpis_by_manager[OTHER_AM][name]["status"] is None
    else:
        assert result.kpis_by_manager[OTHER_AM][name]["value"] == pytest.approx(theirs)


def test_targets_units_and_status(result):
    kpis = result.kpis
    assert (kpis["csat_avg"]["unit"], kpis["csat_avg"]["target"], kpis["csat_avg"]["status"]) == ("points", 85.0, "red")
    assert (kpis["renewal_rate"]["target"], kpis["renewal_rate"]["status"]) == (0.8, "red")
    assert kpis["delivery_on_time_rate"]["target"] == 0.9 and kpis["health_ok_rate"]["status"] == "red"
    assert result.kpis_by_manager[AM]["health_ok_rate"]["status"] == "green"


def test_targets_come_from_settings(tmp_path):
    rows = merge(ledger(), {"settings": [{"key": "target_renewal", "value": "50%"},
                                         {"key": "target_csat", "value": "75"}]})
    result = check_files([write_ledger(tmp_path / "l.xlsx", rows)], AS_OF)
    assert (result.kpis["renewal_rate"]["target"], result.kpis["renewal_rate"]["status"]) == (0.5, "green")
    assert result.kpis["csat_avg"]["status"] == "green"


def test_empty_denominators_are_no_value_and_grey(tmp_path):
    rows = project_rows("A", as_of=AS_OF)  # no after-sale sheets, a contract still in force
    result = check_files([write_ledger(tmp_path / "l.xlsx", rows)], AS_OF)
    empty = merge(rows, {"delivery": [], "health": [], "issues": []})
    kept = check_files([write_ledger(tmp_path / "k.xlsx", empty)], AS_OF)
    for res in (result, kept):
        for name in ("delivery_on_time_rate", "csat_avg", "health_ok_rate", "complaint_on_time_rate", "renewal_rate"):
            assert (res.kpis[name]["value"], res.kpis[name]["status"]) == (None, None), name
            assert (res.kpis_by_manager[AM][name]["value"], res.kpis_by_manager[AM][name]["status"]) == (None, None)
