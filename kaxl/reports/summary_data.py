"""What the managers' summary workbook shows, as plain tables — no XlsxWriter here.

Kept apart from :mod:`kaxl.reports.summary` (which only lays these tables out) so the
numbers can be tested without opening a workbook, and so the charts and the tiles can never
disagree with the JSON of `kaxl check`: everything comes from the same ``CheckResult``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from kaxl.contract.columns import PROJECT_STATUSES, STAGES
from kaxl.contract.findings import SEVERITY_ORDER, SEVERITY_ZH

STAGE_LABEL = {c.key: f"{c.zh} {c.key}" for c in STAGES}
STATUS_LABEL = {c.key: f"{c.zh} {c.key}" for c in PROJECT_STATUSES}
SEVERITY_LABEL = {k: f"{v} {k}" for k, v in SEVERITY_ZH.items()}
STATUS_RAG = {"green": "绿 green", "amber": "黄 amber", "red": "红 red", "grey": "无数据 no data"}
AGING_LABELS = {"not_due": "未到期 not due", "d1_30": "1–30 天 days", "d31_60": "31–60 天 days",
                "d61_90": "61–90 天 days", "d90_plus": "90 天以上 90+ days"}
EXCEL_EPOCH = pd.Timestamp("1899-12-30")
TILE_KPIS = ("win_rate", "avg_cycle_days", "on_time_collection_rate", "node_completion_rate", "overdue_amount")
# The second wave's KPI tiles (SPEC §7), a second row on the dashboard and columns on the Managers
# tab, each only when the workbook keeps a sheet it is computed from: a company that does not
# track visits or delivery sees no empty tile for them (renewal_rate comes with the after-sale sheets).
SECOND_WAVE_TILES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("visit_cadence_rate", ("visits",)),
    ("delivery_on_time_rate", ("delivery",)),
    ("csat_avg", ("health",)),
    ("health_ok_rate", ("health",)),
    ("complaint_on_time_rate", ("issues",)),
    ("renewal_rate", ("delivery", "health", "issues")),
)
UNIT_KIND = {"ratio": "pct", "days": "number", "yuan": "money", "points": "number"}


def second_wave_tiles(result) -> list[str]:
    """The keys of :data:`SECOND_WAVE_TILES` this result shows."""
    ledger = result.ledger
    return [key for key, sheets in SECOND_WAVE_TILES
            if key in result.kpis and any(ledger.keeps(s) for s in sheets)]


@dataclass(frozen=True)
class Column:
    """One output column: the frame column it reads, its bilingual header, how it is shown."""

    key: str
    header: str
    kind: str = "text"  # text | number | money | pct | ratio | date | int
    width: float | None = None


@dataclass
class Table:
    columns: list[Column]
    rows: list[list[Any]]


def _plain(value: Any) -> Any:
    """pandas/numpy scalars to what XlsxWriter writes: None for missing, datetime for dates."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and np.isnan(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if isinstance(value, np.generic):
        return value.item()
    return value


def _floats(array: np.ndarray, integers: bool = False) -> list[Any]:
    """A float array as Python floats (or ints), NaN as None — whole-array, not per value."""
    missing = np.isnan(array)
    out = (np.where(missing, 0, array).astype(np.int64) if integers else array).astype(object)
    out[missing] = None
    return out.tolist()


def frame_table(frame: pd.DataFrame, columns: list[Column]) -> Table:
    """Rows of ``frame`` for ``columns`` (missing columns read as empty), converted column-wise."""
    n = len(frame)
    data: list[list[Any]] = []
    for column in columns:
        if column.key not in frame.columns or n == 0:
            data.append([None] * n)
            continue
        series = frame[column.key]
        if column.kind == "date":  # Excel serial numbers (day 0 = 1899-12-30), shown with a date format
            stamps = pd.to_datetime(series, errors="coerce")
            days = ((stamps - EXCEL_EPOCH) / pd.Timedelta(days=1)).astype("float64").to_numpy()
            values = _floats(days)
        elif column.kind in ("number", "money", "pct", "ratio", "int"):
            numbers = pd.to_numeric(series, errors="coerce").astype("float64").to_numpy()
            values = _floats(numbers, integers=column.kind == "int")
        else:
            objects = series.astype(object).to_numpy()
            missing = pd.isna(objects)
            if pd.api.types.infer_dtype(objects, skipna=True) in ("string", "empty"):  # text only: no per-value look
                values = np.where(missing, None, objects).tolist()
            else:
                values = [None if m else (v if isinstance(v, str) else str(_plain(v))) for v, m in zip(objects, missing)]
        data.append(values)
    return Table(columns, [list(row) for row in zip(*data)] if data and n else [])


