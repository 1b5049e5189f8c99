"""The sample ledger: deterministic, realistic, clean when asked, and wrong in every way on purpose."""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from kaxl.api import check_files
from kaxl.cli import main
from kaxl.contract.rules import RULES
from kaxl.reading.ledger import read_ledger
from kaxl.samples.generator import DEFAULT_AS_OF, make_sample, write_sample
from kaxl.sop.engine import SOP_MODULES
from tests.package_helpers import parts

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "sample_ledgers"
# Which rule-id prefix each SOP module owns (a module not written yet is not asked for).
PREFIX_MODULE = {"INI": "initiation", "STK": "stakeholders", "PRO": "proposal", "BID": "bids", "CON": "contracts",
                 "REN": "renewals", "PAY": "receivables", "RSK": "risks"}
SCHEMA_MISTAKES = {"SCH-003", "SCH-004", "SCH-005", "SCH-006", "SCH-007", "SCH-008", "SCH-009", "SCH-010",
                   "SET-001", "CAL-001"}


@pytest.fixture(scope="module")
def mistakes(tmp_path_factory) -> Path:
    return write_sample(make_sample(40, 7), tmp_path_factory.mktemp("s") / "kaxl-sample.xlsx")


@pytest.fixture(scope="module")
def clean(tmp_path_factory) -> Path:
    return write_sample(make_sample(40, 7, clean=True), tmp_path_factory.mktemp("c") / "kaxl-sample-clean.xlsx")


def test_same_seed_same_bytes(mistakes, tmp_path):
    again = write_sample(make_sample(40, 7), tmp_path / "again.xlsx")
    assert again.read_bytes() == mistakes.read_bytes()
    assert make_sample(40, 8) != make_sample(40, 7)


@pytest.mark.parametrize(("name", "fixture"), [("kaxl-sample.xlsx", "mistakes"), ("kaxl-sample-clean.xlsx", "clean")])
def test_committed_samples_are_current(name, fixture, request):
    committed = SAMPLES / name
    assert committed.exists()
    assert parts(committed) == parts(request.getfixturevalue(fixture)), (
        "stale: kaxl sample --projects 40 --seed 7 [--clean] --out sample_ledgers/...")


def test_clean_sample_passes_the_check(clean):
    result = check_files([clean], DEFAULT_AS_OF)
    assert result.exit_code == 0
    assert [f for f in result.findings if f.severity != "info"] == []


def expected_rules() -> set[str]:
    present = {m.rsplit(".", 1)[1] for m in SOP_MODULES if importlib.util.find_spec(m) is not None}
    sop = {r for r in RULES if r[:3] in PREFIX_MODULE and PREFIX_MODULE[r[:3]] in present}
    return sop | SCHEMA_MISTAKES


def test_sample_has_a_mistake_of_every_kind(mistakes):
    result = check_files([mistakes], DEFAULT_AS_OF)
    fired = {f.rule for f in result.findings}
    assert expected_rules() - fired == set()
    assert result.exit_code == 1
    levels = set(result.alerts.loc[result.alerts["rule"] == "PAY-003", "escalation_level"].dropna().astype(int))
    if levels:  # one overdue installment on every rung of the ladder
        assert levels == {1, 2, 3, 4}


def test_every_stage_and_status_and_typing_habit(clean):
    ledger = read_ledger(clean)
    projects = ledger.frames["projects"]
    assert set(projects["stage"]) >= {"initiation", "proposal", "bidding", "contracting", "payment", "closed"}
    assert set(projects["status"]) == {"active", "won", "lost", "on_hold"}
    assert set(ledger.frames["receivables"]["milestone"]) >= {"预付款", "到货款", "验收款", "质保金"}
    raw = [v for frame in ledger.raw.values() for col in frame.columns for v in frame[col] if isinstance(v, str)]
    for habit in ("万", "¥", "年", "/", "√", "%", "是", "期"):
        assert any(habit in v for v in raw), habit
    roles = set(ledger.frames["contacts"]["role"])
    assert roles == {"AM", "PS", "CO", "sales_director", "management", "DM", "CS"}  # DM, CS: after-sale (SPEC §7)
    assert ledger.frames["contacts"]["email"].str.endswith("@example.com").all()


def test_sample_dates_stay_in_the_known_calendar(clean):
    ledger = read_ledger(clean)
    for key, frame in ledger.frames.items():
        for column in frame.columns:
            if str(frame[column].dtype).startswith("datetime64"):
                assert frame[column].dropna().le(pd_ts(dt.date(2029, 12, 31))).all(), (key, column)
    bids = ledger.frames["bids"]["bid_date"].dropna()
    assert bids.max() <= pd_ts(dt.date(2026, 12, 31))


def pd_ts(day: dt.date):
    import pandas as pd

    return pd.Timestamp(day)


def test_scales_linearly_and_fast():
    start = time.perf_counter()
    rows = make_sample(2000, 3)
    elapsed = time.perf_counter() - start
    total = sum(len(v) for v in rows.values())
    assert total > 2000 * 7
    assert len({r["project_id"] for r in rows["projects"]}) == 2000
    assert elapsed < 10


def test_cli_sample(tmp_path):
    out = tmp_path / "x.xlsx"
    result = CliRunner().invoke(main, ["sample", "--projects", "12", "--seed", "3", "--out", str(out), "--clean"])
    assert result.exit_code == 0, result.output
    assert out.exists() and "12" in result.output
    check = CliRunner().invoke(main, ["check", str(out), "--json", "--as-of", "2026-11-16"])
    assert json.loads(check.output)["schema_version"]


def test_cli_sample_rejects_zero_projects(tmp_path):
    result = CliRunner().invoke(main, ["sample", "--projects", "0", "--out", str(tmp_path / "x.xlsx")])
    assert result.exit_code == 2


def test_core_only_sample_has_no_optional_tab_and_no_finding_about_it(tmp_path):
    """``kaxl sample --core-only``: the ten first-wave tabs only (the bench's twin without SPEC §7's
    sheets); the check treats the absent optional sheets as not kept: no finding about them."""
    from kaxl.contract.columns import SHEETS

    out = tmp_path / "core.xlsx"
    run = CliRunner().invoke(main, ["sample", "--projects", "40", "--core-only", "--out", str(out)])
    assert run.exit_code == 0, run.output
    ledger = read_ledger(out)
    assert not any(ledger.present[s.key] for s in SHEETS if s.optional)
    assert all(ledger.present[s.key] for s in SHEETS if not s.optional)
    titles = [s.title for s in SHEETS if s.optional] + [s.en for s in SHEETS if s.optional]
    result = check_files([out], DEFAULT_AS_OF)
    about = [f for f in result.findings if f.sheet in titles or f.rule.split("-")[0] in {"LEA", "VIS", "DEL", "HLT", "ISS"}
             or any(t in f.message_en for t in titles)]
    assert result.findings and not about
