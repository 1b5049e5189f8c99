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
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from kaxl.contract.columns import STAGES
from kaxl.sop.installments import AGING_BUCKETS, build_receivables

LABELS: dict[str, tuple[str, str, str]] = {
    "win_rate": ("成单转化率", "Win rate", "ratio"),
    "avg_cycle_days": ("平均销售周期", "Average sales cycle", "days"),
    "on_time_collection_rate": ("按期回款率（按金额）", "On-time collection (by amount)", "ratio"),
    "node_completion_rate": ("节点按时完成率", "Nodes completed on time", "ratio"),
    "overdue_amount": ("逾期应收金额", "Overdue receivables", "yuan"),
}


@dataclass(frozen=True)
class RatioKpi:
    """A KPI that is Σ numerator / Σ denominator over rows, each row owned by an account manager:
    what the modules of :data:`KPI_MODULES` return (a mean is a ratio with denominator 1 per row).
    A row counted for two managers (a customer with projects of both) appears once for each;
    the portfolio counts every distinct ``key`` once. No denominator: no value, grey status."""

    name: str
    label_zh: str
    label_en: str
    unit: str  # ratio | days | yuan | points
    target: float
    rows: pd.DataFrame  # columns: key (what is counted), account_manager, numerator, denominator
    higher_is_better: bool = True


# Modules with ``kpis(ctx, projects) -> list[RatioKpi]`` (SPEC §7's KPIs), after the first five.
KPI_MODULES: tuple[str, ...] = ("kaxl.sop.aftersale_kpis", "kaxl.sop.field_kpis")


def portfolio_kpis(ctx: Any, projects: pd.DataFrame, receivables: pd.DataFrame) -> dict[str, Any]:
    """Every KPI of SPEC §4 (and of :data:`KPI_MODULES`) over the whole portfolio."""
    out = _kpis(ctx, *_inputs(ctx, projects, receivables)[3:])
    margin = float(ctx.settings.get("amber_margin", 0.10))
    for kpi in _ratio_kpis(ctx, projects):
        rows = kpi.rows.drop_duplicates("key")
        out[kpi.name] = _ratio(kpi, rows, margin)
    return out


def _ratio_kpis(ctx: Any, projects: pd.DataFrame) -> list[RatioKpi]:
    import importlib

    return [kpi for name in KPI_MODULES for kpi in importlib.import_module(name).kpis(ctx, projects)]


def _ratio(kpi: RatioKpi, rows: pd.DataFrame, margin: float) -> dict[str, Any]:
    return _ratio_of(kpi, float(rows["numerator"].sum()), float(rows["denominator"].sum()), margin)


def _ratio_of(kpi: RatioKpi, numerator: float, denominator: float, margin: float) -> dict[str, Any]:
    value = numerator / denominator if denominator > 0 else None
    return {"value": value, "target": round(kpi.target, 4),
            "status": status_for(value, kpi.target, margin, kpi.higher_is_better), "unit": kpi.unit,
            "label_zh": kpi.label_zh, "label_en": kpi.label_en, "higher_is_better": kpi.higher_is_better}


def kpis_by_manager(ctx: Any, projects: pd.DataFrame, receivables: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """The same KPIs per account manager, each restricted to that manager's projects.

    Row facts (won? due? collected on time?) are computed once for the whole portfolio; each
    manager's KPIs are then the very same :func:`_kpis` over that manager's slice of the
    arrays — hundreds of managers cost one pass, not one pandas pipeline each.
    """
    projects, receivables, nodes, p_facts, r_facts, n_facts = _inputs(ctx, projects, receivables)
    manager_of = projects.set_index("project_id")["account_manager"]
    p_groups = _groups(projects["account_manager"])
    r_groups = _groups(receivables["project_id"].map(manager_of))
    n_groups = _groups(nodes["project_id"].map(manager_of)) if nodes is not None else {}
    empty = np.empty(0, dtype=np.int64)
    out: dict[str, dict[str, Any]] = {}
    for manager in sorted(p_groups):
        out[manager] = _kpis(ctx, _take(p_facts, p_groups[manager]), _take(r_facts, r_groups.get(manager, empty)),
                             _take(n_facts, n_groups.get(manager, empty)) if n_facts is not None else None)
    margin = float(ctx.settings.get("amber_margin", 0.10))
    for kpi in _ratio_kpis(ctx, projects):
        sums = _sums_by_manager(kpi.rows.drop_duplicates(["key", "account_manager"]))
        for manager in out:
            out[manager][kpi.name] = _ratio_of(kpi, *sums.get(manager, (0.0, 0.0)), margin)
    return out


def _sums_by_manager(rows: pd.DataFrame) -> dict[Any, tuple[float, float]]:
    """manager → (Σ numerator, Σ denominator) of their rows, NaN counted as 0 like ``Series.sum``.

    Each manager's values are summed as one contiguous array in frame order (what a Series.sum
    of that manager's rows adds, so the same float), but without a pandas Series per manager
    and KPI: hundreds of managers × every ratio KPI made that the check's largest KPI cost.
    """
    codes, managers = pd.factorize(rows["account_manager"])  # NaN → -1: no manager, not counted
    if not len(managers):
        return {}
    numerator = _summable(rows["numerator"])
    denominator = _summable(rows["denominator"])
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(len(managers) + 1))
    numerator, denominator = numerator[order], denominator[order]
    return {manager: (float(numerator[bounds[i]:bounds[i + 1]].sum()), float(denominator[bounds[i]:bounds[i + 1]].sum()))
            for i, manager in enumerate(managers)}