# -- the tabs ------------------------------------------------------------------------------------
ALERT_COLUMNS = [
    Column("severity_label", "级别 Severity", width=11), Column("due_date", "截止 Due", "date"),
    Column("days", "天数 Days", "int", 8), Column("rule", "规则 Rule", width=9),
    Column("project_id", "项目 Project"), Column("customer", "客户 Customer"),
    Column("owner", "负责人 Owner"), Column("owner_role", "角色 Role", width=8),
    Column("account_manager", "销售经理 AM"), Column("escalation_level", "升级 Level", "int", 9),
    Column("contract_id", "合同 Contract"), Column("installment", "期次 No.", "int", 8),
    Column("amount", "金额 Amount", "money"), Column("kind_label", "类型 Kind", width=13),
    Column("message_zh", "说明", width=70), Column("message_en", "Message", width=70), Column("cell", "单元格 Cell"),
]

PROJECT_COLUMNS = [
    Column("project_id", "项目编号 Project ID"), Column("customer", "客户 Customer"),
    Column("account_manager", "销售经理 AM"), Column("stage_label", "阶段 Stage", width=15),
    Column("status_label", "状态 Status", width=13), Column("grade", "分级 Grade", width=9),
    Column("qualification_score", "资质评分 Qualification", "number", 12),
    Column("process_points", "过程得分 Points", "number", 10), Column("process_max", "满分 Max", "number", 8),
    Column("process_pct", "过程得分率 Process %", "pct", 13), Column("deductions_label", "扣分 Deductions", width=16),
    Column("coverage", "干系人覆盖 Coverage", "ratio", 12), Column("next_node", "下一节点 Next node", width=26),
    Column("next_due", "节点截止 Next due", "date"), Column("days_in_stage", "停留天数 Days in stage", "int", 12),
    Column("risk_level", "风险 Risk", width=10), Column("estimated_amount", "预估金额 Amount", "money"),
    Column("lead_date", "线索日期 Lead date", "date"), Column("expected_close", "预计签约 Expected close", "date"),
]

DEDUCTION_COLUMNS = [
    Column("project_id", "项目编号 Project ID"), Column("section_label", "环节 Section", width=15),
    Column("rule", "规则 Rule", width=9), Column("points", "扣分 Points", "number", 9),
    Column("reason_zh", "原因", width=70), Column("reason_en", "Reason", width=70), Column("cell", "单元格 Cell"),
]

RECEIVABLE_COLUMNS = [
    Column("contract_id", "合同编号 Contract"), Column("installment", "期次 No.", "int", 7),
    Column("milestone", "付款节点 Milestone", width=12), Column("project_id", "项目 Project"),
    Column("customer", "客户 Customer"), Column("account_manager", "销售经理 AM"),
    Column("commercial_ops", "商务 CO"), Column("due_date", "应收日期 Due", "date"),
    Column("amount_due", "应收 Due ¥", "money"), Column("amount_received", "实收 Received ¥", "money"),
    Column("received_date", "实收日期 Received", "date"), Column("invoice_date", "开票日期 Invoiced", "date"),
    Column("outstanding", "未收 Outstanding ¥", "money"), Column("days_overdue", "逾期天数 Days overdue", "int", 12),
    Column("aging_label", "账龄 Aging", width=16), Column("escalation_level", "升级 Level", "int", 9),
    Column("escalation_to", "升级至 Escalated to", width=24),
]

FINDING_COLUMNS = [
    Column("severity_label", "级别 Severity", width=11), Column("rule", "规则 Rule", width=9),
    Column("cell", "单元格 Cell (点击打开台账 click to open)", width=34), Column("project_id", "项目 Project"),
    Column("owner", "负责人 Owner"), Column("owner_role", "角色 Role", width=8), Column("due_date", "截止 Due", "date"),
    Column("message_zh", "说明", width=70), Column("message_en", "Message", width=70), Column("file", "台账文件 Ledger file"),
]


