"""Portfolio and per-manager KPIs (SPEC §4) against values worked out by hand for a small ledger."""

from __future__ import annotations

import random

import pandas as pd
import pytest

from kaxl.api import check_files
from kaxl.sop.engine import RuleContext
from kaxl.sop.kpis import status_for
from tests.ledger_factory import d, write_ledger

AS_OF = d("2026-06-15")


def project(pid, status, stage, am, lead, amount, **extra):
    return {"project_id": pid, "customer": f"客户{pid}", "account_manager": am, "commercial_ops": "李四",
            "stage": stage, "status": status, "lead_date": d(lead), "estimated_amount": amount, **extra}


def installment(cid, n, due, amount, received=None, received_on=None):
    row = {"contract_id": cid, "installment": n, "due_date": d(due), "amount_due": amount,
           "invoice_date": d(due)}
    if received is not None:
        row |= {"amount_received": received, "received_date": d(received_on)}
    return row


SHEETS = {
    "projects": [
        project("P1", "赢单", "回款", "张三", "2026-01-01", 1_000_000),
        project("P2", "赢单", "回款", "李雷", "2026-02-01", 700_000),
        project("P3", "输单", "投标", "张三", "2026-01-10", 400_000, lost_reason="价格"),
        project("P4", "进行中", "方案", "张三", "2026-05-01", 500_000),
        project("P5", "进行中", "投标", "李雷", "2026-04-01", 1_200_000),
        project("P6", "暂停", "立项", "王五", "2026-03-01", 800_000),
        project("P7", "进行中", "方案", "李雷", "2026-05-20", 300_000),
    ],
    "contracts": [
        {"contract_id": "C1", "project_id": "P1", "signed_date": d("2026-03-02"), "amount": 1_000_000},
        {"contract_id": "C1b", "project_id": "P1", "signed_date": d("2026-05-01"), "amount": 50_000},
        {"contract_id": "C2", "project_id": "P2", "signed_date": d("2026-05-03"), "amount": 700_000},
    ],
    "receivables": [
        installment("C1", 1, "2026-03-10", 300_000, 300_000, "2026-03-08"),  # on time, in full
        installment("C1", 2, "2026-05-01", 400_000, 100_000, "2026-04-30"),  # 100k on time, 300k 45 days late
        installment("C1", 3, "2026-06-30", 300_000),  # not due yet
        installment("C1b", 1, "2026-07-15", 50_000),  # not due yet
        installment("C2", 1, "2026-06-01", 500_000, 500_000, "2026-06-05"),  # paid in full, 4 days late
        installment("C2", 2, "2026-06-10", 200_000),  # 5 days overdue
    ],
}


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    return check_files(write_ledger(tmp_path_factory.mktemp("kpi") / "l.xlsx", SHEETS), AS_OF)


def test_win_rate(result):
    # won P1, P2; lost P3; active/on-hold projects do not count: 2 / (2 + 1)
    kpi = result.kpis["win_rate"]
    assert kpi["value"] == 2 / 3  # unrounded (SPEC: JSON keeps every digit)
    assert (kpi["target"], kpi["status"], kpi["unit"]) == (0.35, "green", "ratio")
    assert kpi["label_zh"] == "成单转化率" and kpi["label_en"] == "Win rate"


def test_avg_cycle_days(result):
    # P1: 2026-01-01 → first contract 2026-03-02 = 31 (Jan) + 28 (Feb) + 1 = 60 days (C1b, later, ignored)
    # P2: 2026-02-01 → 2026-05-03 = 28 (Feb) + 31 (Mar) + 30 (Apr) + 2 = 91 days
    # mean (60 + 91) / 2 = 75.5; target = baseline 180 × (1 − 0.20) = 144, lower is better → green
    kpi = result.kpis["avg_cycle_days"]
    assert kpi["value"] == 75.5 and kpi["target"] == 144 and kpi["baseline"] == 180
    assert kpi["status"] == "green" and kpi["unit"] == "days" and kpi["higher_is_better"] is False