def _summable(values: pd.Series) -> np.ndarray:
    """The column as floats with missing values as 0 (how ``Series.sum`` skips them)."""
    array = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    return np.where(np.isnan(array), 0.0, array)


def _groups(by: pd.Series) -> dict[str, np.ndarray]:
    """Row positions (in frame order) per non-blank manager name."""
    # names read once per distinct value (a manager owns hundreds of rows), not once per row
    value_codes, values = pd.factorize(by.to_numpy(dtype=object))  # blank (NaN/None) → -1
    text = np.array([str(value) for value in values], dtype=object)
    named = np.array([bool(name.strip()) for name in text], dtype=bool)
    name_codes, names = pd.factorize(text[named], sort=True)
    code_of = np.full(len(values) + 1, -1, dtype=np.int64)  # the last slot: value code -1
    code_of[np.flatnonzero(named)] = name_codes
    row_codes = code_of[value_codes]
    keep = row_codes >= 0
    if not keep.any():
        return {}
    positions = np.flatnonzero(keep)
    codes = row_codes[keep]
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(len(names) + 1))
    return {str(name): positions[order[bounds[i]:bounds[i + 1]]] for i, name in enumerate(names)}


def _take(facts: dict[str, np.ndarray], rows: np.ndarray) -> dict[str, np.ndarray]:
    return {key: values[rows] for key, values in facts.items()}


# ------------------------------------------------------------------------------------ inputs


def _inputs(ctx: Any, projects: pd.DataFrame | None, receivables: pd.DataFrame | None) -> tuple:
    """(projects, receivables, nodes, project facts, receivable facts, node facts), typed once
    for the portfolio KPIs and the per-manager ones: the check passes both the same frames, and
    the cache holds them so the very same objects are asked about, never a look-alike."""
    cached = ctx.cache.get("kpis:inputs")
    if cached is not None and cached[0] is projects and cached[1] is receivables:
        return cached[2]
    typed = (_projects(ctx, projects), _receivables(ctx, receivables), _nodes(ctx))
    value = (*typed, *_facts(ctx, *typed))
    ctx.cache["kpis:inputs"] = (projects, receivables, value)
    return value


def _projects(ctx: Any, projects: pd.DataFrame | None) -> pd.DataFrame:
    """One row per project id with typed status/stage/dates, whatever frame the engine passed.

    The enriched project table may carry dates as strings or lack a column; the ledger's own
    typed frame fills anything missing so the KPIs never depend on presentation choices.
    """
    base = ctx.ledger.frames["projects"]
    base = base[base["project_id"].notna()].drop_duplicates("project_id")
    needed = ["project_id", "status", "stage", "lead_date", "estimated_amount", "account_manager"]
    if projects is None or projects.empty or "project_id" not in projects.columns:
        frame = base[needed].copy(deep=False)
    else:
        frame = projects[projects["project_id"].notna()].drop_duplicates("project_id").copy(deep=False)
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
    frame = receivables.copy(deep=False)  # copy-on-write: the shared table is never written
    for column in ("due_date", "received_date"):
        frame[column] = pd.to_datetime(frame[column], errors="coerce")
    return frame


def _nodes(ctx: Any) -> pd.DataFrame | None:
    """The node table (project_id, node, due_date, done_date, on_time…) with real datetimes, or None."""
    from kaxl.sop.nodes import node_table

    nodes = node_table(ctx)
    if nodes is None:
        return None
    nodes = nodes.copy(deep=False)  # copy-on-write: the cached node table is never written
    nodes["due_date"] = pd.to_datetime(nodes["due_date"], errors="coerce")
    nodes["done_date"] = pd.to_datetime(nodes["done_date"], errors="coerce")
    return nodes


# ----------------------------------------------------------------------------------- KPI math


Facts = dict[str, np.ndarray]


