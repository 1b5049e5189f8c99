"""The four-week scenario (tests/history_scenario.py) through the real store — record_snapshot's
writer and load_history's reader, on SQLite and PostgreSQL — gives the same views as the
in-memory history, the expected new / fixed / open-for-N lists, and the JSON ages agree with
the digest's "open for N weeks" (one definition: the current unbroken run)."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pandas as pd
import pytest
from python_calamine import CalamineWorkbook

from kaxl.api import check_files
from kaxl.digest.recipients import plan
from kaxl.history.config import StoreChoice
from kaxl.history.movement import movement
from kaxl.history.pipeline import stage_matrix, waterfall
from kaxl.history.recording import record_run
from kaxl.history.store import load_history, open_store, record_snapshot
from kaxl.history.trend import findings_by_severity, kpi_trend, time_in_stage
from kaxl.reports.jsonout import to_document
from kaxl.reports.summary import write_summary
from tests.history_scenario import (
    BROKEN_W2,
    BROKEN_W4,
    FIXED_W2,
    FIXED_W3,
    PROJECT,
    WEEKS,
    history_of,
    scenario_ledgers,
)

OLD = "PAY-003|receivables|HT-2026-0005/1|due_date"  # open all four weeks


@pytest.fixture(scope="module")
def weeks(tmp_path_factory):
    folder = tmp_path_factory.mktemp("store-scenario")
    edited, control = [], []
    for day, path, untouched in scenario_ledgers(folder):
        edited.append(check_files(path, day))
        control.append(check_files(untouched, day))
    return edited, control


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, tmp_path):
    if request.param == "sqlite":
        return str(tmp_path / "kaxl-history.sqlite")
    return request.getfixturevalue("postgres_server")()


@pytest.fixture
def stored(weeks, store_url):
    """Each week's history as read back from the store after recording that week."""
    edited, _ = weeks
    histories = []
    with open_store(store_url) as store:
        for result in edited:
            written, history = record_snapshot(store, result)
            assert written
            histories.append(history)
        assert store.ledger_sets() == ["台账.xlsx"]  # the dated copies are one ledger
        assert load_history(store, "台账.xlsx", until=WEEKS[1]).dates == [pd.Timestamp(d) for d in WEEKS[:2]]
    return histories


def _ids(frame) -> list[str]:
    return list(frame["identity"])


def _same_views(a, b) -> None:
    ma, mb = movement(a), movement(b)
    assert (_ids(ma.new), _ids(ma.fixed), _ids(ma.open_weeks)) == (_ids(mb.new), _ids(mb.fixed), _ids(mb.open_weeks))
    assert list(ma.open_weeks["weeks_open"]) == list(mb.open_weeks["weeks_open"])
    assert list(ma.open_weeks["first_seen"]) == list(mb.open_weeks["first_seen"])
    assert [(k.name, k.value, k.previous, k.target, k.arrow) for k in ma.kpis] == \
        [(k.name, k.value, k.previous, k.target, k.arrow) for k in mb.kpis]
    wa, wb = waterfall(a), waterfall(b)
    assert (wa.start, wa.parts, wa.end) == (wb.start, wb.parts, wb.end)
    assert wa.pushed.reset_index(drop=True).equals(wb.pushed.reset_index(drop=True))
    assert stage_matrix(a).counts.equals(stage_matrix(b).counts)
    ta, tb = kpi_trend(a), kpi_trend(b)
    pd.testing.assert_frame_equal(ta.values, tb.values)
    pd.testing.assert_frame_equal(ta.targets, tb.targets)
    pd.testing.assert_frame_equal(findings_by_severity(a), findings_by_severity(b))
    pd.testing.assert_frame_equal(time_in_stage(a).per_stage, time_in_stage(b).per_stage)
    pd.testing.assert_frame_equal(time_in_stage(a).slowest, time_in_stage(b).slowest)


@pytest.mark.parametrize("week", [1, 2, 3, 4])
def test_the_store_gives_the_same_views_as_the_frames(weeks, stored, week):
    edited, _ = weeks
    _same_views(stored[week - 1], history_of(edited[:week]))