def test_on_time_collection_rate(result):
    # due on or before 2026-06-15: 300k + 400k + 500k + 200k = 1,400k
    # on time: C1#1 300k (received 03-08 ≤ 03-10) + C1#2 100k (04-30 ≤ 05-01); C2#1 was late → 0
    # 400k / 1,400k = 0.285714… → red against 0.90
    kpi = result.kpis["on_time_collection_rate"]
    assert kpi["value"] == 400_000 / 1_400_000 and kpi["target"] == 0.9 and kpi["status"] == "red"


def test_overdue_amount_and_aging(result):
    # C1#2: 400k − 100k = 300k, 2026-05-01 → 06-15 = 45 days (d31_60, L2); C2#2: 200k, 5 days (d1_30, L1)
    kpi = result.kpis["overdue_amount"]
    assert kpi["value"] == 500_000 and kpi["unit"] == "yuan" and kpi["target"] == 0
    assert kpi["status"] == "red"  # something has been escalated beyond L1
    # not due: C1#3 300k + C1b#1 50k; fully paid installments add 0
    assert result.kpis["aging"] == {"not_due": 350_000, "d1_30": 200_000, "d31_60": 300_000, "d61_90": 0,
                                    "d90_plus": 0}


def test_pipeline_counts_active_projects_per_stage(result):
    # active: P4 proposal 500k, P7 proposal 300k, P5 bidding 1.2M; P6 is on hold, P1-P3 are not active
    pipeline = result.kpis["pipeline"]
    assert pipeline["proposal"] == {"count": 2, "amount": 800_000}
    assert pipeline["bidding"] == {"count": 1, "amount": 1_200_000}
    assert pipeline["initiation"] == {"count": 0, "amount": 0}
    assert list(pipeline) == ["initiation", "proposal", "bidding", "contracting", "payment", "closed"]


def test_per_manager(result):
    by = result.kpis_by_manager
    assert set(by) == {"张三", "李雷", "王五"}
    zhang, li, wang = by["张三"], by["李雷"], by["王五"]
    # 张三: won P1, lost P3 → 1/2; cycle P1 60 days; due 700k, 400k on time → 0.5714; overdue 300k at L2 → red
    assert zhang["win_rate"]["value"] == 0.5 and zhang["win_rate"]["status"] == "green"
    assert zhang["avg_cycle_days"]["value"] == 60
    assert zhang["on_time_collection_rate"]["value"] == 400_000 / 700_000
    assert zhang["overdue_amount"]["value"] == 300_000 and zhang["overdue_amount"]["status"] == "red"
    assert zhang["aging"] == {"not_due": 350_000, "d1_30": 0, "d31_60": 300_000, "d61_90": 0, "d90_plus": 0}
    assert zhang["pipeline"]["proposal"] == {"count": 1, "amount": 500_000}
    # 李雷: 1/1 won; cycle 91; due 700k, none on time → 0; overdue 200k only at L1 → amber
    assert li["win_rate"]["value"] == 1.0 and li["avg_cycle_days"]["value"] == 91
    assert li["on_time_collection_rate"]["value"] == 0 and li["on_time_collection_rate"]["status"] == "red"
    assert li["overdue_amount"]["value"] == 200_000 and li["overdue_amount"]["status"] == "amber"
    # 王五: one project on hold, nothing won, lost, signed or due → no data, no colour
    for key in ("win_rate", "avg_cycle_days", "on_time_collection_rate", "overdue_amount"):
        assert wang[key]["status"] is None, key
    assert wang["win_rate"]["value"] is None and wang["overdue_amount"]["value"] == 0


