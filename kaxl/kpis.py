"""Portfolio KPIs against the company targets (SPEC §4), overall and per account manager.

Each KPI is a small dict the summary tiles, the digest and the JSON all read the same way:
``{"value", "target", "status", "unit", "label_zh", "label_en"}``, where status is green at or
beyond target, amber when short of it by no more than ``amber_margin`` (relative to the
target), red beyond that, and None when there is nothing to measure yet. ``overdue_amount``
has target 0: green when nothing is overdue, amber while everything overdue is still at
escalation L1 (AM and CO chasing), red once any installment has been escalated (L2 and up).
``aging`` and ``pipeline`` are plain dicts of values (they have no target).

Pure functions of (ledger frames, settings, as_of); the per-manager view filters the inputs
to the manager's projects and runs the very same code, so the two can never disagree.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from kaxl.columns import STAGES
from kaxl.installments import AGING_BUCKETS, build_receivables

LABELS: dict[str, tuple[str, str, str]] = {
    "win_rate": ("成单转化率", "Win rate", "ratio"),
    "avg_cycle_days": ("平均销售周期", "Average sales cycle", "days"),
    "on_time_collection_rate": ("按期回款率（按金额）", "On-time collection (by amount)", "ratio"),
    "node_completion_rate": ("节点按时完成率", "Nodes completed on time", "ratio"),
    "overdue_amount": ("逾期应收金额", "Overdue receivables", "yuan"),
}


def portfolio_kpis(ctx: Any, projects: pd.DataFrame, receivables: pd.DataFrame) -> dict[str, Any]:
    """Every KPI of SPEC §4 over the whole portfolio."""
    projects = _projects(ctx, projects)
    receivables = _receivables(ctx, receivables)
    return _kpis(ctx, projects, receivables, _nodes(ctx))


def kpis_by_manager(ctx: Any, projects: pd.DataFrame, receivables: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """The same KPIs per account manager, each restricted to that manager's projects."""
    projects = _projects(ctx, projects)
    receivables = _receivables(ctx, receivables)
    nodes = _nodes(ctx)
    # Split each input once by the project's manager (one groupby, not one scan per manager).
    manager_of = projects.set_index("project_id")["account_manager"]
    parts = {"projects": _split(projects, projects["account_manager"]),
             "receivables": _split(receivables, receivables["project_id"].map(manager_of)),
             "nodes": _split(nodes, nodes["project_id"].map(manager_of)) if nodes is not None else None}
    out: dict[str, dict[str, Any]] = {}
    for manager in sorted(parts["projects"]):
        their_nodes = parts["nodes"].get(manager, nodes.iloc[0:0]) if nodes is not None else None
        out[manager] = _kpis(ctx, parts["projects"][manager], parts["receivables"].get(manager, receivables.iloc[0:0]),
                             their_nodes)
    return out


def _split(frame: pd.DataFrame, by: pd.Series) -> dict[str, pd.DataFrame]:
    """Rows of ``frame`` per non-blank manager name."""
    keep = by.notna() & by.astype(str).str.strip().ne("")
    if not keep.any():
        return {}
    return {str(name): part for name, part in frame[keep].groupby(by[keep].astype(str), sort=True)}


# ------------------------------------------------------------------------------------ inputs


def _projects(ctx: Any, projects: pd.DataFrame | None) -> pd.DataFrame:
    """One row per project id with typed status/stage/dates, whatever frame the engine passed.

    The enriched project table may carry dates as strings or lack a column; the ledger's own
    typed frame fills anything missing so the KPIs never depend on presentation choices.
    """
    base = ctx.ledger.frames["projects"]
    base = base[base["project_id"].notna()].drop_duplicates("project_id")
    needed = ["project_id", "status", "stage", "lead_date", "estimated_amount", "account_manager"]
    if projects is None or projects.empty or "project_id" not in projects.columns:
        frame = base[needed].copy()
    else:
        frame = projects[projects["project_id"].notna()].drop_duplicates("project_id").copy()
        indexed = base.set_index("project_id")
        for column in needed[1:]:
            if column not in frame.columns:
                frame[column] = frame["project_id"].map(indexed[column])
    frame["lead_date"] = pd.to_datetime(frame["lead_date"], errors="coerce")
    frame["estimated_amount"] = pd.to_numeric(frame["estimated_amount"], errors="coerce")
    # Sales cycle: lead → signing of the project's first contract (later contracts are follow-ons).
    contracts = ctx.ledger.frames["contracts"]
    first_signed = contracts[contracts["signed_date"].notna()].groupby("project_id")["signed_date"].min()
    # reindex, not map: pandas cannot map through an empty datetime Series (no contracts yet)
    signed = pd.to_datetime(pd.Series(first_signed.reindex(frame["project_id"]).to_numpy(), index=frame.index))
    frame["_cycle_days"] = (signed - frame["lead_date"]).dt.days
    return frame.reset_index(drop=True)


def _receivables(ctx: Any, receivables: pd.DataFrame | None) -> pd.DataFrame:
    needed = {"project_id", "due_date", "amount_due", "amount_received", "received_date", "outstanding",
              "days_overdue", "aging_bucket", "escalation_level"}
    if receivables is None or receivables.empty or not needed <= set(receivables.columns):
        receivables = build_receivables(ctx.ledger, ctx.settings, ctx.as_of)
    frame = receivables.copy()
    for column in ("due_date", "received_date"):
        frame[column] = pd.to_datetime(frame[column], errors="coerce")
    return frame