def test_the_stored_weeks_give_exactly_the_edits(weeks, stored):
    edited, control = weeks
    expected = {2: ({BROKEN_W2}, {FIXED_W2}), 3: (set(), {BROKEN_W2, FIXED_W3}), 4: ({BROKEN_W4}, set())}
    for week, (broken, fixed) in expected.items():
        m, c = movement(stored[week - 1]), movement(history_of(control[:week]))
        assert set(_ids(m.new)) == set(_ids(c.new)) | broken
        assert set(_ids(m.fixed)) == set(_ids(c.fixed)) | fixed
    m = movement(stored[-1])
    row = m.open_weeks.set_index("identity").loc[OLD]
    assert row["weeks_open"] == 3 and row["first_seen"].date() == WEEKS[0]
    w = waterfall(stored[-1])
    assert w.parts["expanded"] == 70_000 and list(w.pushed["project_id"]) == [PROJECT]


def test_digest_summary_and_json_from_the_store(weeks, store_url, tmp_path):
    """What the commands do: record_run each week, then the outputs of the last one."""
    edited, _ = weeks
    choice = StoreChoice(store_url, tmp_path, "test")
    for result in edited:
        run = record_run(result, choice)
    digests = {d.recipient.name: d for d in plan(run)}
    am = edited[-1].projects.set_index("project_id").loc["KA-2025-0002", "account_manager"]
    since = next(s for s in digests[am].sections if s.key == "since_last_week")
    assert any(line.text_en.startswith("New · CON-003") for line in since.lines)
    management = [d for d in digests.values() if d.recipient.role == "management"][0]
    pipe = next(s for s in management.sections if s.key == "pipeline_movement")
    assert any("Expanded: 1 project ¥70,000" in line.text_en for line in pipe.lines)
    out = write_summary(run, tmp_path / "summary.xlsx", generated_at=dt.datetime(2026, 12, 7, 9))
    rows = CalamineWorkbook.from_path(str(out)).get_sheet_by_name("趋势 Trend").to_python()
    by_label = {str(r[0]): r for r in rows if r and r[0]}
    assert by_label["+ 金额增加 Expanded"][1] == 70_000
    # the JSON ages and the digest's open-for-N are one definition
    findings = to_document(run)["findings"]
    open_weeks = movement(run.history).open_weeks.set_index("identity")
    ids = dict(zip(open_weeks.index, open_weeks["weeks_open"]))
    ages = run.history.finding_ages
    from kaxl.history.identity import finding_identities

    for identity, finding, (first_seen, weeks_open) in zip(finding_identities(run), findings,
                                                          ages.itertuples(index=False)):
        assert finding["first_seen"] == first_seen.date().isoformat() and finding["weeks_open"] == weeks_open
        if identity in ids:
            assert weeks_open == ids[identity], identity
    assert {f["first_seen"] for f in findings} <= {d.isoformat() for d in WEEKS}
    assert any(f["weeks_open"] == 3 for f in findings) and any(f["weeks_open"] == 0 for f in findings)


def test_fixed_then_broken_again_counts_from_its_return(weeks, tmp_path):
    """A finding fixed in week 2 and back in week 3 is open since week 3, not since week 1."""
    edited, control = weeks
    choice = StoreChoice(str(tmp_path / "again.sqlite"), tmp_path, "test")
    ledger_set = "scenario"
    for result in (control[0], edited[1], dataclasses.replace(control[2])):
        run = record_run(result, choice, ledger_set=ledger_set)
    from kaxl.history.identity import finding_identities

    ages = dict(zip(finding_identities(run), run.history.finding_ages.itertuples(index=False)))
    assert ages[FIXED_W2].first_seen.date() == WEEKS[2] and ages[FIXED_W2].weeks_open == 0
    assert ages[OLD].first_seen.date() == WEEKS[0] and ages[OLD].weeks_open == 2


def _narrowed_and_whole(weeks, store_url, tmp_path, read):
    """Week by week: (week, the run recorded with ``read``'s narrowed history, the same run with
    the whole stored history)."""
    from kaxl.history.recording import with_history

    edited, _ = weeks
    choice = StoreChoice(store_url, tmp_path, "test")
    for week, result in enumerate(edited, 1):
        run = record_run(result, choice, read=read)
        with open_store(store_url) as store:
            whole = with_history(result, store.load_history("台账.xlsx"))
        yield week, run, whole


