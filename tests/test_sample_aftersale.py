"""The sample's after-sale sheets (kaxl/samples/aftersale.py) through the real check.

The default sample carries exactly one deliberate mistake of each DEL, HLT and ISS rule per 40
projects (and nothing else on those sheets); the clean one none; the rows are the same for the
same seed; ``--core-only`` leaves the sheets out; the DMs and CSs are in Contacts and own their
projects.
"""

from __future__ import annotations

import collections

import pytest

from kaxl.api import check_files
from kaxl.contract.columns import sheet
from kaxl.reading.ledger import read_ledger
from kaxl.samples.generator import DEFAULT_AS_OF, make_sample, write_sample

AFTERSALE_RULES = ("DEL-001", "DEL-002", "DEL-003", "DEL-004", "DEL-005", "DEL-006", "HLT-001", "HLT-002",
                   "ISS-001", "ISS-002", "ISS-003")
SHEETS = {sheet(k).title for k in ("delivery", "health", "issues")}


def _check(tmp_path_factory, projects: int, clean: bool):
    path = write_sample(make_sample(projects, 7, clean=clean), tmp_path_factory.mktemp("s") / "s.xlsx")
    return path, check_files([path], DEFAULT_AS_OF)


@pytest.fixture(scope="module")
def default(tmp_path_factory):
    return _check(tmp_path_factory, 40, False)


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    return _check(tmp_path_factory, 40, True)


def _counts(result) -> dict[str, int]:
    return dict(collections.Counter(f.rule for f in result.findings if f.rule[:3] in ("DEL", "HLT", "ISS")))


def test_one_mistake_of_each_after_sale_rule(default):
    _, result = default
    assert _counts(result) == {rule: 1 for rule in AFTERSALE_RULES}
    by_rule = {f.rule: f for f in result.findings if f.rule in AFTERSALE_RULES}
    assert by_rule["ISS-001"].severity == "error" and by_rule["ISS-001"].escalation_level == 3
    assert by_rule["DEL-006"].sheet == sheet("receivables").title
    assert "低于 80" in by_rule["HLT-001"].message_zh and "较上次 -" in by_rule["HLT-001"].message_zh


def test_no_schema_finding_on_the_after_sale_sheets(default, clean):
    for _, result in (default, clean):
        assert [f.message_en for f in result.findings if f.sheet in SHEETS and f.rule[:3] in ("SCH", "CAL")] == []


def test_clean_sample_has_none_and_still_shows_the_near_misses(clean):
    path, result = clean
    assert _counts(result) == {}
    ledger = read_ledger(path)
    delivery, health, issues = (ledger.frames[k] for k in ("delivery", "health", "issues"))
    assert set(delivery["milestone"]) == {"requirements", "build", "test", "training", "go_live", "acceptance"}
    late = delivery["actual_date"].notna() & (delivery["actual_date"] > delivery["planned_date"])
    assert late.any()  # done late: on the KPI, not a finding
    assert (delivery["change_request"].notna() & (delivery["actual_cost"] > delivery["budget"] * 1.1)).any()
    assert health["relationship"].isna().any()  # computed by kaxl
    below = health[health["retention_plan_date"].notna()]
    assert len(below) == 1 and below["retention_owner"].notna().all()
    assert set(issues["kind"]) == {"complaint", "issue"} and set(issues["priority"]) == {"high", "medium", "low"}
    kpis = result.kpis
    for name in ("delivery_on_time_rate", "csat_avg", "health_ok_rate", "complaint_on_time_rate"):
        assert kpis[name]["value"] is not None, name
    assert kpis["health_ok_rate"]["value"] < 1 and kpis["delivery_on_time_rate"]["value"] < 1


def test_delivery_managers_and_customer_success_are_in_contacts_and_own_the_signed_projects(clean):
    path, _ = clean
    ledger = read_ledger(path)
    contacts = ledger.frames["contacts"]
    roles = dict(zip(contacts["name"], contacts["role"]))
    projects = ledger.frames["projects"]
    signed = set(ledger.frames["contracts"]["project_id"])
    mine = projects[projects["project_id"].isin(signed)]
    assert mine["delivery_manager"].notna().all() and mine["csm"].notna().all()
    assert {roles.get(n) for n in mine["delivery_manager"]} == {"DM"}
    assert {roles.get(n) for n in mine["csm"]} == {"CS"}
    assert contacts["name"].is_unique and contacts["email"].is_unique


def test_counts_scale_with_the_sample(tmp_path_factory):
    _, result = _check(tmp_path_factory, 200, False)
    assert _counts(result) == {rule: 5 for rule in AFTERSALE_RULES}


def test_deterministic_and_core_only_leaves_the_sheets_out():
    assert make_sample(40, 7) == make_sample(40, 7)
    assert make_sample(40, 7)["delivery"] != make_sample(40, 8)["delivery"]
    core = make_sample(40, 7, core_only=True)
    assert not any(core.get(k) for k in ("delivery", "health", "issues"))


def test_aftersale_doc_shows_real_findings_of_every_rule(monkeypatch):
    """docs/aftersale.md copies a finding of each DEL/HLT/ISS rule from the committed sample's
    check output (zh and en): every line in its text blocks is printed by `kaxl check … --lang`,
    and its quoted upcoming nodes are real too."""
    import re

    from tests.doc_findings import doc_and_printed

    doc, lines, printed = doc_and_printed("aftersale.md", monkeypatch)
    assert lines and [line for line in lines if line not in printed] == []
    for rule_id in AFTERSALE_RULES:
        assert sum(f" {rule_id} " in line for line in lines) == 2, rule_id  # one zh, one en
    messages = " ".join(" ".join(printed).split())  # the doc wraps its quotes at spaces
    quoted = re.findall(r'Upcoming: "(.*?) /\s(.*?)"', doc, flags=re.S)
    assert len(quoted) == 2
    for text in (part for pair in quoted for part in pair):
        assert " ".join(text.split()) in messages, text