def _nodes(ctx: Any) -> pd.DataFrame | None:
    """Part A's node table (project_id, node, due_date, done_date, on_time…), or None if not built yet."""
    try:
        from kaxl.nodes import node_table
    except ModuleNotFoundError as exc:  # not written yet; a broken import inside it still raises
        if exc.name == "kaxl.nodes":
            return None
        raise
    nodes = node_table(ctx)
    if nodes is None:
        return None
    nodes = nodes.copy()
    nodes["due_date"] = pd.to_datetime(nodes["due_date"], errors="coerce")
    nodes["done_date"] = pd.to_datetime(nodes["done_date"], errors="coerce")
    return nodes


# ----------------------------------------------------------------------------------- KPI math


def _kpis(ctx: Any, projects: pd.DataFrame, receivables: pd.DataFrame, nodes: pd.DataFrame | None) -> dict[str, Any]:
    settings = ctx.settings
    today = pd.Timestamp(ctx.as_of)
    margin = float(settings.get("amber_margin", 0.10))

    status = projects["status"]
    won, lost = int((status == "won").sum()), int((status == "lost").sum())
    win_rate = won / (won + lost) if won + lost else None

    baseline = float(settings.get("baseline_cycle_days", 180))
    cycle_target = baseline * (1 - float(settings.get("target_cycle_reduction", 0.20)))
    cycle = projects.loc[status == "won", "_cycle_days"].dropna()
    avg_cycle = float(cycle.mean()) if len(cycle) else None

    due = receivables[receivables["due_date"].notna() & (receivables["due_date"] <= today)
                      & receivables["amount_due"].notna()]
    on_time_mask = due["received_date"].notna() & (due["received_date"] <= due["due_date"])
    collected = due["amount_received"].fillna(0.0).clip(upper=due["amount_due"]).where(on_time_mask, 0.0)
    denominator = float(due["amount_due"].sum())
    on_time = float(collected.sum()) / denominator if denominator > 0 else None

    node_rate = None
    if nodes is not None:
        passed = nodes[nodes["due_date"].notna() & (nodes["due_date"] < today)]
        if "on_time" in passed.columns:
            done_on_time = passed["on_time"].astype("boolean").fillna(False).astype(bool)
        else:
            done_on_time = passed["done_date"].notna() & (passed["done_date"] <= passed["due_date"])
        node_rate = float(done_on_time.sum()) / len(passed) if len(passed) else None

    overdue = receivables[receivables["days_overdue"] > 0]
    overdue_amount = float(overdue["outstanding"].fillna(0.0).sum())
    escalated = bool((overdue["escalation_level"].fillna(0) >= 2).any())
    if len(due) == 0 and overdue.empty:
        overdue_status = None
    else:
        overdue_status = "green" if overdue_amount == 0 else ("red" if escalated else "amber")

    aging = {bucket: 0.0 for bucket in AGING_BUCKETS}
    by_bucket = receivables.groupby("aging_bucket")["outstanding"].sum()
    for bucket, amount in by_bucket.items():
        if bucket in aging:
            aging[bucket] = round(float(amount), 2)

    active = projects[status == "active"]
    pipeline = {stage.key: {"count": 0, "amount": 0.0} for stage in STAGES}
    grouped = active.groupby("stage")["estimated_amount"].agg(["size", "sum"])
    for stage, row in grouped.iterrows():
        if stage in pipeline:
            pipeline[stage] = {"count": int(row["size"]), "amount": round(float(row["sum"]), 2)}

    return {
        "win_rate": _kpi("win_rate", win_rate, float(settings.get("target_win_rate", 0.35)), margin, 4),
        "avg_cycle_days": {**_kpi("avg_cycle_days", avg_cycle, cycle_target, margin, 1, higher_is_better=False),
                           "baseline": baseline},
        "on_time_collection_rate": _kpi("on_time_collection_rate", on_time,
                                        float(settings.get("target_on_time_collection", 0.90)), margin, 4),
        "node_completion_rate": _kpi("node_completion_rate", node_rate,
                                     float(settings.get("target_node_completion", 0.90)), margin, 4),
        "overdue_amount": {**_kpi("overdue_amount", overdue_amount, 0.0, margin, 2, higher_is_better=False),
                           "status": overdue_status},
        "aging": aging,
        "pipeline": pipeline,
    }


def status_for(value: float | None, target: float, margin: float, higher_is_better: bool = True) -> str | None:
    """green at or beyond target; amber when short of it by at most ``margin`` × target; else red."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    eps = 1e-9 * max(1.0, abs(target))  # 0.9 × 0.9 must count as exactly 0.81
    if higher_is_better:
        if value >= target - eps:
            return "green"
        return "amber" if value >= target * (1 - margin) - eps else "red"
    if value <= target + eps:
        return "green"
    return "amber" if value <= target * (1 + margin) + eps else "red"


def _kpi(key: str, value: float | None, target: float, margin: float, digits: int,
         higher_is_better: bool = True) -> dict[str, Any]:
    label_zh, label_en, unit = LABELS[key]
    return {
        "value": None if value is None else round(value, digits),
        "target": round(target, 4),
        "status": status_for(value, target, margin, higher_is_better),
        "unit": unit,
        "label_zh": label_zh,
        "label_en": label_en,
        "higher_is_better": higher_is_better,
    }
