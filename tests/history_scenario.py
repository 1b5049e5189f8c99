"""History test helpers and the four-week scenario (SPEC §8).

``frames_of`` turns one check result into History frames independently of the store's code
(identity = rule + project + cell, enough for a ledger whose rows do not move)."""

from __future__ import annotations

import pandas as pd

from kaxl.history.frames import FINDING_COLUMNS, KPI_COLUMNS, PORTFOLIO, PROJECT_COLUMNS, History


def frames_of(result, as_of=None) -> History:
    day = pd.Timestamp(as_of or result.as_of)
    am = result.projects.drop_duplicates("project_id").set_index("project_id")["account_manager"]
    findings = pd.DataFrame([{
        "as_of": day, "identity": f"{f.rule}|{f.project_id}|{f.cell}", "rule": f.rule, "severity": f.severity,
        "project_id": f.project_id, "owner_role": f.owner_role, "owner": f.owner,
        "account_manager": am.get(f.project_id), "cell": f.cell, "message_zh": f.message_zh,
        "message_en": f.message_en} for f in result.findings], columns=FINDING_COLUMNS)
    projects = result.projects.assign(as_of=day).reindex(columns=PROJECT_COLUMNS)
    projects["expected_close"] = pd.to_datetime(projects["expected_close"], errors="coerce")
    rows = []
    for scope, kpis in [(PORTFOLIO, result.kpis), *result.kpis_by_manager.items()]:
        for name, kpi in kpis.items():
            if isinstance(kpi, dict) and "target" in kpi:
                rows.append({"as_of": day, "scope": scope, "name": name, "value": kpi["value"],
                             "target": kpi["target"], "status": kpi["status"]})
    return History(findings, projects, pd.DataFrame(rows, columns=KPI_COLUMNS))


def stack(*histories: History) -> History:
    """Several snapshots into one History, oldest first."""
    def cat(name):
        parts = [getattr(h, name) for h in histories if not getattr(h, name).empty]
        return pd.concat(parts, ignore_index=True) if parts else getattr(histories[0], name)
    return History(cat("findings"), cat("projects"), cat("kpis"))


# -- the four-week scenario ---------------------------------------------------------------------
import copy  # noqa: E402
import dataclasses  # noqa: E402
import datetime as dt  # noqa: E402
from pathlib import Path  # noqa: E402

WEEKS = [dt.date(2026, 11, 16) + dt.timedelta(weeks=i) for i in range(4)]
PROJECT = "KA-2026-0001"  # 350,000 in bidding, expected close 2026-12-14
FIXED_W2 = "PAY-003|receivables|HT-2026-0003/1|due_date"  # collected in week 2
BROKEN_W2 = "CON-001|contracts|HT-2025-0001|advance_ratio"  # zero advance, no approval: week 2, fixed week 3
FIXED_W3 = "PAY-003|receivables|HT-2026-0006/1|due_date"  # collected in week 3
BROKEN_W4 = "CON-003|contracts|HT-2025-0001|acceptance_defined"  # acceptance undefined in week 4


def _row(rows, sheet, **match):
    return next(r for r in rows[sheet] if all(str(r[k]) == str(v) for k, v in match.items()))


def _collect(rows, contract, installment, day):
    row = _row(rows, "receivables", contract_id=contract, installment=installment)
    row["amount_received"], row["received_date"] = row["amount_due"], day


def scenario_ledgers(folder: Path) -> list[tuple[dt.date, Path, Path]]:
    """(as_of, edited ledger, control ledger) per week: the control is the untouched sample, so a
    test can tell what time alone changed from what the edits changed."""
    from kaxl.samples.generator import make_sample
    from kaxl.samples.workbook import write_sample

    base = make_sample(40, 7, WEEKS[0], core_only=True)
    control = folder / "control.xlsx"
    write_sample(base, control)
    rows = copy.deepcopy(base)
    out = []
    for week, day in enumerate(WEEKS, start=1):
        if week == 2:
            _collect(rows, "HT-2026-0003", 1, day - dt.timedelta(days=1))
            _row(rows, "contracts", contract_id="HT-2025-0001")["advance_ratio"] = "0"
        if week == 3:
            _row(rows, "contracts", contract_id="HT-2025-0001")["advance_ratio"] = "30%"
            _collect(rows, "HT-2026-0006", 1, day - dt.timedelta(days=1))
            _row(rows, "projects", project_id=PROJECT)["expected_close"] = dt.date(2026, 12, 28)  # pushed
        if week == 4:
            _row(rows, "contracts", contract_id="HT-2025-0001")["acceptance_defined"] = "否"
            project = _row(rows, "projects", project_id=PROJECT)
            project["expected_close"] = dt.date(2027, 1, 18)  # pushed again
            project["estimated_amount"] = "420,000"  # expanded by 70,000
            project["stage"] = "方案"  # back from 投标 to 方案
        path = folder / f"台账_{day:%Y-%m-%d}.xlsx"
        write_sample(rows, path)
        out.append((day, path, control))
    return out


def history_of(results) -> History:
    from kaxl.history.identity import snapshot_frames

    return stack(*(snapshot_frames(r, r.as_of) for r in results))


def with_history(results):
    """The last week's result carrying the history of all weeks (what the commands attach)."""
    return dataclasses.replace(results[-1], history=history_of(results))
