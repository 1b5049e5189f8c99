"""Since last week on hand-made history frames: new / fixed / open-for-N, KPI arrows, per person."""

from __future__ import annotations

import pandas as pd
import pytest

from kaxl.history.frames import FINDING_COLUMNS, KPI_COLUMNS, PROJECT_COLUMNS, History
from kaxl.history.movement import kpi_deltas, movement, open_findings

W1, W2, W3, W4 = (pd.Timestamp(d) for d in ("2026-11-09", "2026-11-16", "2026-11-23", "2026-11-30"))


def finding(as_of, identity, *, severity="error", owner="张伟", am="张伟", project="P1"):
    rule = identity.split("|")[0]
    return {"as_of": as_of, "identity": identity, "rule": rule, "severity": severity, "project_id": project,
            "owner_role": "AM", "owner": owner, "account_manager": am, "cell": "项目台账!A2",
            "message_zh": f"{identity} 中文", "message_en": f"{identity} en"}


def kpi(as_of, name, value, target, scope=""):
    return {"as_of": as_of, "scope": scope, "name": name, "value": value, "target": target, "status": None}


def history(findings, kpis=(), projects=()) -> History:
    return History(pd.DataFrame(list(findings), columns=FINDING_COLUMNS),
                   pd.DataFrame(list(projects), columns=PROJECT_COLUMNS), pd.DataFrame(list(kpis), columns=KPI_COLUMNS))


@pytest.fixture
def four_weeks() -> History:
    rows = []
    # A: open since week 1 · B: weeks 1-2 then fixed · C: new in week 4 · D: week 1, gone, back weeks 3-4
    # E: owned by the CO 李娜 on 张伟's project since week 2
    for week in (W1, W2, W3, W4):
        rows.append(finding(week, "INI-001|P1"))
    rows += [finding(W1, "PAY-003|C1|1", project="P2"), finding(W2, "PAY-003|C1|1", project="P2")]
    rows.append(finding(W4, "STK-002|P3|王总", severity="warning", project="P3"))
    rows += [finding(W1, "RSK-002|R9", owner="王芳", am="王芳", project="P9"),
             finding(W3, "RSK-002|R9", owner="王芳", am="王芳", project="P9"),
             finding(W4, "RSK-002|R9", owner="王芳", am="王芳", project="P9")]
    rows += [finding(w, "CON-005|K1", severity="warning", owner="李娜", project="P1") for w in (W2, W3, W4)]
    rows.append(finding(W3, "PAY-004|C1|2", project="P2"))  # fixed in week 4
    kpis = [kpi(W3, "win_rate", 0.30, 0.35), kpi(W4, "win_rate", 0.40, 0.35),
            kpi(W3, "overdue_amount", 1000.0, 0.0), kpi(W4, "overdue_amount", 1500.0, 0.0),
            kpi(W3, "node_completion_rate", 0.9, 0.9), kpi(W4, "node_completion_rate", 0.9, 0.9),
            kpi(W3, "avg_cycle_days", 120.0, 100.0), kpi(W4, "avg_cycle_days", 110.0, 100.0),
            kpi(W4, "csat_avg", 4.5, 4.0),  # new KPI: nothing to compare
            kpi(W3, "win_rate", 0.5, 0.35, scope="张伟"), kpi(W4, "win_rate", 0.25, 0.35, scope="张伟")]
    return history(rows, kpis)


def test_new_fixed_and_open_for_weeks_oldest_first(four_weeks):
    m = movement(four_weeks)
    assert m.previous == W3 and m.as_of == W4
    assert list(m.new["identity"]) == ["STK-002|P3|王总"]
    assert list(m.fixed["identity"]) == ["PAY-004|C1|2"]
    # oldest first: INI-001 (since W1, 3 weeks), CON-005 (since W2, 2), RSK-002 back since W3 (1)
    assert list(m.open_weeks["identity"]) == ["INI-001|P1", "CON-005|K1", "RSK-002|R9"]
    assert list(m.open_weeks["weeks_open"]) == [3, 2, 1]
    assert list(m.open_weeks["first_seen"]) == [W1, W2, W3]
    assert list(m.stale(3)["identity"]) == ["INI-001|P1"]
    assert m.stale(4).empty


def test_open_findings_carry_first_seen_and_weeks_open(four_weeks):
    frame = open_findings(four_weeks).set_index("identity")
    assert frame.loc["STK-002|P3|王总", "weeks_open"] == 0
    assert frame.loc["RSK-002|R9", "first_seen"] == W3  # the run broke in week 2
    assert frame.loc["INI-001|P1", "weeks_open"] == 3


def test_per_person_is_what_they_own_or_manage(four_weeks):
    li = movement(four_weeks, person="李娜")
    assert list(li.open_weeks["identity"]) == ["CON-005|K1"] and li.new.empty
    zhang = movement(four_weeks, person="张伟")  # AM of P1 sees the CO's finding on his project too
    assert set(zhang.open_weeks["identity"]) == {"INI-001|P1", "CON-005|K1"}
    assert list(zhang.fixed["identity"]) == ["PAY-004|C1|2"]
    wang = movement(four_weeks, person="王芳")
    assert list(wang.open_weeks["identity"]) == ["RSK-002|R9"] and wang.fixed.empty
    assert [k.name for k in zhang.kpis] == ["win_rate"] and zhang.kpis[0].tone == "bad"


def test_kpi_arrows_are_good_or_bad_by_kpi(four_weeks):
    deltas = {k.name: k for k in kpi_deltas(four_weeks)}
    assert (deltas["win_rate"].arrow, deltas["win_rate"].tone) == ("↑", "good")
    assert deltas["win_rate"].delta == pytest.approx(0.10)
    assert (deltas["overdue_amount"].arrow, deltas["overdue_amount"].tone) == ("↑", "bad")
    assert (deltas["avg_cycle_days"].arrow, deltas["avg_cycle_days"].tone) == ("↓", "good")
    assert (deltas["node_completion_rate"].arrow, deltas["node_completion_rate"].tone) == ("→", "flat")
    assert deltas["csat_avg"].delta is None and deltas["csat_avg"].arrow == "" and deltas["csat_avg"].tone == "none"
    assert deltas["win_rate"].label_zh == "成单转化率"
    # the check result's own KPI dicts win over the defaults
    meta = {"overdue_amount": {"higher_is_better": True, "label_zh": "x", "label_en": "y", "unit": "yuan"}}
    assert {k.name: k for k in kpi_deltas(four_weeks, kpi_meta=meta)}["overdue_amount"].tone == "good"


def test_one_snapshot_has_nothing_to_compare():
    m = movement(history([finding(W1, "INI-001|P1")], [kpi(W1, "win_rate", 0.3, 0.35)]))
    assert not m.has_earlier and m.new.empty and m.fixed.empty and m.open_weeks.empty and m.kpis == ()
    assert not movement(History.empty()).has_earlier


def test_identity_not_row_makes_the_difference():
    """The same finding on another cell (a row inserted above) is neither new nor fixed."""
    a = finding(W1, "INI-001|P1")
    b = {**finding(W2, "INI-001|P1"), "cell": "项目台账!A3"}
    m = movement(history([a, b]))
    assert m.new.empty and m.fixed.empty and list(m.open_weeks["weeks_open"]) == [1]
