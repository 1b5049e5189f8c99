"""A finding's identity is the rule + the row's natural key, never its row (SPEC §8), and one
snapshot's frames keep exactly the columns of the frames contract."""

from __future__ import annotations

import pandas as pd
import pytest

from kaxl.api import check_files
from kaxl.contract.columns import SHEETS
from kaxl.history.frames import FINDING_COLUMNS, KPI_COLUMNS, PORTFOLIO, PROJECT_COLUMNS
from kaxl.history.identity import NATURAL_KEYS, finding_identities, snapshot_frames
from tests.history_helpers import SAMPLE, as_of, reversed_with_blank_rows, rewrite
from tests.ledger_factory import d, write_ledger


@pytest.fixture(scope="module")
def copies(tmp_path_factory):
    folder = tmp_path_factory.mktemp("identity")
    base = check_files([rewrite(SAMPLE, folder / "台账.xlsx")], as_of())
    moved = check_files([rewrite(SAMPLE, folder / "台账_resorted.xlsx", reversed_with_blank_rows)], as_of())
    return base, moved


def test_identity_survives_resorted_sheets_and_inserted_rows(copies):
    base, moved = copies
    cells = {f.cell for f in base.findings}
    moved_cells = {f.cell for f in moved.findings}
    assert len(cells - moved_cells) > len(cells) // 2  # the rows really moved…
    before, after = finding_identities(base), finding_identities(moved)
    assert before.tolist() and sorted(before) == sorted(after)  # …and every finding kept its identity


def test_identity_names_the_natural_key(copies):
    base, _ = copies
    ids = set(finding_identities(base))
    assert "PAY-003|receivables|HT-2026-0003/1|due_date" in ids  # contract + installment
    assert "STK-002|stakeholders|KA-2026-0014/唐平|last_contact" in ids  # project + stakeholder name
    assert "RSK-001|risks|R-0013|response" in ids
    assert "SET-001|settings|escalation_days|value" in ids
    assert "INI-001|initiation|KA-2026-0010|form_date" in ids


def test_every_sheet_has_a_natural_key():
    assert set(NATURAL_KEYS) == {s.key for s in SHEETS}
    for key, columns in NATURAL_KEYS.items():
        sheet_columns = {c.key for s in SHEETS if s.key == key for c in s.columns}
        assert set(columns) <= sheet_columns, key


def test_optional_sheets_keys_and_a_blank_key_row(tmp_path):
    """Visits by project + date + visitor, delivery by contract + milestone; a row whose key cells
    are blank gets a fingerprint of its content, so inserting a row above does not change it."""
    projects = [{"project_id": "P1", "customer": "甲医院", "stage": "proposal", "status": "active",
                 "lead_date": d("2026-09-01"), "account_manager": "张三", "estimated_amount": 100000},
                {"customer": "无编号客户", "stage": "proposal", "status": "active", "lead_date": d("2026-09-02"),
                 "account_manager": "李四"}]
    visits = [{"project_id": "P1", "visit_date": d("2026-10-08"), "visitor": "张三", "kind": "飞机"}]
    first = write_ledger(tmp_path / "a.xlsx", {"projects": projects, "visits": visits})
    extra = {"project_id": "P0", "customer": "乙", "stage": "proposal", "status": "active",
             "lead_date": d("2026-09-03"), "account_manager": "张三"}
    second = write_ledger(tmp_path / "b.xlsx", {"projects": [extra, *projects], "visits": visits})
    ids_a = set(finding_identities(check_files([first], as_of())))
    ids_b = set(finding_identities(check_files([second], as_of())))
    blank = [i for i in ids_a if i.startswith("SCH-003|projects|#")]
    assert blank and set(blank) <= ids_b
    assert any(i.startswith("SCH-005|visits|P1/2026-10-08/张三|") for i in ids_a)
    assert {i for i in ids_a if "|P1" in i} <= ids_b


def test_snapshot_frames_follow_the_contract(copies):
    base, _ = copies
    history = snapshot_frames(base, as_of())
    assert list(history.findings.columns) == FINDING_COLUMNS
    assert list(history.projects.columns) == PROJECT_COLUMNS
    assert list(history.kpis.columns) == KPI_COLUMNS
    assert len(history.findings) == len(base.findings)
    assert history.dates == [pd.Timestamp(as_of())]
    for frame in (history.findings, history.projects, history.kpis):
        assert frame["as_of"].dtype == "datetime64[ns]"
    assert history.projects["expected_close"].dtype == "datetime64[ns]"
    assert history.projects["project_id"].is_unique
    win = history.kpis[(history.kpis["scope"] == PORTFOLIO) & (history.kpis["name"] == "win_rate")].iloc[0]
    assert win["value"] == pytest.approx(base.kpis["win_rate"]["value"])
    assert win["target"] == pytest.approx(base.kpis["win_rate"]["target"]) and win["status"] == "green"
    managers = set(history.kpis["scope"]) - {PORTFOLIO}
    assert managers == set(base.kpis_by_manager)
    pay = history.findings[history.findings["identity"] == "PAY-003|receivables|HT-2026-0003/1|due_date"].iloc[0]
    assert pay["project_id"] == "KA-2025-0007" and pay["account_manager"] == "张雨婷"
