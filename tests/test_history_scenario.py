"""Four weeks of the sample ledger (tests/history_scenario.py): each week some findings fixed,
others broken, a stage moved, money collected. The expected new / fixed / open-for-N lists and
KPI deltas come from the edits (beside a control ledger that only time moves), not from the
code's output; the digest and the summary show them."""

from __future__ import annotations

import datetime as dt

import pytest
from python_calamine import CalamineWorkbook

from kaxl.api import check_files
from kaxl.digest.recipients import plan
from kaxl.history.movement import movement
from kaxl.history.pipeline import stage_matrix, waterfall
from kaxl.reports.summary import write_summary
from tests.history_scenario import (
    BROKEN_W2,
    BROKEN_W4,
    FIXED_W2,
    FIXED_W3,
    PROJECT,
    history_of,
    scenario_ledgers,
    with_history,
)


@pytest.fixture(scope="module")
def weeks(tmp_path_factory):
    folder = tmp_path_factory.mktemp("scenario")
    edited, control = [], []
    for day, path, untouched in scenario_ledgers(folder):
        edited.append(check_files(path, day))
        control.append(check_files(untouched, day))
    return edited, control


def _ids(frame) -> set[str]:
    return set(frame["identity"])


@pytest.mark.parametrize("week, broken, fixed", [(2, {BROKEN_W2}, {FIXED_W2}), (3, set(), {BROKEN_W2, FIXED_W3}),
                                                 (4, {BROKEN_W4}, set())])
def test_new_and_fixed_are_exactly_the_edits(weeks, week, broken, fixed):
    edited, control = weeks
    m = movement(history_of(edited[:week]))
    c = movement(history_of(control[:week]))  # what time alone did (deadlines passing)
    assert _ids(m.new) == _ids(c.new) | broken
    assert _ids(m.fixed) == _ids(c.fixed) | fixed


def test_open_for_n_weeks_oldest_first(weeks):
    edited, control = weeks
    m, c = movement(history_of(edited)), movement(history_of(control))
    assert list(m.open_weeks["identity"]) == [i for i in c.open_weeks["identity"] if i not in (FIXED_W2, FIXED_W3)]
    row = m.open_weeks.set_index("identity").loc["PAY-003|receivables|HT-2026-0005/1|due_date"]
    assert row["weeks_open"] == 3 and row["first_seen"].date() == dt.date(2026, 11, 16)
    assert list(m.open_weeks["first_seen"]) == sorted(m.open_weeks["first_seen"])
    assert BROKEN_W4 not in _ids(m.open_weeks) and BROKEN_W2 not in _ids(m.open_weeks)


def test_kpi_deltas_follow_the_collections(weeks):
    edited, control = weeks
    # week 3 collected HT-2026-0006/1 (late: not on time, but no longer overdue)
    m = {k.name: k for k in movement(history_of(edited[:3])).kpis}
    c = {k.name: k for k in movement(history_of(control[:3])).kpis}
    outstanding = edited[1].receivables.set_index(["contract_id", "installment"]).loc[("HT-2026-0006", 1), "outstanding"]
    assert m["overdue_amount"].delta == pytest.approx(c["overdue_amount"].delta - outstanding)
    first = edited[0].receivables.set_index(["contract_id", "installment"]).loc[("HT-2026-0003", 1), "outstanding"]
    assert m["overdue_amount"].value == pytest.approx(c["overdue_amount"].value - outstanding - first)
    assert m["overdue_amount"].tone == ("good" if m["overdue_amount"].delta < 0 else "bad")  # lower is better
    # collected after the due date: never on time, so the edits cannot make the on-time rate better
    assert m["on_time_collection_rate"].value <= c["on_time_collection_rate"].value + 1e-12
    assert m["on_time_collection_rate"].arrow in ("↑", "↓", "→")


def test_pipeline_moved_as_edited(weeks):
    edited, _ = weeks
    history = history_of(edited)
    w = waterfall(history)
    assert w.parts == {"new": 0, "won": 0, "lost": 0, "removed": 0, "expanded": 70_000, "contracted": 0}
    assert w.end - w.start == pytest.approx(70_000)
    assert list(w.pushed["project_id"]) == [PROJECT] and w.pushed.loc[0, "times_pushed"] == 2
    moves = stage_matrix(history)
    assert moves.counts.loc["bidding", "proposal"] == 1 and moves.total("back") == 1 and moves.total("forward") == 0


def test_digest_and_summary_show_it(weeks, tmp_path):
    edited, _ = weeks
    result = with_history(edited)
    digests = {d.recipient.name: d for d in plan(result)}
    am = edited[-1].projects.set_index("project_id").loc["KA-2025-0002", "account_manager"]  # HT-2025-0001's project
    since = next(s for s in digests[am].sections if s.key == "since_last_week")
    lines = [line.text_en for line in since.lines]
    assert any(line.startswith("New · CON-003") for line in lines)
    management = [d for d in digests.values() if d.recipient.role == "management"][0]
    pipe = next(s for s in management.sections if s.key == "pipeline_movement")
    assert any("Expanded: 1 project ¥70,000" in line.text_en for line in pipe.lines)
    assert any("pushed 2 times so far" in line.text_en for line in pipe.lines)
    out = write_summary(result, tmp_path / "summary.xlsx", generated_at=dt.datetime(2026, 12, 7, 9))
    rows = CalamineWorkbook.from_path(str(out)).get_sheet_by_name("趋势 Trend").to_python()
    by_label = {str(r[0]): r for r in rows if r and r[0]}
    assert by_label["+ 金额增加 Expanded"][1] == 70_000 and by_label["+ 金额增加 Expanded"][2] == 1
    assert any(str(r[0]) == PROJECT and r[6] == 2 for r in rows)  # pushed twice
