"""The sample's field sheets (线索登记 leads, 拜访记录 visits; SPEC §7): realistic rows, exactly one
deliberate mistake of every field rule, none in the clean sample, none of them with --core-only,
and no change to what the first ten tabs say."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from kaxl.api import check_files
from kaxl.cli import main
from kaxl.contract.columns import SHEETS
from kaxl.reading.ledger import read_ledger
from kaxl.samples.field import KA_MIN_AMOUNT
from kaxl.samples.generator import DEFAULT_AS_OF, make_sample, write_sample

FIELD_RULES = ("LEA-001", "LEA-002", "LEA-003", "PRJ-001", "VIS-001", "VIS-002", "VIS-003", "VIS-004", "VIS-005")
SECOND_WAVE = ("LEA", "PRJ", "VIS", "DEL", "HLT", "ISS")  # the field and after-sale rules (SPEC §7)
AS_OF = pd.Timestamp(DEFAULT_AS_OF)


@pytest.fixture(scope="module")
def broken(tmp_path_factory) -> Path:
    return write_sample(make_sample(40, 7), tmp_path_factory.mktemp("f") / "sample.xlsx")


@pytest.fixture(scope="module")
def clean(tmp_path_factory) -> Path:
    return write_sample(make_sample(40, 7, clean=True), tmp_path_factory.mktemp("c") / "clean.xlsx")


@pytest.fixture(scope="module")
def core(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("core") / "core.xlsx"
    run = CliRunner().invoke(main, ["sample", "--projects", "40", "--seed", "7", "--core-only", "--out", str(out)])
    assert run.exit_code == 0, run.output
    return out


@pytest.fixture(scope="module")
def broken_result(broken):
    return check_files([broken], DEFAULT_AS_OF)


def test_exactly_one_deliberate_mistake_of_every_field_rule(broken_result):
    fired = Counter(f.rule for f in broken_result.findings)
    assert {rule: fired[rule] for rule in FIELD_RULES} == dict.fromkeys(FIELD_RULES, 1)
    cells = {f.rule: f.cell for f in broken_result.findings if f.rule in FIELD_RULES}
    assert all(cells.values()), cells  # each points at the cell to change
    assert cells["LEA-001"].startswith("'线索登记 Leads'!H")  # screened_date
    assert cells["VIS-005"].startswith("'拜访记录 Visits'!E")  # contacts
    assert cells["PRJ-001"].startswith("'项目台账 Projects'!")


def test_clean_sample_has_no_field_finding(clean):
    result = check_files([clean], DEFAULT_AS_OF)
    assert [f for f in result.findings if f.rule in FIELD_RULES] == []
    assert result.findings == []  # and nothing else either, not even info


def test_core_only_has_no_field_sheet_and_no_field_finding(core):
    ledger = read_ledger(core)
    assert not ledger.present["leads"] and not ledger.present["visits"]
    result = check_files([core], DEFAULT_AS_OF)
    assert not [f for f in result.findings if f.rule in FIELD_RULES]


def test_first_wave_findings_are_the_same_with_the_field_sheets(broken_result, core):
    """Visits count as stakeholder contact (SPEC §7), yet the sample's visits never name a stale
    key person after their last contact: STK-002's deliberate mistake stays, as does every other.
    ``--core-only`` also leaves the after-sale sheets out, so their rules are set aside too."""
    core_rules = Counter(f.rule for f in check_files([core], DEFAULT_AS_OF).findings)
    with_field = Counter(f.rule for f in broken_result.findings if f.rule[:3] not in SECOND_WAVE)
    assert with_field == core_rules
    assert with_field["STK-002"] == 1


def test_core_tabs_are_identical_with_or_without_the_field_sheets():
    """The after-sale module adds its people at the end of Contacts and fills the projects'
    delivery_manager and csm; everything else of the first ten tabs is the same, typed alike."""
    full, core = make_sample(40, 7, clean=True), make_sample(40, 7, clean=True, core_only=True)
    for spec in SHEETS:
        if not spec.optional:
            mine = full[spec.key][:len(core[spec.key])]
            assert [{k: v for k, v in row.items() if k not in ("delivery_manager", "csm")} for row in mine] \
                == core[spec.key], spec.key
    assert {row["role"].strip() for row in full["contacts"][len(core["contacts"]):]} <= {"交付经理", "客户成功", "DM", "CS"}
    assert len(full["contacts"]) > len(core["contacts"]) and len(full["projects"]) == len(core["projects"])
    assert not any(row.get("delivery_manager") or row.get("csm") for row in core["projects"])
    assert "leads" not in core or not core["leads"]


def test_deterministic_for_a_seed():
    first, again = make_sample(40, 7), make_sample(40, 7)
    assert first["leads"] == again["leads"] and first["visits"] == again["visits"]
    other = make_sample(40, 8)
    assert other["visits"] != first["visits"]


def test_leads_look_like_a_register(clean):
    ledger = read_ledger(clean)
    leads, projects = ledger.frames["leads"], ledger.frames["projects"]
    assert 2.5 <= len(leads) / len(projects) <= 3.5  # about three per project
    assert leads["lead_id"].is_unique
    assert set(leads["source"]) == {"exhibition", "referral", "tender", "website", "data_platform", "other"}
    assert set(leads["result"].dropna()) == {"converted", "nurture", "parked", "dropped"}
    converted = leads[leads["result"].eq("converted")]
    assert converted["project_id"].notna().all() and converted["project_id"].isin(projects["project_id"]).all()
    assert len(converted) >= 0.85 * len(projects)
    by_id = projects.drop_duplicates("project_id").set_index("project_id")
    pending = converted[converted["admission_approved"].isna()]
    stage, status = pending["project_id"].map(by_id["stage"]), pending["project_id"].map(by_id["status"])
    assert 1 <= len(pending) <= 0.3 * len(converted)  # a few, and never a live project past Initiation
    assert (stage.eq("initiation") | status.ne("active")).all()
    screened = leads.dropna(subset=["screened_date"])
    assert (screened["screened_date"] - screened["registered_date"]).dt.days.between(0, 2).all()


def test_visits_look_like_a_field_log(clean):
    ledger = read_ledger(clean)
    visits, projects = ledger.frames["visits"], ledger.frames["projects"].set_index("project_id")
    assert set(visits["kind"]) == {"in_person", "phone", "video", "event"}
    share = visits["kind"].value_counts(normalize=True)
    assert 0.3 < share["in_person"] < 0.65 and share["phone"] > 0.2
    active = projects.index[projects["status"].eq("active")]
    recent = visits[visits["project_id"].isin(active) & visits["visit_date"].between(AS_OF - pd.Timedelta(days=90),
                                                                                       AS_OF)]
    per_month = recent.groupby("project_id").size() / 3
    assert per_month.median() >= 2  # a few per month per active project
    done = visits[visits["visit_date"].le(AS_OF - pd.Timedelta(days=1))]
    assert done["record_date"].notna().all()
    assert (done["record_date"] - done["visit_date"]).dt.days.between(0, 1).all()
    ahead = visits[visits["visit_date"].gt(AS_OF)]
    assert len(ahead) and ahead["record_date"].isna().all()  # planned, not yet held
    stakeholders = ledger.frames["stakeholders"]
    named = visits["contacts"].dropna()
    first = named.str.split(r"[、,;，；\s]+", regex=True).str[0]
    known = set(stakeholders["name"].dropna())
    assert first.isin(known).mean() > 0.6  # most typed as the map's names (others with a title)
    assert named.str.contains("、").any() and named.str.contains("\n").any()


def test_settings_set_a_ka_threshold(clean):
    ledger = read_ledger(clean)
    settings = ledger.frames["settings"].set_index("key")["value"]
    assert float(settings["ka_min_amount"]) == KA_MIN_AMOUNT > 0
    assert pd.to_numeric(ledger.frames["projects"]["estimated_amount"]).min() >= KA_MIN_AMOUNT


def test_one_mistake_per_forty_projects_at_scale():
    rows = make_sample(400, 5)
    assert len(rows["visits"]) > 400 * 3
    small = [r for r in rows["projects"] if _amount(r["estimated_amount"]) < KA_MIN_AMOUNT]
    assert 8 <= len(small) <= 10  # ten PRJ-001 mistakes, less a pasted duplicate at most


def _amount(value: object) -> float:
    from kaxl.reading.normalize import norm_number  # the reader's own parser: 21万, ¥210,000.00

    return float(norm_number(value))


def test_sample_dates_of_the_field_sheets_stay_near_as_of(clean):
    """The last four months (a stopped project: its last two before it stopped, within eight)."""
    ledger = read_ledger(clean)
    visits = ledger.frames["visits"]["visit_date"]
    assert visits.max() <= pd.Timestamp(DEFAULT_AS_OF + dt.timedelta(days=20))
    assert visits.min() >= pd.Timestamp(DEFAULT_AS_OF - dt.timedelta(days=310))


def test_field_doc_shows_real_findings_of_every_rule(monkeypatch):
    """docs/field.md copies a finding of each rule from the committed sample's check output (zh
    and en): every line in its text blocks is printed by `kaxl check … --lang zh|en`."""
    from tests.doc_findings import doc_and_printed

    doc, lines, printed = doc_and_printed("field.md", monkeypatch)
    assert lines and [line for line in lines if line not in printed] == []
    for rule_id in FIELD_RULES:
        assert sum(f" {rule_id} " in line for line in lines) == 2, rule_id  # one zh, one en
