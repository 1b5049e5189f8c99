"""visit_cadence_rate (SPEC §7) on a ledger whose numerator and denominator are counted by hand:
the share of the projects VIS-003 watches that had an in-person visit in the last 30 days."""

from __future__ import annotations

import datetime as dt

import pytest

from kaxl.api import check_files
from tests.field_cases import AS_OF, field_project, visit
from tests.ledger_factory import write_ledger
from tests.sop_cases import AM, merge, project_rows

OTHER_AM = "李强"


def ledger() -> dict[str, list[dict]]:
    ago = AS_OF - dt.timedelta(days=20)
    other = field_project("o1", {"projects": {"account_manager": OTHER_AM, "tier": "C", "relationship": "战略合作伙伴"},
                                 "visits": [visit("o1", visit_date=ago, record_date=ago)]})
    return merge(
        field_project("m1"),  # watched (computed grade A), met in person on 11-10
        field_project("m2", {"visits": [visit("m2", kind="电话")]}),  # watched, phone only: not met
        field_project("m3", {"projects": {"tier": "B"}, "visits": []}),  # not watched
        field_project("m4", status="赢单", stage="回款"),  # not active: not watched
        other,  # watched as a strategic partner, met 20 days ago
    )


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    return check_files([write_ledger(tmp_path_factory.mktemp("kpi") / "l.xlsx", ledger())], AS_OF)


def test_portfolio_and_per_manager(result):
    kpi = result.kpis["visit_cadence_rate"]
    assert kpi["value"] == pytest.approx(2 / 3)  # m1, o1 met; m2 not
    assert (kpi["target"], kpi["unit"], kpi["status"]) == (0.9, "ratio", "red")
    assert kpi["label_zh"] and kpi["label_en"]
    mine = result.kpis_by_manager[AM]["visit_cadence_rate"]
    assert mine["value"] == pytest.approx(1 / 2) and mine["status"] == "red"
    theirs = result.kpis_by_manager[OTHER_AM]["visit_cadence_rate"]
    assert theirs["value"] == pytest.approx(1.0) and theirs["status"] == "green"


def test_target_comes_from_settings(tmp_path):
    rows = merge(ledger(), {"settings": [{"key": "target_visit_cadence", "value": "60%"}]})
    result = check_files([write_ledger(tmp_path / "l.xlsx", rows)], AS_OF)
    kpi = result.kpis["visit_cadence_rate"]
    assert kpi["target"] == 0.6 and kpi["status"] == "green"


@pytest.mark.parametrize("case", ["no-sheet", "nothing-watched"])
def test_empty_denominator_is_no_value_and_grey(tmp_path, case):
    if case == "no-sheet":
        rows = project_rows("p", stage="方案", status="进行中", as_of=AS_OF)
    else:
        rows = field_project("p", {"projects": {"tier": "C"}})
    result = check_files([write_ledger(tmp_path / "l.xlsx", rows)], AS_OF)
    kpi = result.kpis["visit_cadence_rate"]
    assert kpi["value"] is None and kpi["status"] is None
    assert result.kpis_by_manager[AM]["visit_cadence_rate"]["value"] is None