@pytest.mark.parametrize(("settings", "key", "status"), [
    # win rate 0.6667 vs target 0.70: within 10 % (≥ 0.63) → amber; vs 0.75 (amber floor 0.675) → red
    ({"target_win_rate": "0.7"}, "win_rate", "amber"),
    ({"target_win_rate": "75%"}, "win_rate", "red"),
    # cycle 75.5 vs baseline 90 × 0.8 = 72: within 10 % (≤ 79.2) → amber; with a 1 % margin (≤ 72.72) → red
    ({"baseline_cycle_days": "90"}, "avg_cycle_days", "amber"),
    ({"baseline_cycle_days": "90", "amber_margin": "0.01"}, "avg_cycle_days", "red"),
    # on-time 0.2857 vs target 0.28 → green
    ({"target_on_time_collection": "0.28"}, "on_time_collection_rate", "green"),
])
def test_settings_tab_changes_targets_and_status(tmp_path, settings, key, status):
    sheets = {**SHEETS, "settings": [{"key": k, "value": v} for k, v in settings.items()]}
    changed = check_files(write_ledger(tmp_path / "l.xlsx", sheets), AS_OF)
    assert not [f for f in changed.findings if f.rule == "SET-001"]
    assert changed.kpis[key]["status"] == status


@pytest.mark.parametrize(("value", "target", "higher", "status"), [
    (0.90, 0.90, True, "green"),
    (0.81, 0.90, True, "amber"),  # 0.90 × (1 − 0.10) = 0.81: still amber
    (0.8099, 0.90, True, "red"),
    (144, 144, False, "green"),
    (158.4, 144, False, "amber"),  # 144 × 1.10
    (158.5, 144, False, "red"),
    (None, 0.9, True, None),
    (float("nan"), 0.9, True, None),
])
def test_status_boundaries(value, target, higher, status):
    assert status_for(value, target, 0.10, higher) == status


def test_node_completion_from_node_table(result):
    from kaxl.contract.calendar import WorkCalendar
    from kaxl.sop.nodes import node_table

    calendar = WorkCalendar.from_ledger(result.ledger, result.settings)
    nodes = node_table(RuleContext(result.ledger, result.settings, calendar, result.as_of))
    due = pd.to_datetime(nodes["due_date"])
    passed = nodes[due.notna() & (due < pd.Timestamp(AS_OF))]
    on_time = passed["on_time"].astype("boolean").fillna(False).astype(bool)
    expected = on_time.sum() / len(passed) if len(passed) else None
    assert result.kpis["node_completion_rate"]["value"] == expected
    mine = passed["project_id"].isin({"P1", "P3", "P4"})
    expected_zhang = on_time[mine].sum() / mine.sum() if mine.sum() else None
    assert result.kpis_by_manager["张三"]["node_completion_rate"]["value"] == expected_zhang


def test_shuffled_rows_give_the_same_kpis(tmp_path):
    first = check_files(write_ledger(tmp_path / "a.xlsx", SHEETS), AS_OF)
    shuffled = {k: list(v) for k, v in SHEETS.items()}
    rng = random.Random(11)
    for rows in shuffled.values():
        rng.shuffle(rows)
    second = check_files(write_ledger(tmp_path / "b.xlsx", shuffled), AS_OF)
    assert first.kpis == second.kpis and first.kpis_by_manager == second.kpis_by_manager


def test_empty_ledger_has_no_data_statuses(tmp_path):
    empty = check_files(write_ledger(tmp_path / "e.xlsx", {}), AS_OF)
    for key in ("win_rate", "avg_cycle_days", "on_time_collection_rate", "node_completion_rate", "overdue_amount"):
        assert empty.kpis[key]["status"] is None, key
    assert empty.kpis_by_manager == {}
    assert set(empty.kpis["aging"].values()) == {0}


def test_kpis_left_out_change_nothing_else(tmp_path, result):
    """The annotated copy asks for no KPIs: they come back empty, every other output the same."""
    bare = check_files(write_ledger(tmp_path / "l.xlsx", SHEETS), AS_OF, kpis=False)
    assert result.kpis and result.kpis_by_manager
    assert bare.kpis == {} and bare.kpis_by_manager == {}
    assert [(f.rule, f.cell, f.message_en) for f in bare.findings] == [(f.rule, f.cell, f.message_en) for f in result.findings]
    pd.testing.assert_frame_equal(bare.projects, result.projects)
    pd.testing.assert_frame_equal(bare.alerts, result.alerts)
