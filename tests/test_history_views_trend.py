"""Trends on hand-made history frames: KPI lines vs target, findings by severity, time in stage."""

from __future__ import annotations

import pandas as pd

from kaxl.history.frames import FINDING_COLUMNS, KPI_COLUMNS, PROJECT_COLUMNS, History
from kaxl.history.trend import findings_by_severity, kpi_trend, time_in_stage

WEEKS = [pd.Timestamp("2026-09-07") + pd.Timedelta(weeks=i) for i in range(14)]


def frames(findings=(), kpis=(), projects=()) -> History:
    return History(pd.DataFrame(list(findings), columns=FINDING_COLUMNS),
                   pd.DataFrame(list(projects), columns=PROJECT_COLUMNS), pd.DataFrame(list(kpis), columns=KPI_COLUMNS))


def project(as_of, pid, stage, status="active"):
    return {"as_of": as_of, "project_id": pid, "customer": "c", "stage": stage, "status": status,
            "account_manager": "张伟", "estimated_amount": 1.0, "expected_close": pd.NaT}


def test_kpi_trend_last_12_with_targets():
    kpis = [{"as_of": w, "scope": "", "name": "win_rate", "value": i / 100, "target": 0.35 if i < 10 else 0.40,
             "status": None} for i, w in enumerate(WEEKS)]
    kpis += [{"as_of": WEEKS[-1], "scope": "", "name": "csat_avg", "value": 4.2, "target": 4.0, "status": None},
             {"as_of": WEEKS[-1], "scope": "张伟", "name": "win_rate", "value": 0.9, "target": 0.35, "status": None}]
    trend = kpi_trend(frames(kpis=kpis))
    assert trend.dates == WEEKS[2:]  # the last 12 snapshots
    assert list(trend.values.columns) == ["win_rate", "csat_avg"]
    assert trend.values["win_rate"].tolist() == [i / 100 for i in range(2, 14)]
    assert trend.targets["win_rate"].iloc[0] == 0.35 and trend.targets["win_rate"].iloc[-1] == 0.40
    assert trend.values["csat_avg"].isna().sum() == 11 and trend.values["csat_avg"].iloc[-1] == 4.2
    assert kpi_trend(frames(kpis=kpis), scope="张伟").values["win_rate"].iloc[-1] == 0.9


def test_findings_by_severity_per_week():
    findings = [{"as_of": WEEKS[0], "identity": f"A{i}", "severity": "error"} for i in range(3)]
    findings += [{"as_of": WEEKS[1], "identity": "A0", "severity": "error"},
                 {"as_of": WEEKS[1], "identity": "W0", "severity": "warning"},
                 {"as_of": WEEKS[1], "identity": "W0", "severity": "warning"}]  # one identity counts once
    projects = [project(WEEKS[2], "P1", "proposal")]  # a week with no findings at all
    table = findings_by_severity(frames(findings, projects=projects))
    assert list(table.columns) == ["error", "warning", "info"]
    assert table.to_numpy().tolist() == [[3, 0, 0], [1, 1, 0], [0, 0, 0]]


def test_time_in_stage_counts_the_current_unbroken_run():
    rows = [project(WEEKS[i], "P1", "proposal") for i in range(0, 4)]  # since week 0: 21 days
    rows += [project(WEEKS[0], "P2", "initiation")] + [project(WEEKS[i], "P2", "proposal") for i in (1, 2, 3)]
    rows += [project(WEEKS[i], "P3", "bidding") for i in (0, 2, 3)]  # missed week 1: since week 2
    rows += [project(WEEKS[i], "P4", "bidding", "won") for i in range(4)]  # not active: left out
    rows += [project(WEEKS[3], "P5", "proposal")]  # new: 0 days
    tis = time_in_stage(frames(projects=rows))
    per = tis.per_stage.set_index("stage")
    assert list(per.index) == ["proposal", "bidding"]
    assert per.loc["proposal", "projects"] == 3 and per.loc["proposal", "median_days"] == 14.0
    assert per.loc["proposal", "max_days"] == 21 and per.loc["bidding", "median_days"] == 7.0
    assert tis.slowest["project_id"].tolist() == ["P1", "P2", "P3", "P5"]
    assert tis.slowest["since"].iloc[0] == WEEKS[0]
    assert time_in_stage(frames()).slowest.empty
