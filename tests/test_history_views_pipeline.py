"""Pipeline waterfall and stage matrix on hand-made history frames; amounts reconcile exactly."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kaxl.history.frames import FINDING_COLUMNS, KPI_COLUMNS, PROJECT_COLUMNS, History
from kaxl.history.pipeline import STEPS, stage_matrix, times_pushed, waterfall

W1, W2, W3 = (pd.Timestamp(d) for d in ("2026-11-16", "2026-11-23", "2026-11-30"))


def project(as_of, pid, stage, status, amount, close=None, am="张伟"):
    return {"as_of": as_of, "project_id": pid, "customer": f"客户{pid}", "stage": stage, "status": status,
            "grade": "A", "tier": "A", "estimated_amount": amount,
            "expected_close": pd.Timestamp(close) if close else pd.NaT, "account_manager": am,
            "qualification_score": 80.0, "process_pct": 0.9}


def history(projects) -> History:
    return History(pd.DataFrame(columns=FINDING_COLUMNS), pd.DataFrame(list(projects), columns=PROJECT_COLUMNS),
                   pd.DataFrame(columns=KPI_COLUMNS))


@pytest.fixture
def weeks() -> History:
    rows = []
    for week, close in ((W1, "2026-12-10"), (W2, "2026-12-20"), (W3, "2027-01-15")):  # P1 pushed twice
        rows.append(project(week, "P1", "bidding", "active", 1_000_000.10, close))
    rows += [project(W2, "P2", "proposal", "active", 500_000.0), project(W3, "P2", "contracting", "won", 500_000.0),
             project(W2, "P3", "bidding", "active", 300_000.0), project(W3, "P3", "bidding", "lost", 300_000.0),
             project(W2, "P4", "proposal", "active", 200_000.0, "2026-12-01"),
             project(W3, "P4", "proposal", "active", 250_000.55, "2026-11-30"),  # expanded, pulled in
             project(W2, "P5", "contracting", "active", 800_000.0),
             project(W3, "P5", "proposal", "active", 600_000.0),  # contracted, moved back
             project(W2, "P6", "initiation", "active", 100_000.0), project(W3, "P6", "initiation", "on_hold", 100_000.0),
             project(W2, "P7", "initiation", "active", 50_000.0),  # gone from the ledger in week 3
             project(W3, "P8", "initiation", "active", 70_000.33),  # new
             project(W2, "P9", "proposal", "on_hold", 90_000.0), project(W3, "P9", "proposal", "active", 90_000.0),
             project(W2, "P10", "payment", "won", 1.0), project(W3, "P10", "closed", "won", 1.0)]
    return history(rows)


def test_waterfall_parts(weeks):
    w = waterfall(weeks)
    assert w.previous == W2 and w.as_of == W3
    assert w.start == pytest.approx(1_000_000.10 + 500_000 + 300_000 + 200_000 + 800_000 + 100_000 + 50_000)
    assert w.parts == pytest.approx({"new": 70_000.33 + 90_000, "won": 500_000, "lost": 300_000,
                                     "removed": 100_000 + 50_000, "expanded": 50_000.55, "contracted": 200_000})
    assert w.counts == {"new": 2, "won": 1, "lost": 1, "removed": 2, "expanded": 1, "contracted": 1}
    assert w.end == pytest.approx(1_000_000.10 + 250_000.55 + 600_000 + 70_000.33 + 90_000)
    assert set(w.projects.loc[w.projects["step"].eq("new"), "project_id"]) == {"P8", "P9"}


def test_waterfall_reconciles_exactly(weeks):
    w = waterfall(weeks)
    walked = round(w.start * 100) + sum(round(w.signed(key) * 100) for key, *_ in STEPS)
    assert walked == round(w.end * 100)
    assert sum(round(w.signed(k) * 100) for k, *_ in STEPS) == round(w.projects["change"].sum() * 100)


def test_waterfall_reconciles_exactly_on_random_weeks():
    rng = np.random.default_rng(7)
    rows = []
    statuses = ["active", "active", "active", "won", "lost", "on_hold"]
    for week in (W1, W2):
        for i in range(2000):
            if rng.random() < 0.1:
                continue  # some projects only in one snapshot
            rows.append(project(week, f"P{i}", "proposal", statuses[rng.integers(6)],
                                round(float(rng.uniform(0, 5e6)), 2) if rng.random() > 0.05 else None))
    w = waterfall(history(rows))
    assert round(w.start * 100) + sum(round(w.signed(k) * 100) for k, *_ in STEPS) == round(w.end * 100)
    last = pd.DataFrame(rows).query("as_of == @W2 and status == 'active'")
    assert round(w.end * 100) == int(np.round(last["estimated_amount"].fillna(0).to_numpy() * 100).sum())


def test_pushed_is_beside_the_waterfall_with_its_count(weeks):
    w = waterfall(weeks)
    assert list(w.pushed["project_id"]) == ["P1"]  # P4 was pulled in, not pushed
    assert w.pushed.loc[0, "times_pushed"] == 2
    assert w.pushed.loc[0, "close_now"] == pd.Timestamp("2027-01-15")
    assert times_pushed(weeks).to_dict()["P4"] == 0


def test_push_count_skips_a_gap():
    """Pushed between snapshot 1 and 3 while absent from snapshot 2 is no week-over-week push."""
    rows = [project(W1, "P1", "bidding", "active", 1, "2026-12-01"), project(W2, "P2", "bidding", "active", 1),
            project(W3, "P1", "bidding", "active", 1, "2027-02-01")]
    assert times_pushed(history(rows))["P1"] == 0


def test_stage_matrix(weeks):
    m = stage_matrix(weeks)
    assert m.counts.loc["proposal", "contracting"] == 1  # P2 forward
    assert m.counts.loc["contracting", "proposal"] == 1  # P5 back
    assert m.counts.loc["bidding", "bidding"] == 2  # P1, P3 idle
    assert m.total("forward") == 2 and m.total("back") == 1 and m.total("idle") == 5  # P1 P3 P4 P6 P9
    assert int(m.counts.to_numpy().sum()) == 8  # P7 left, P8 is new: not in both
    assert list(m.counts.index) == ["initiation", "proposal", "bidding", "contracting", "payment", "closed"]
    assert list(m.moves["project_id"][:2]) == ["P10", "P2"]


def test_one_snapshot_waterfall_is_flat():
    w = waterfall(history([project(W1, "P1", "bidding", "active", 10.0)]))
    assert w.previous is None and w.start == w.end == 10.0 and not any(w.parts.values())
    assert stage_matrix(history([])).moves.empty