def _facts(ctx: Any, projects: pd.DataFrame, receivables: pd.DataFrame,
           nodes: pd.DataFrame | None) -> tuple[Facts, Facts, Facts | None]:
    """Per-row facts the KPIs add up, computed once with pandas over the whole portfolio."""
    today = pd.Timestamp(ctx.as_of)
    status = projects["status"]
    p = {"won": (status == "won").to_numpy(dtype=bool), "lost": (status == "lost").to_numpy(dtype=bool),
         "cycle": projects["_cycle_days"].to_numpy(dtype=float, na_value=np.nan),
         "active": (status == "active").to_numpy(dtype=bool), "stage": projects["stage"].to_numpy(dtype=object),
         "amount": projects["estimated_amount"].to_numpy(dtype=float, na_value=np.nan)}

    due = (receivables["due_date"].notna() & (receivables["due_date"] <= today)
           & receivables["amount_due"].notna())
    on_time_mask = receivables["received_date"].notna() & (receivables["received_date"] <= receivables["due_date"])
    collected = receivables["amount_received"].fillna(0.0).clip(upper=receivables["amount_due"]).where(on_time_mask, 0.0)
    overdue = (receivables["days_overdue"] > 0).fillna(False)
    r = {"due": due.to_numpy(dtype=bool), "amount_due": receivables["amount_due"].to_numpy(dtype=float, na_value=np.nan),
         "collected": collected.to_numpy(dtype=float, na_value=np.nan), "overdue": overdue.to_numpy(dtype=bool),
         "outstanding": receivables["outstanding"].fillna(0.0).to_numpy(dtype=float, na_value=0.0),
         "escalated": (receivables["escalation_level"].fillna(0) >= 2).to_numpy(dtype=bool),
         "bucket": receivables["aging_bucket"].to_numpy(dtype=object)}

    n = None
    if nodes is not None:
        passed = nodes["due_date"].notna() & (nodes["due_date"] < today)
        if "on_time" in nodes.columns:
            done_on_time = nodes["on_time"].astype("boolean").fillna(False).astype(bool)
        else:
            done_on_time = nodes["done_date"].notna() & (nodes["done_date"] <= nodes["due_date"])
        n = {"passed": passed.to_numpy(dtype=bool), "on_time": done_on_time.to_numpy(dtype=bool)}
    return p, r, n


def _kpis(ctx: Any, p: Facts, r: Facts, n: Facts | None) -> dict[str, Any]:
    settings = ctx.settings
    margin = float(settings.get("amber_margin", 0.10))

    won, lost = int(p["won"].sum()), int(p["lost"].sum())
    win_rate = won / (won + lost) if won + lost else None

    baseline = float(settings.get("baseline_cycle_days", 180))
    cycle_target = baseline * (1 - float(settings.get("target_cycle_reduction", 0.20)))
    cycle = p["cycle"][p["won"]]
    cycle = cycle[~np.isnan(cycle)]
    avg_cycle = float(cycle.sum() / len(cycle)) if len(cycle) else None

    due = r["due"]
    denominator = float(r["amount_due"][due].sum())
    on_time = float(r["collected"][due].sum()) / denominator if denominator > 0 else None

    node_rate = None
    if n is not None:
        passed = n["passed"]
        node_rate = float(n["on_time"][passed].sum()) / int(passed.sum()) if passed.any() else None

    overdue = r["overdue"]
    overdue_amount = float(r["outstanding"][overdue].sum())
    escalated = bool(r["escalated"][overdue].any())
    if not due.any() and not overdue.any():
        overdue_status = None
    else:
        overdue_status = "green" if overdue_amount == 0 else ("red" if escalated else "amber")

    bucket = r["bucket"]
    aging = {name: round(float(r["outstanding"][bucket == name].sum()), 2) for name in AGING_BUCKETS}

    active = p["active"]
    stages, amounts = p["stage"][active], p["amount"][active]
    pipeline = {}
    for stage in STAGES:
        here = stages == stage.key
        pipeline[stage.key] = {"count": int(here.sum()), "amount": round(float(np.nansum(amounts[here])), 2)}

    return {
        "win_rate": _kpi("win_rate", win_rate, float(settings.get("target_win_rate", 0.35)), margin),
        "avg_cycle_days": {**_kpi("avg_cycle_days", avg_cycle, cycle_target, margin,
                                  higher_is_better="avg_cycle_days" not in LOWER_IS_BETTER),
                           "baseline": baseline},
        "on_time_collection_rate": _kpi("on_time_collection_rate", on_time,
                                        float(settings.get("target_on_time_collection", 0.90)), margin),
        "node_completion_rate": _kpi("node_completion_rate", node_rate,
                                     float(settings.get("target_node_completion", 0.90)), margin),
        "overdue_amount": {**_kpi("overdue_amount", overdue_amount, 0.0, margin,
                                  higher_is_better="overdue_amount" not in LOWER_IS_BETTER),
                           "status": overdue_status},
        "aging": aging,
        "pipeline": pipeline,
    }


# The portfolio KPIs where a smaller number is the better one (every other KPI: higher is better);
# the history's KPI deltas read it for stored rows without the flag.
LOWER_IS_BETTER = frozenset({"avg_cycle_days", "overdue_amount"})


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


def _kpi(key: str, value: float | None, target: float, margin: float,
         higher_is_better: bool = True) -> dict[str, Any]:
    label_zh, label_en, unit = LABELS[key]
    return {
        "value": value,  # unrounded: the renderers round for people (kaxl.reports.display)
        "target": round(target, 4),
        "status": status_for(value, target, margin, higher_is_better),
        "unit": unit,
        "label_zh": label_zh,
        "label_en": label_en,
        "higher_is_better": higher_is_better,
    }
