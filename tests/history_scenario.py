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