def test_the_summary_reads_only_what_its_trend_tab_shows(weeks, store_url, tmp_path):
    """`kaxl summary` reads the trend's history (no findings rows, the stored per-severity counts,
    older weeks' projects narrowed): each week gives exactly the views and the tab of the whole
    stored history."""
    for week, trend, full in _narrowed_and_whole(weeks, store_url, tmp_path, "trend"):
        a, b = full.history, trend.history
        assert b.findings.empty and b.severity_counts is not None and a.dates == b.dates
        assert len(b.projects) < len(a.projects) or week <= 2  # the weeks before the last two: narrowed
        ta, tb = kpi_trend(a), kpi_trend(b)
        pd.testing.assert_frame_equal(ta.values, tb.values)
        pd.testing.assert_frame_equal(ta.targets, tb.targets)
        pd.testing.assert_frame_equal(findings_by_severity(a), findings_by_severity(b))
        pd.testing.assert_frame_equal(time_in_stage(a).per_stage, time_in_stage(b).per_stage)
        pd.testing.assert_frame_equal(time_in_stage(a).slowest, time_in_stage(b).slowest)
        wa, wb = waterfall(a), waterfall(b)
        assert (wa.start, wa.parts, wa.counts, wa.end) == (wb.start, wb.parts, wb.counts, wb.end)
        pd.testing.assert_frame_equal(wa.projects, wb.projects)
        pd.testing.assert_frame_equal(wa.pushed, wb.pushed)
        pd.testing.assert_frame_equal(stage_matrix(a).moves, stage_matrix(b).moves)
        assert full.projects.equals(trend.projects)  # days_in_stage from the store, either way
        tabs = []
        for name, run in (("full", full), ("trend", trend)):
            out = write_summary(run, tmp_path / f"{name}.xlsx", generated_at=dt.datetime(2026, 12, 7, 9))
            tabs.append(CalamineWorkbook.from_path(str(out)).get_sheet_by_name("趋势 Trend").to_python())
        assert tabs[0] == tabs[1]


def test_the_digest_reads_only_what_its_views_use(weeks, store_url, tmp_path):
    """`kaxl digest` reads the older weeks narrowed (identity and owners, push dates): every
    recipient's digest is exactly the one built from the whole stored history."""
    for week, run, whole in _narrowed_and_whole(weeks, store_url, tmp_path, "full"):
        assert run.history.dates == whole.history.dates
        narrowed = run.history.findings[run.history.findings["as_of"].lt(run.history.dates[-2])] if week > 2 else None
        assert narrowed is None or narrowed["message_en"].isna().all() and narrowed["rule"].isna().all()
        roles = set()
        for ours, theirs in zip(plan(run), plan(whole), strict=True):
            assert ours.recipient.name == theirs.recipient.name
            assert ours.sections == theirs.sections, ours.recipient.name
            roles.add(ours.recipient.role)
        assert {"management", "sales_director"} <= roles


def test_the_ages_a_write_returns_are_the_ages_read_back(weeks, store_url):
    """record_run takes first_seen / stage_since from the write instead of reading them back:
    the same values, also for a week written between two others (which rechains the later one)."""
    from kaxl.history.identity import snapshot_frames

    edited, _ = weeks
    with open_store(store_url) as store:
        for result in (edited[0], edited[1], edited[3], edited[2], edited[2]):  # week 3 late, then rerun
            written = store.write_snapshot_ages("台账.xlsx", snapshot_frames(result), files=["台账.xlsx"])
            assert written == store.snapshot_ages("台账.xlsx", result.as_of)
            assert len(written[0]) == len(result.findings) and written[1]
        assert store.write_snapshot_ages("台账.xlsx", snapshot_frames(edited[2]), replace=False) is None
        seen, _ = store.snapshot_ages("台账.xlsx", edited[3].as_of)
        assert seen.count(WEEKS[0]) > 0  # the week after the late one was rechained, still from week 1
