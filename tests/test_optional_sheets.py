"""An optional sheet (SPEC §7) that is there but empty, as the blank template ships it, is not kept
yet: none of its rules fire, so a company that has not started a tab is not told that every
customer lacks an assessment or a visit. Its first row turns the rules on."""

from __future__ import annotations

from kaxl.api import check_files
from kaxl.contract.columns import SHEETS
from tests.aftersale_cases import AS_OF, assessment
from tests.ledger_factory import write_ledger
from tests.sop_cases import merge, project_rows

OPTIONAL = [s.key for s in SHEETS if s.key in {"leads", "visits", "delivery", "health", "issues"}]
FAMILIES = ("LEA-", "VIS-", "DEL-", "HLT-", "ISS-")


def strategic(pid: str) -> dict:
    rows = project_rows(pid, as_of=AS_OF)
    rows["projects"][0]["tier"] = "战略合作伙伴"  # VIS-003 watches it; HLT-002 has its signed contract
    return rows


def test_empty_optional_sheets_fire_nothing(tmp_path):
    rows = strategic("p")
    path = write_ledger(tmp_path / "l.xlsx", rows, include=[*{s.key for s in SHEETS if s.required}, *OPTIONAL])
    result = check_files([path], AS_OF)
    assert all(result.ledger.present[key] for key in OPTIONAL)
    assert not [f.rule for f in result.findings if f.rule.startswith(FAMILIES)]


def test_the_first_row_turns_a_sheet_on(tmp_path):
    rows = merge(strategic("p"), {"health": [assessment("p", assessed_date=AS_OF.replace(year=2025))]})
    path = write_ledger(tmp_path / "l.xlsx", rows, include=[*{s.key for s in SHEETS if s.required}, *OPTIONAL])
    rules = {f.rule for f in check_files([path], AS_OF).findings if f.project_id == "p" or f.rule.startswith("HLT")}
    assert "HLT-002" in rules  # an assessment a year old: the review is overdue
