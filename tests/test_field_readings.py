"""The four readings of SPEC §7 recorded in docs/decisions.md, each pinned by a case and its near
miss (clean field projects of tests/field_cases.py, one ledger checked at 2026-11-16):

- VIS-003 counts an in-person visit to *any* project of the customer;
- LEA-003 judges active projects only (a paused project's missing admission waits);
- PRJ-001 exempts the 战略标杆 flag only, not a 战略合作伙伴 relationship;
- VIS-004 counts only visits dated on or before as-of.
"""

from __future__ import annotations

import pytest

from kaxl.api import check_files
from tests.field_cases import AS_OF, field_project, lead, visit
from tests.ledger_factory import d, write_ledger
from tests.sop_cases import merge


def _phone_only(pid: str, customer: str) -> dict[str, list[dict]]:
    return field_project(pid, {"visits": [visit(pid, kind="电话")],
                               "projects": {"tier": "A", "customer": customer}})


CASES: dict[str, tuple[dict[str, list[dict]], set[str]]] = {
    # VIS-003: the customer 东方航空 was met in person (6 days ago) on its other project (typed with a space)
    "vis3-sibling-met": (_phone_only("vis3-sibling-met", "东方航空"), set()),
    "vis3-sibling": (field_project("vis3-sibling", {"projects": {"tier": "A", "customer": "东方 航空"}}), set()),
    "vis3-alone": (_phone_only("vis3-alone", "西部航空"), {"VIS-003"}),
    # LEA-003: converted lead without admission; the project is past Initiation
    "lea3-active": (field_project("lea3-active", {"leads": [lead("lea3-active", admission_approved=None)]}),
                    {"LEA-003"}),
    "lea3-on-hold": (field_project("lea3-on-hold", {"leads": [lead("lea3-on-hold", admission_approved=None)]},
                                   status="暂停"), set()),
    "lea3-lost": (field_project("lea3-lost", {"leads": [lead("lea3-lost", admission_approved=None)],
                                              "projects": {"lost_reason": "价格"}}, status="输单"), set()),
    # PRJ-001 (ka_min_amount 50万): 40万 projects
    "prj1-partner": (field_project("prj1-partner", {"projects": {"estimated_amount": 400_000,
                                                                 "relationship": "战略合作伙伴"}}), {"PRJ-001"}),
    "prj1-benchmark": (field_project("prj1-benchmark", {"projects": {"estimated_amount": 400_000,
                                                                     "strategic": "是"}}), set()),
    # VIS-004: follow-up agreed for 11-12 after the 11-10 visit
    "vis4-only-a-plan": (field_project("vis4-only-a-plan", {"visits": [
        visit("vis4-only-a-plan", next_date=d("2026-11-12"), next_step="报价"),
        visit("vis4-only-a-plan", visit_date=d("2026-11-20"), kind="电话", plan_date=None, record_date=None)]}),
        {"VIS-004"}),
    "vis4-kept": (field_project("vis4-kept", {"visits": [
        visit("vis4-kept", next_date=d("2026-11-12"), next_step="报价"),
        visit("vis4-kept", visit_date=d("2026-11-13"), kind="电话", plan_date=None, record_date=d("2026-11-13"))]}),
        set()),
}
RULES = ("VIS-003", "LEA-003", "PRJ-001", "VIS-004")


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    rows = merge(*(rows for rows, _ in CASES.values()), {"settings": [{"key": "ka_min_amount", "value": "50万"}]})
    return check_files([write_ledger(tmp_path_factory.mktemp("readings") / "台账.xlsx", rows)], AS_OF)


@pytest.mark.parametrize("name", CASES)
def test_reading(result, name) -> None:
    assert {f.rule for f in result.findings if f.rule in RULES and f.project_id == name} == CASES[name][1]


def test_no_noise(result) -> None:
    """No schema or settings finding (SCH-012: no receivables yet, as no case has signed)."""
    assert not [(f.rule, f.cell) for f in result.findings
                if f.rule.startswith(("SCH", "SET", "CAL")) and f.rule != "SCH-012"]