def alerts_table(alerts: pd.DataFrame) -> Table:
    """Every alert, most severe first, then by due date (soonest / most overdue first)."""
    frame = alerts.copy()
    if not frame.empty:
        frame["_order"] = frame["severity"].map(SEVERITY_ORDER).fillna(9)
        frame["_due"] = pd.to_datetime(frame["due_date"], errors="coerce")
        frame = frame.sort_values(["_order", "_due", "project_id"], kind="stable", na_position="last")
        frame["severity_label"] = frame["severity"].map(SEVERITY_LABEL).fillna(frame["severity"])
        frame["kind_label"] = frame["kind"].map({"finding": "待处理 to act", "upcoming": "即将到期 upcoming"})
    return frame_table(frame, ALERT_COLUMNS)


def projects_table(projects: pd.DataFrame, deductions: pd.DataFrame) -> tuple[Table, list[int | None]]:
    """Project rows, plus for each the 0-based row of its first deduction (None if none)."""
    frame = projects.copy()
    first_row: list[int | None] = [None] * len(frame)
    if not frame.empty:
        frame["stage_label"] = frame["stage"].map(STAGE_LABEL).fillna(frame["stage"])
        frame["status_label"] = frame["status"].map(STATUS_LABEL).fillna(frame["status"])
        counts = deductions.groupby("project_id", sort=False)["points"].agg(["count", "sum"]) if len(deductions) \
            else pd.DataFrame(columns=["count", "sum"])
        joined = frame[["project_id"]].join(counts, on="project_id")
        frame["deductions_label"] = [None if pd.isna(c) else f"{int(c)} 项 −{float(s):g} 分 ›"
                                     for c, s in zip(joined["count"], joined["sum"])]
        firsts = {pid: i for i, pid in reversed(list(enumerate(deductions_order(deductions)["project_id"])))}
        first_row = [firsts.get(pid) for pid in frame["project_id"]]
    return frame_table(frame, PROJECT_COLUMNS), first_row


def deductions_order(deductions: pd.DataFrame) -> pd.DataFrame:
    return deductions.sort_values(["project_id"], kind="stable") if len(deductions) else deductions


def deductions_table(deductions: pd.DataFrame) -> Table:
    frame = deductions_order(deductions).copy()
    if len(frame):
        frame["section_label"] = frame["section"].map(
            {"initiation": "立项 initiation", "proposal": "方案 proposal", "bidding": "投标 bidding",
             "contracting": "签约 contracting", "collection": "回款 collection"}).fillna(frame["section"])
    return frame_table(frame, DEDUCTION_COLUMNS)


def open_receivables(receivables: pd.DataFrame) -> pd.DataFrame:
    """Installments with money still to collect: what a manager acts on (settled ones are history)."""
    if receivables.empty:
        return receivables
    outstanding = pd.to_numeric(receivables["outstanding"], errors="coerce").fillna(0.0)
    return receivables[outstanding > 0]


def receivables_table(receivables: pd.DataFrame) -> Table:
    frame = open_receivables(receivables).copy()
    if len(frame):
        frame["aging_label"] = frame["aging_bucket"].map(AGING_LABELS).fillna(frame["aging_bucket"])
        frame = frame.sort_values(["days_overdue", "outstanding"], ascending=False, kind="stable")
    return frame_table(frame, RECEIVABLE_COLUMNS)


def findings_table(findings: list) -> Table:
    """The Findings tab's rows, one per finding in the order given (the check's: by severity,
    file, sheet, row — :meth:`Finding.sort_key`)."""
    columns = FINDING_COLUMNS
    rows = []
    for f in findings:
        rows.append([SEVERITY_LABEL.get(f.severity, f.severity), f.rule, f.cell or f.sheet, f.project_id, f.owner,
                     f.owner_role, _date(f.due_date), f.message_zh, f.message_en, f.file])
    return Table(columns, rows)


def _date(value: Any) -> dt.datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    try:
        return dt.datetime.fromisoformat(str(value))
    except ValueError:
        return None


# -- the dashboard's numbers ---------------------------------------------------------------------
def pipeline_rows(kpis: dict) -> list[list[Any]]:
    """[stage label, count, amount in 万元] for the active stages."""
    pipeline = kpis.get("pipeline", {})
    return [[STAGE_LABEL[s.key], int(pipeline.get(s.key, {}).get("count", 0)),
             round(float(pipeline.get(s.key, {}).get("amount", 0.0)) / 1e4, 2)] for s in STAGES if s.key != "closed"]


def aging_rows(kpis: dict) -> list[list[Any]]:
    aging = kpis.get("aging", {})
    return [[label, round(float(aging.get(key, 0.0)) / 1e4, 2)] for key, label in AGING_LABELS.items()]


def grade_rows(projects: pd.DataFrame) -> list[list[Any]]:
    counts = projects["grade"].value_counts() if len(projects) and "grade" in projects else pd.Series(dtype=int)
    return [[f"{g} 级 grade {g}", int(counts.get(g, 0))] for g in ("A", "B", "C")]


def monthly_collection_rows(receivables: pd.DataFrame, as_of: dt.date, months: int = 12) -> list[list[Any]]:
    """Per due month (the ``months`` up to as-of): due, received, received on time — in 万元.

    On time follows SPEC §4's on-time collection: min(received, due) when received by the due date.
    """
    end = pd.Period(as_of, freq="M")
    periods = pd.period_range(end - (months - 1), end, freq="M")
    rows = {p: [0.0, 0.0, 0.0] for p in periods}
    if len(receivables):
        due_date = pd.to_datetime(receivables["due_date"], errors="coerce")
        received_date = pd.to_datetime(receivables["received_date"], errors="coerce")
        amount_due = pd.to_numeric(receivables["amount_due"], errors="coerce").fillna(0.0)
        received = pd.to_numeric(receivables["amount_received"], errors="coerce").fillna(0.0)
        on_time = np.where(received_date.notna() & (received_date <= due_date), np.minimum(received, amount_due), 0.0)
        frame = pd.DataFrame({"month": due_date.dt.to_period("M"), "due": amount_due, "received": received,
                              "on_time": on_time})
        frame = frame[frame["month"].isin(periods)]
        for month, group in frame.groupby("month"):
            rows[month] = [float(group["due"].sum()), float(group["received"].sum()), float(group["on_time"].sum())]
    return [[f"{p.year}-{p.month:02d}", *(round(v / 1e4, 2) for v in rows[p])] for p in periods]


def manager_rows(kpis_by_manager: dict, extra: Sequence[str] = ()) -> tuple[list[Column], list[list[Any]]]:
    """One row per account manager: each tile KPI's value and status (the first wave's, then
    ``extra``: the second wave's shown, :func:`second_wave_tiles`), pipeline, overdue."""
    keys = (*TILE_KPIS, *extra)
    columns = [Column("manager", "销售经理 Account manager", width=16)]
    for key in keys:
        sample = next((m[key] for m in kpis_by_manager.values() if key in m), None)
        label = f"{sample['label_zh']} {sample['label_en']}" if sample else key
        kind = UNIT_KIND.get(sample["unit"] if sample else "", "number")
        short = sample["label_en"] if sample else key
        columns += [Column(key, label, kind, 14), Column(f"{key}_status", f"状态 Status · {short}", width=12)]
    columns += [Column("pipeline_count", "在跟项目 Active projects", "int", 12),
                Column("pipeline_amount", "在跟金额 Pipeline ¥", "money", 16)]
    rows = []
    for manager in sorted(kpis_by_manager):
        kpis = kpis_by_manager[manager]
        row: list[Any] = [manager]
        for key in keys:
            kpi = kpis.get(key) or {}
            row += [kpi.get("value"), STATUS_RAG.get(kpi.get("status"), kpi.get("status"))]
        pipeline = kpis.get("pipeline", {})
        row += [sum(int(v.get("count", 0)) for v in pipeline.values()),
                sum(float(v.get("amount", 0.0)) for v in pipeline.values())]
        rows.append(row)
    return columns, rows
