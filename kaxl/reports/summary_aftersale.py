"""The summary's after-sale tabs (SPEC §7): `交付 Delivery`, `客户健康 Health` and `问题 Issues`,
each only when the ledger keeps that sheet.

- 交付 Delivery: per contract, its milestones planned vs actual as a native Gantt chart (a stacked
  bar chart whose first series — the start date — is invisible, so the bars float on a date
  axis: pale = the plan, dark = what was done, orange = still open up to as-of), and one row per
  contract with the late, unsigned and over-budget flags — the counts of the DEL-001, DEL-004
  and DEL-005 findings on its milestones, so the tab and the Findings tab never disagree.
- 客户健康 Health: per customer its latest health with the trend arrow (↑ ↓ →), usage / value /
  relationship, csat and retention plan, from :func:`kaxl.sop.health.customers` (the very table
  HLT-001 and health_ok_rate read); the distribution of health in buckets cut at the
  ``health_threshold`` as a column chart, red below it, green at or above.
- 问题 Issues: open issues and complaints by age bucket (cut at the ``issue_escalation_days``
  steps of ISS-001) and priority, a stacked column chart; complaints' reply and resolve times in
  working days on the 调休 calendar (:mod:`kaxl.contract.calendar`) — median and the slowest;
  every issue with its ISS-001 escalation as the rule reported it.

Small blocks are written cell by cell (write_string / write_number; they feed the charts); each
tab's one long table goes through :meth:`kaxl.reports.summary.Summary.table_rows`, last on the
sheet. Ledger text is always text, never a formula. Public XlsxWriter API only.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from kaxl.reports.summary_data import Column, Table, frame_table
from kaxl.reports.summary_field import _Tab, field_context

HEADER_HEIGHT = 44  # the long tables' bilingual headers wrap onto three lines in their narrow columns

NAVY, GREEN, RED, ORANGE, GREY = "#1F3864", "#70AD47", "#E06666", "#ED7D31", "#A5A5A5"
BLANK = "（未填 blank）"
GANTT_CONTRACTS = 12  # contracts in the Gantt chart: two bars each (plan, actual)
# the milestone positions' colours: (plan bar, actual bar)
SEGMENT_COLORS = (("#DEEBF7", "#5B9BD5"), ("#E2F0D9", "#70AD47"), ("#FFF2CC", "#BF9000"),
                  ("#EDE1F3", "#7030A0"), ("#DDEBF7", "#2E75B6"), ("#D9EAD3", "#38761D"),
                  ("#F2F2F2", "#7F7F7F"), ("#FCE4D6", "#C55A11"))
PRIORITIES = (("high", "高 high", "#C00000"), ("medium", "中 medium", "#ED7D31"), ("low", "低 low", "#FFC000"),
              (None, "未填 blank", GREY))
SETTLED = "已完成 delivered"
IN_DELIVERY = "交付中 in delivery"


def write_tab(summary) -> None:
    ledger = summary.result.ledger
    if not any(ledger.keeps(k) for k in ("delivery", "health", "issues")):
        return
    ctx = field_context(summary.result)  # the check's cached tables
    found = rule_findings(summary.result, RULES)  # one pass over the findings for the three tabs
    if ledger.keeps("delivery"):
        DeliveryTab(summary, ctx, found).write()
    if ledger.keeps("health"):
        HealthTab(summary, ctx, found).write()
    if ledger.keeps("issues"):
        IssuesTab(summary, ctx, found).write()


# ============================================================================== shared


RULES = ("DEL-001", "DEL-002", "DEL-003", "DEL-004", "DEL-005", "DEL-006", "HLT-001", "HLT-002",
         "ISS-001", "ISS-002", "ISS-003")


def rule_findings(result, rules: Iterable[str], found: pd.DataFrame | None = None) -> pd.DataFrame:
    """The findings of ``rules`` as a frame (rule, severity, file, sheet, row, project_id,
    contract_id, days, escalation_level) — one pass over the result's findings."""
    wanted = set(rules)
    if found is not None:  # already collected (for more rules): just these
        return found[found["rule"].isin(wanted)]
    rows = [(f.rule, f.severity, f.file, f.sheet, f.row, f.project_id, f.contract_id, f.days, f.escalation_level)
            for f in result.findings if f.rule in wanted]
    return pd.DataFrame(rows, columns=["rule", "severity", "file", "sheet", "row", "project_id", "contract_id", "days",
                                       "escalation_level"])


def row_keys(ledger, key: str, frame: pd.DataFrame) -> pd.Series:
    """"file|sheet|row" of each row of ``frame`` (a subset of ``ledger.frames[key]``): how a
    finding names the row it is about."""
    sources = ledger.sources[key]
    names = pd.Series([f"{s.file}|{s.title}|" for s in sources])
    src = frame["_src"].astype(int).to_numpy()
    return pd.Series(names.to_numpy(dtype=object)[src], index=frame.index) + frame["_row"].astype(int).astype(str)


def finding_keys(findings: pd.DataFrame) -> pd.Series:
    return findings["file"].astype(str) + "|" + findings["sheet"].astype(str) + "|" + \
        findings["row"].astype("Int64").astype(str)


def _serial(values: pd.Series) -> np.ndarray:
    """Dates as Excel serial numbers (float, NaN for missing): the Gantt's value axis."""
    stamps = pd.to_datetime(values, errors="coerce")
    return ((stamps - pd.Timestamp("1899-12-30")) / pd.Timedelta(days=1)).astype("float64").to_numpy()


def _text(value: Any) -> str | None:
    return None if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)


# ============================================================================== 交付 Delivery

CONTRACT_COLUMNS = [
    Column("contract_id", "合同 Contract", width=22), Column("project_id", "项目 Project", width=14),
    Column("customer", "客户 Customer", width=22), Column("owner", "交付经理 DM", width=11),
    Column("signed_date", "签约 Signed", "date", 11), Column("state", "状态 State", width=16),
    Column("milestones", "里程碑 Milestones", "int", 11), Column("done", "已完成 Done", "int", 9),
    Column("planned_end", "计划完工 Planned finish", "date", 11), Column("actual_end", "实际完工 Finished", "date", 11),
    Column("next", "下一里程碑 Next milestone", width=16), Column("next_date", "下一计划日 Next due", "date", 11),
    Column("late", "延期未完成 Late (DEL-001)", "int", 12), Column("days_late", "最长延期天数 Max days late", "int", 12),
    Column("done_late", "逾期完成 Done late", "int", 10), Column("unsigned", "未三方签字 Unsigned (DEL-004)", "int", 14),
    Column("budget", "预算 Budget", "money", 12), Column("actual_cost", "实际成本 Actual cost", "money", 12),
    Column("overrun", "已发生超支 Overrun so far", "pct", 11),
    Column("over_budget", "超支无变更单 Over budget (DEL-005)", "int", 16),
]


def delivery_frames(result, ctx, found: pd.DataFrame | None = None) -> dict[str, Any]:
    """Everything the Delivery tab shows, as plain tables (tested without a workbook): ``contracts``
    (one row per contract with milestones), ``milestones`` (each with its position in its
    contract's plan), ``counts`` (the headline block) and ``gantt`` (the chart's rows)."""
    from kaxl.sop.delivery import milestone_label, milestones

    as_of = pd.Timestamp(result.as_of)
    rows = milestones(ctx).copy()
    rows = rows.sort_values(["contract_id", "planned_date", "_index"], kind="stable", na_position="last")
    rows["_position"] = rows.groupby("contract_id", sort=False).cumcount()
    names = {m: milestone_label(m) for m in rows["milestone"].dropna().unique()}  # per distinct name, not per row
    rows["_label"] = rows["milestone"].map(names)
    rows["_done_late"] = rows["_done"] & rows["planned_date"].notna() & (rows["actual_date"] > rows["planned_date"])
    found = rule_findings(result, RULES[:6], found)
    per_rule = found.groupby(["contract_id", "rule"]).size().unstack(fill_value=0) if len(found) else pd.DataFrame()
    late_days = found[found["rule"] == "DEL-001"].groupby("contract_id")["days"].max() if len(found) else pd.Series()

    projects = result.ledger.frames["projects"].drop_duplicates("project_id").set_index("project_id")
    grouped = rows.groupby("contract_id", sort=False)
    contracts = pd.DataFrame({
        "project_id": grouped["project_id"].first(), "owner": grouped["_owner"].first(),
        "signed_date": grouped["signed_date"].first(), "milestones": grouped.size(),
        "done": grouped["_done"].sum(), "planned_end": grouped["planned_date"].max(),
        "last_actual": grouped["actual_date"].max(), "done_late": grouped["_done_late"].sum(),
        "budget": grouped["budget"].sum(min_count=1), "actual_cost": grouped["actual_cost"].sum(min_count=1)})
    costed = rows[rows["budget"].notna() & rows["actual_cost"].notna()].groupby("contract_id")
    spent_budget, spent = costed["budget"].sum(), costed["actual_cost"].sum()
    contracts.index.name = "contract_id"
    contracts["customer"] = contracts["project_id"].map(projects["customer"])
    contracts["open"] = contracts["milestones"] - contracts["done"]
    contracts["state"] = np.where(contracts["open"] > 0, IN_DELIVERY, SETTLED)
    contracts["actual_end"] = contracts["last_actual"].where(contracts["open"] == 0)
    first_open = rows[~rows["_done"]].drop_duplicates("contract_id").set_index("contract_id")
    contracts["next"] = first_open["_label"].reindex(contracts.index)
    contracts["next_date"] = first_open["planned_date"].reindex(contracts.index)
    for rule, column in (("DEL-001", "late"), ("DEL-004", "unsigned"), ("DEL-005", "over_budget")):
        counts = per_rule[rule] if rule in per_rule else pd.Series(dtype=int)
        contracts[column] = counts.reindex(contracts.index).fillna(0).astype(int)
    contracts["days_late"] = late_days.reindex(contracts.index)
    with np.errstate(divide="ignore", invalid="ignore"):
        overrun = (spent / spent_budget - 1).where(spent_budget > 0)  # over the milestones costed so far
    contracts["overrun"] = overrun.reindex(contracts.index)
    contracts["_flags"] = contracts["late"] + contracts["unsigned"] + contracts["over_budget"]
    contracts = contracts.reset_index().sort_values(
        ["open", "late", "days_late", "_flags", "next_date", "contract_id"],
        ascending=[False, False, False, False, True, True], key=lambda s: s.gt(0) if s.name == "open" else s,
        kind="stable", na_position="last")

    kpi = (result.kpis or {}).get("delivery_on_time_rate") or {}
    due = rows[rows["planned_date"].notna() & (rows["planned_date"] <= as_of)]
    rule_count = found["rule"].value_counts()
    counts = [
        ["合同（有里程碑）Contracts with milestones", len(contracts)],
        ["交付中 In delivery", int((contracts["open"] > 0).sum())],
        ["里程碑 Milestones", len(rows)], ["已完成 Done", int(rows["_done"].sum())],
        ["计划日已到 Due by as-of", len(due)],
        ["按时完成 Done on time", int((due["_done"] & (due["actual_date"] <= due["planned_date"])).sum())],
        ["按时率 On-time rate", kpi.get("value")],
        ["延期未完成 Late, not done (DEL-001)", int(rule_count.get("DEL-001", 0))],
        ["计划未经客户确认 Plan not confirmed (DEL-002)", int(rule_count.get("DEL-002", 0))],
        ["周报逾期 Weekly report overdue (DEL-003)", int(rule_count.get("DEL-003", 0))],
        ["未三方签字 Done, unsigned (DEL-004)", int(rule_count.get("DEL-004", 0))],
        ["超支无变更单 Over budget, no change request (DEL-005)", int(rule_count.get("DEL-005", 0))],
        ["验收款先于验收签字 Acceptance invoiced first (DEL-006)", int(rule_count.get("DEL-006", 0))],
    ]
    return {"contracts": contracts, "milestones": rows, "counts": counts,
            "gantt": gantt_rows(contracts, rows, as_of), "as_of": as_of}


def gantt_rows(contracts: pd.DataFrame, rows: pd.DataFrame, as_of: pd.Timestamp) -> dict[str, Any]:
    """The Gantt chart's data: for the first :data:`GANTT_CONTRACTS` contracts of ``contracts``
    (in delivery and late first), a plan bar and an actual bar, each an invisible start (the
    signing date, else the first planned date) and one segment per milestone position (days
    from the previous milestone's date to this one's), the actual bar ending with what is still
    open up to as-of. Returns ``labels``, ``start`` (Excel serials), ``segments`` (one list per
    position), ``open``, ``names`` (the most common milestone at each position) and ``kinds``
    ("plan" / "actual" per bar)."""
    chosen = contracts["contract_id"].head(GANTT_CONTRACTS).tolist()
    part = rows[rows["contract_id"].isin(chosen)]
    part = part.assign(_rank=part["contract_id"].map({c: i for i, c in enumerate(chosen)})) \
        .sort_values(["_rank", "_position"], kind="stable")
    positions = int(part["_position"].max()) + 1 if len(part) else 0
    names = []  # the most common milestone at each position (ties: the first charted contract's)
    for k in range(positions):
        counts = part.loc[part["_position"] == k, "_label"].value_counts(sort=False)
        names.append(str(counts.idxmax()) if len(counts) else "")
    labels, start, kinds, open_ = [], [], [], []
    segments: list[list[float | None]] = [[] for _ in range(positions)]
    signed = _serial(contracts.set_index("contract_id")["signed_date"].reindex(chosen))
    as_of_serial = float(_serial(pd.Series([as_of]))[0])
    # the dates as serials once, then each contract's slice (part is ordered by contract, position)
    all_planned, all_actual = _serial(part["planned_date"]), _serial(part["actual_date"])
    bounds = {cid: (int(np.searchsorted(part["_rank"].to_numpy(), i, "left")),
                    int(np.searchsorted(part["_rank"].to_numpy(), i, "right"))) for i, cid in enumerate(chosen)}
    for i, cid in enumerate(chosen):
        lo, hi = bounds[cid]
        planned, actual = all_planned[lo:hi], all_actual[lo:hi]
        begin = signed[i]
        if np.isnan(begin):
            begin = np.nanmin(planned) if np.isfinite(planned).any() else as_of_serial
        for kind, dates in (("plan", planned), ("actual", actual)):
            labels.append(f"{cid} {'计划 plan' if kind == 'plan' else '实际 actual'}")
            kinds.append(kind)
            start.append(float(begin))
            previous = float(begin)
            for k in range(positions):
                value = dates[k] if k < len(dates) else np.nan
                if np.isnan(value):
                    segments[k].append(None)
                    continue
                segments[k].append(max(float(value) - previous, 0.0))
                previous = max(previous, float(value))
            if kind == "actual":
                still_open = bool(np.isnan(actual).any())
                open_.append(max(as_of_serial - previous, 0.0) if still_open else None)
            else:
                open_.append(None)
    return {"labels": labels, "start": start, "segments": segments, "open": open_, "names": names, "kinds": kinds,
            "as_of": as_of_serial}


class _SheetTab(_Tab):
    """The tab of one after-sale sheet: its title, its long table's columns (their widths set
    here) and the check's cached tables it reads (``ctx``, ``found``)."""

    TITLE: str = ""
    COLUMNS: list = []

    def __init__(self, summary, ctx, found: pd.DataFrame | None = None) -> None:
        super().__init__(summary, self.TITLE)
        self.ctx, self.found = ctx, found
        for j, column in enumerate(self.COLUMNS):
            self.ws.set_column(j, j, column.width)


class DeliveryTab(_SheetTab):
    TITLE, COLUMNS = "交付 Delivery", CONTRACT_COLUMNS

    def write(self) -> None:
        ws, fmt, r = self.ws, self.fmt, self.result
        data = delivery_frames(r, self.ctx, self.found)
        ws.write_string(0, 0, "交付 Delivery — 里程碑计划与实际、延期、签字与预算 milestones planned vs actual, "
                              "late, sign-off and budget", fmt["section"])
        ws.write_string(1, 0, f"截至 As of {r.as_of:%Y-%m-%d} · 延期 / 未签字 / 超支列为该合同里程碑上的校验问题数 "
                              "late / unsigned / over-budget columns count the findings on the contract's milestones",
                        fmt["subtitle"])
        counts = data["counts"]
        ws.set_row(3, 30)
        ws.merge_range(3, 0, 3, 2, "交付概况 Delivery at a glance", fmt["header"])
        ws.write_string(3, 3, "数值 Value", fmt["header"])
        for i, (label, value) in enumerate(counts, start=4):
            ws.merge_range(i, 0, i, 2, label, fmt["text"])
            if value is None:
                ws.write_string(i, 3, "—", fmt["text"])
            else:
                ws.write_number(i, 3, float(value), fmt["pct"] if "rate" in label else fmt["int"])
        gantt = data["gantt"]
        chart_top, n_bars = 3, len(gantt["labels"])
        chart_rows = self._gantt_rows(n_bars)
        key_row = chart_top + chart_rows
        data_row = max(4 + len(counts), key_row + 2) + 3
        self._gantt(gantt, chart_top, chart_rows, data_row)
        self._key(gantt, key_row)
        table_row = data_row + max(n_bars, 1) + 4
        table = frame_table(data["contracts"], CONTRACT_COLUMNS)
        self.long_table(table_row, table, "DeliveryContracts", "按合同 By contract（交付中、延期优先 in delivery and late first）")
        ws.set_row(table_row, HEADER_HEIGHT)
        self._flag_formats(table_row, table)

    @staticmethod
    def _gantt_rows(bars: int) -> int:
        """Rows of 20 px the chart covers: room for every bar and the axis."""
        return max(18, int((80 + 20 * bars) / 20) + 1)

    def _key(self, gantt: dict[str, Any], row: int) -> None:
        """The chart's colour key, in cells under it: LibreOffice drops the wrong legend entry when
        one is deleted (the invisible start), so the chart has no legend and this row is it."""
        book, ws = self.summary.book, self.ws
        ws.write_string(row, 5, "图例 Key:", self.fmt["text"])
        keys = [(f"{k + 1}. {n}", SEGMENT_COLORS[k % len(SEGMENT_COLORS)]) for k, n in enumerate(gantt["names"])]
        col = 6
        for label, (plan, done) in keys:  # two columns each: the labels are bilingual
            ws.merge_range(row, col, row, col + 1, label, book.add_format({
                "font_name": "Microsoft YaHei", "font_size": 8, "bg_color": done, "font_color": "white",
                "bold": True, "align": "center", "valign": "vcenter", "border": 2, "border_color": plan}))
            col += 2
        ws.merge_range(row, col, row, col + 1, "未完成（至今）open to as-of", book.add_format({
            "font_name": "Microsoft YaHei", "font_size": 8, "bg_color": "#FCE4D6", "font_color": "#C55A11",
            "bold": True, "align": "center", "valign": "vcenter", "border": 2, "border_color": ORANGE}))
        ws.write_string(row + 1, 6, "浅色 = 计划 pale = plan · 深色 = 实际 dark = actual", self.fmt["subtitle"])

    def _gantt(self, gantt: dict[str, Any], chart_top: int, chart_rows: int, data_row: int) -> None:
        """The chart data block (under the chart) and the stacked bar chart over it."""
        ws, fmt = self.ws, self.fmt
        names = gantt["names"]
        header = ["甘特图数据 Gantt data", "开始 Start", *[f"{i + 1}. {n}" for i, n in enumerate(names)],
                  "未完成 Open (to as-of)"]
        ws.write_string(data_row - 1, 0, "甘特图数据（开始日期，各段天数）Gantt chart data (start date, days per segment)",
                        fmt["section"])
        ws.set_row(data_row, 42)
        for j, h in enumerate(header):
            ws.write_string(data_row, j, h, fmt["header"])
        n = len(gantt["labels"])
        for i in range(n):
            row = data_row + 1 + i
            ws.write_string(row, 0, gantt["labels"][i], fmt["text"])
            ws.write_number(row, 1, gantt["start"][i], fmt["date"])
            for k, values in enumerate(gantt["segments"]):
                if values[i] is not None:
                    ws.write_number(row, 2 + k, values[i], fmt["int"])
            if gantt["open"][i] is not None:
                ws.write_number(row, 2 + len(names), gantt["open"][i], fmt["int"])
        if not n:
            ws.write_string(data_row + 1, 0, "（无 none）", fmt["text"])
            return
        sheet = ws.get_name()
        first, last = data_row + 1, data_row + n
        categories = [sheet, first, 0, last, 0]
        as_of = f"{self.result.as_of:%Y-%m-%d}"
        chart = self.summary.chart("bar", f"交付甘特图 Delivery Gantt（截至 as of {as_of}，延期优先 late first）",
                                   subtype="stacked")
        chart.add_series({"name": "开始 Start", "categories": categories, "values": [sheet, first, 1, last, 1],
                          "fill": {"none": True}, "border": {"none": True}})
        for k, name in enumerate(names):
            plan, done = SEGMENT_COLORS[k % len(SEGMENT_COLORS)]
            chart.add_series({
                "name": f"{k + 1}. {name}", "categories": categories, "values": [sheet, first, 2 + k, last, 2 + k],
                "fill": {"color": done}, "border": {"color": "white", "width": 0.5}, "gap": 40,
                "points": [{"fill": {"color": plan if kind == "plan" else done},
                            "border": {"color": done if kind == "plan" else "white", "width": 0.5}}
                           for kind in gantt["kinds"]]})
        col = 2 + len(names)
        chart.add_series({"name": "未完成（至今）Open to as-of", "categories": categories,
                          "values": [sheet, first, col, last, col],
                          "pattern": {"pattern": "wide_upward_diagonal", "fg_color": ORANGE, "bg_color": "#FCE4D6"},
                          "border": {"color": ORANGE}})
        ends = [s + sum(v[i] or 0 for v in gantt["segments"]) + (gantt["open"][i] or 0)
                for i, s in enumerate(gantt["start"])]
        epoch = pd.Timestamp("1899-12-30")
        low = (epoch + pd.Timedelta(days=min(gantt["start"]))).replace(day=1)
        high = (epoch + pd.Timedelta(days=max(max(ends), gantt["as_of"])) + pd.offsets.MonthBegin(1)).normalize()
        months = max((high.year - low.year) * 12 + high.month - low.month, 1)
        font = {"name": "Microsoft YaHei", "size": 8}
        chart.set_x_axis({"min": float(_serial(pd.Series([low]))[0]), "max": float(_serial(pd.Series([high]))[0]),
                          "major_unit": 30.4375 * max(1, round(months / 8)), "num_format": "yyyy-mm",
                          "num_font": font, "major_gridlines": {"visible": True, "line": {"color": "#E7E6E6"}}})
        chart.set_y_axis({"reverse": True, "num_font": font})
        chart.set_legend({"none": True})
        chart.set_size({"width": 1100, "height": chart_rows * 20})
        ws.insert_chart(chart_top, 5, chart, {"x_offset": 10, "y_offset": 0, "object_position": 3})

    def _flag_formats(self, table_row: int, table: Table) -> None:
        if not table.rows:
            return
        keys = [c.key for c in table.columns]
        first, last = table_row + 1, table_row + len(table.rows)
        for key in ("late", "unsigned", "over_budget"):
            col = keys.index(key)
            self.ws.conditional_format(first, col, last, col, {"type": "cell", "criteria": ">", "value": 0,
                                                               "format": self.fmt["rag"]["red"]})
        state = keys.index("state")
        self.ws.conditional_format(first, state, last, state, {"type": "text", "criteria": "begins with",
                                                               "value": "已完成", "format": self.fmt["rag"]["green"]})


# ============================================================================== 客户健康 Health

ARROWS = {1: "↑", -1: "↓", 0: "→"}
LOWEST = 15  # customers in the "least healthy" chart
HEALTH_COLUMNS = [
    Column("customer", "客户 Customer", width=22), Column("account_manager", "销售经理 AM", width=11),
    Column("csm", "客户成功 CS", width=11), Column("assessed_date", "最近评估 Last assessed", "date", 11),
    Column("health", "健康度 Health", "int", 9), Column("arrow", "趋势 Trend", width=7),
    Column("trend", "变化 Change", "int", 8), Column("previous_health", "上次 Previous", "int", 9),
    Column("usage", "使用活跃度 Usage", "number", 10), Column("value", "业务价值 Value", "number", 10),
    Column("relationship", "关系维护 Relationship", "number", 12),
    Column("relationship_source", "关系来源 Relationship from", width=13), Column("csat", "满意度 CSAT", "number", 9),
    Column("status", "状态 Status", width=16), Column("retention_plan_date", "挽回计划 Retention plan", "date", 11),
    Column("retention_owner", "挽回负责人 Plan owner", width=11),
    Column("plan_owed", "挽回计划欠缺 Plan owed (HLT-001)", "int", 15),
    Column("review_due", "评估过期 Review due (HLT-002)", "int", 14), Column("assessments", "评估次数 Assessments", "int", 12),
]


def health_buckets(threshold: float) -> list[tuple[float, float]]:
    """Ten-point buckets over 0–100, cut at the threshold too, so every bucket is wholly below it or
    wholly at / above it."""
    edges = sorted({*range(0, 101, 10), float(threshold)} - {100})
    edges = [e for e in edges if 0 <= e < 100]
    return [(lo, hi) for lo, hi in zip(edges, [*edges[1:], 100.0001])]


def bucket_label(lo: float, hi: float) -> str:
    first, last = int(np.ceil(lo)), (100 if hi > 100 else int(np.ceil(hi)) - 1)
    return f"{first}–{last}"


def health_frames(result, ctx, found: pd.DataFrame | None = None) -> dict[str, Any]:
    """Everything the Health tab shows, as plain tables: ``customers`` (one row per customer: its
    latest assessment, or none when HLT-002 reports it never assessed), ``buckets`` ([label,
    customers, below threshold?]), ``lowest`` ([customer, health, threshold]) and ``counts``."""
    from kaxl.sop.health import customer_projects, customers, project_customer

    settings = result.settings
    threshold = float(settings.health_threshold)
    table = customers(ctx).copy()
    owners = project_customer(ctx)
    keys = customer_projects(ctx).drop_duplicates("project_id").set_index("project_id")["_customer"]
    found = rule_findings(result, RULES[6:8], found).copy()
    found["_customer"] = found["project_id"].map(keys)
    per_rule = found.groupby(["_customer", "rule"]).size().unstack(fill_value=0) if len(found) else pd.DataFrame()
    never = set(found.loc[found["rule"] == "HLT-002", "_customer"].dropna()) - set(table.index)
    if never:  # a customer with a contract in force and no assessment at all: a row, health blank
        names = customer_projects(ctx).dropna(subset=["_customer"]).drop_duplicates("_customer") \
            .set_index("_customer")["customer"]
        extra = pd.DataFrame({"_customer": sorted(never)}, index=pd.Index(sorted(never)))
        extra["customer"] = names.reindex(extra.index)
        table = pd.concat([table, extra])
    table["account_manager"] = owners["account_manager"].reindex(table.index)
    table["csm"] = owners["csm"].reindex(table.index)
    health = pd.to_numeric(table["health"], errors="coerce").astype(float)
    trend = pd.to_numeric(table["trend"], errors="coerce").astype(float)
    table["arrow"] = np.sign(trend).map(ARROWS)
    table["relationship_source"] = np.where(table["health"].isna(), None, np.where(
        table["relationship_computed"].fillna(False).astype(bool), "计算 computed", "填写 typed"))
    table["status"] = np.where(health.isna(), "未评估 not assessed",
                               np.where(health < threshold, f"低于 {threshold:g} below", "达标 ok"))
    for rule, column in (("HLT-001", "plan_owed"), ("HLT-002", "review_due")):
        counts = per_rule[rule] if rule in per_rule else pd.Series(dtype=int)
        table[column] = counts.reindex(table.index).fillna(0).astype(int)
    table["_order"] = health.fillna(-1)
    table = table.sort_values(["_order", "customer"], kind="stable").reset_index(drop=True)

    scored = health.dropna()
    buckets = []
    for lo, hi in health_buckets(threshold):
        buckets.append([bucket_label(lo, hi), int(((scored >= lo) & (scored < hi)).sum()), hi <= threshold])
    assessed = table[table["health"].notna()]
    lowest = [[_text(c) or BLANK, float(h), threshold]
              for c, h in zip(assessed["customer"].head(LOWEST), assessed["health"].head(LOWEST).astype(float))]
    kpis = result.kpis or {}
    rule_count = found["rule"].value_counts()
    counts = [
        ["已评估客户 Customers assessed", len(scored)],
        [f"健康度达标（≥ {threshold:g}）Healthy", int((scored >= threshold).sum())],
        [f"低于阈值（< {threshold:g}）Below the threshold", int((scored < threshold).sum())],
        ["达标率 Healthy rate", (kpis.get("health_ok_rate") or {}).get("value"), "pct"],
        ["满意度均值 Average CSAT", (kpis.get("csat_avg") or {}).get("value"), "number"],
        ["上升 ↑ Rising", int((trend > 0).sum())], ["下降 ↓ Falling", int((trend < 0).sum())],
        ["持平 → Flat", int((trend == 0).sum())],
        ["挽回计划欠缺 Retention plan owed (HLT-001)", int(rule_count.get("HLT-001", 0))],
        ["评估过期 Assessment overdue (HLT-002)", int(rule_count.get("HLT-002", 0))],
    ]
    return {"customers": table, "buckets": buckets, "lowest": lowest, "counts": counts, "threshold": threshold}


class HealthTab(_SheetTab):
    TITLE, COLUMNS = "客户健康 Health", HEALTH_COLUMNS

    def write(self) -> None:
        ws, fmt, r = self.ws, self.fmt, self.result
        data = health_frames(r, self.ctx, self.found)
        threshold = data["threshold"]
        w_usage, w_value, w_rel = (float(w) for w in r.settings.health_weights)
        ws.write_string(0, 0, "客户健康 Health — 健康度、趋势与挽回计划 customer health, trend and retention plans",
                        fmt["section"])
        ws.write_string(1, 0, f"截至 As of {r.as_of:%Y-%m-%d} · 健康度 health = round({w_usage:g} × 使用活跃度 usage + "
                              f"{w_value:g} × 业务价值 value + {w_rel:g} × 关系维护 relationship) · 阈值 threshold "
                              f"{threshold:g}：低于须有挽回计划 below it a retention plan is owed", fmt["subtitle"])
        counts = data["counts"]
        ws.set_row(3, 30)
        ws.merge_range(3, 0, 3, 2, "客户健康概况 Health at a glance", fmt["header"])
        ws.write_string(3, 3, "数值 Value", fmt["header"])
        for i, (label, value, *kind) in enumerate(counts, start=4):
            ws.merge_range(i, 0, i, 2, label, fmt["text"])
            if value is None:
                ws.write_string(i, 3, "—", fmt["text"])
            else:
                ws.write_number(i, 3, float(value), self.cell["days"] if kind == ["number"] else
                                fmt["pct"] if kind == ["pct"] else fmt["int"])
        b_at = self.block(3, 8, ["健康度 Health", "客户数 Customers"], [b[:2] for b in data["buckets"]], ["text", "int"])
        chart_row = 4 + max(len(counts), len(data["buckets"])) + 1

        dist = self.summary.chart("column", f"健康度分布 Health distribution（阈值 threshold {threshold:g}）")
        dist.add_series({"name": "客户数 Customers", "categories": self.ref(b_at, 0), "values": self.ref(b_at, 1),
                         "points": [{"fill": {"color": RED if below else GREEN}} for *_, below in data["buckets"]],
                         "data_labels": {"value": True}, "gap": 30})
        dist.set_legend({"none": True})
        dist.set_x_axis({"name": f"红色低于阈值 red = below {threshold:g} · 绿色达标 green = healthy",
                         "name_font": {"name": "Microsoft YaHei", "size": 9, "bold": False}})
        dist.set_y_axis({"min": 0, "major_gridlines": {"visible": True, "line": {"color": "#E7E6E6"}}})
        ws.insert_chart(chart_row, 0, dist, {"x_scale": 1.15, "y_scale": 1.0})

        low_row = chart_row + 17
        ws.write_string(low_row - 1, 0, f"健康度最低的客户 Least healthy customers（最多 up to {LOWEST}）", fmt["section"])
        l_at = self.block(low_row, 0, ["客户 Customer", "健康度 Health", "阈值 Threshold"], data["lowest"],
                          ["text", "int", "int"])
        if data["lowest"]:
            low = self.summary.chart("column", f"健康度最低的客户 Least healthy customers vs 阈值 threshold {threshold:g}")
            low.add_series({"name": "健康度 Health（红色低于阈值 red = below）", "categories": self.ref(l_at, 0),
                            "values": self.ref(l_at, 1), "fill": {"color": GREEN},
                            "points": [{"fill": {"color": RED if h < threshold else GREEN}} for _, h, _ in data["lowest"]],
                            "data_labels": {"value": True}, "gap": 40})
            line = self.summary.chart("line", "")
            line.add_series({"name": f"阈值 Threshold {threshold:g}", "categories": self.ref(l_at, 0),
                             "values": self.ref(l_at, 2), "line": {"color": "#C00000", "width": 2, "dash_type": "dash"},
                             "marker": {"type": "none"}})
            low.combine(line)
            low.set_y_axis({"min": 0, "max": 100, "major_gridlines": {"visible": True, "line": {"color": "#E7E6E6"}}})
            low.set_x_axis({"num_font": {"name": "Microsoft YaHei", "size": 8, "rotation": -30}})
            ws.insert_chart(chart_row, 8, low, {"x_scale": 1.45, "y_scale": 1.0})
        table_row = max(low_row + len(data["lowest"]) + 4, chart_row + 18)
        table = frame_table(data["customers"], HEALTH_COLUMNS)
        self.long_table(table_row, table, "HealthCustomers", "按客户 By customer（健康度最低优先 least healthy first）")
        ws.set_row(table_row, HEADER_HEIGHT)
        if table.rows:
            keys = [c.key for c in HEALTH_COLUMNS]
            first, last = table_row + 1, table_row + len(table.rows)
            status, health = keys.index("status"), keys.index("health")
            ws.conditional_format(first, status, last, status, {"type": "text", "criteria": "begins with",
                                                                "value": "低于", "format": fmt["rag"]["red"]})
            ws.conditional_format(first, status, last, status, {"type": "text", "criteria": "begins with",
                                                                "value": "达标", "format": fmt["rag"]["green"]})
            ws.conditional_format(first, health, last, health, {"type": "cell", "criteria": "<", "value": threshold,
                                                                "format": fmt["rag"]["red"]})
            for key in ("plan_owed", "review_due"):
                col = keys.index(key)
                ws.conditional_format(first, col, last, col, {"type": "cell", "criteria": ">", "value": 0,
                                                              "format": fmt["rag"]["red"]})


# ============================================================================== 问题 Issues

KIND_LABEL = {"complaint": "投诉 complaint", "issue": "问题 issue"}
ESCALATION = {"warning": "升级销售经理 to AM", "error": "升级管理层 to management"}
SLOWEST = 5
ISSUE_COLUMNS = [
    Column("issue_id", "编号 Issue", width=12), Column("project_id", "项目 Project", width=14),
    Column("customer", "客户 Customer", width=22), Column("kind_label", "类型 Kind", width=13),
    Column("priority_label", "严重程度 Priority", width=10), Column("raised_date", "提出 Raised", "date", 11),
    Column("state", "状态 State", width=12), Column("age", "开放天数 Days open", "int", 10),
    Column("escalation", "升级 Escalated (ISS-001)", width=30), Column("owner", "责任人 Owner", width=10),
    Column("department", "责任部门 Department", width=12), Column("replied_date", "回复 Replied", "date", 11),
    Column("reply_days", "回复工作日 Days to reply", "int", 12),
    Column("resolved_date", "解决 Resolved", "date", 11),
    Column("resolve_days", "解决工作日 Days to resolve", "int", 12),
    Column("description", "描述 Description", width=40),
]


def age_buckets(first: int, second: int) -> list[tuple[int, int | None, str]]:
    """(low, high inclusive or None, label) cut at the ISS-001 steps (and at 30 days)."""
    out = [(0, first, f"0–{first} 天 days"), (first + 1, second, f"{first + 1}–{second} 天 days → 销售经理 AM")]
    if second < 30:
        out += [(second + 1, 30, f"{second + 1}–30 天 days → 管理层 management"), (31, None, "30 天以上 over 30 days")]
    else:
        out += [(second + 1, None, f"{second} 天以上 over {second} days → 管理层 management")]
    return out


def _median(values: pd.Series) -> float | None:
    values = values.dropna()
    return float(values.median()) if len(values) else None


def issue_frames(result, ctx, found: pd.DataFrame | None = None) -> dict[str, Any]:
    """Everything the Issues tab shows, as plain tables: ``issues`` (every row, open and oldest
    first), ``aging`` ([bucket, high, medium, low, blank, total] of open ones), ``times`` (the
    complaints' reply and resolve rows), ``slowest`` (the slowest complaints) and ``counts``."""
    from kaxl.sop.issues import issues

    settings = result.settings
    rows = issues(ctx).copy()
    found = rule_findings(result, RULES[8:], found)
    escalated = found[found["rule"] == "ISS-001"]
    severity = pd.Series(escalated["severity"].to_numpy(), index=finding_keys(escalated).to_numpy())
    severity = severity[~severity.index.duplicated()]
    rows["escalation"] = row_keys(result.ledger, "issues", rows).map(severity).map(ESCALATION) if len(rows) else None
    projects = result.ledger.frames["projects"].drop_duplicates("project_id").set_index("project_id")
    rows["customer"] = rows["project_id"].map(projects["customer"])
    rows["kind_label"] = rows["kind"].map(KIND_LABEL)
    labels = {key: label for key, label, _ in PRIORITIES if key}
    rows["priority_label"] = rows["priority"].map(labels)
    rows["state"] = np.where(rows["_open"], "开放 open", "已解决 resolved")
    rows["age"] = rows["_age"].where(rows["_open"])
    rows["owner"] = rows["_owner"]
    rows["reply_days"] = ctx.calendar.between_series(rows["raised_date"], rows["replied_date"])
    rows["resolve_days"] = ctx.calendar.between_series(rows["raised_date"], rows["resolved_date"])

    first, second = (int(v) for v in settings.issue_escalation_days)
    open_ = rows[rows["_open"] & rows["_age"].notna()]
    age = open_["_age"].clip(lower=0)
    aging = []
    for low, high, label in age_buckets(first, second):
        inside = open_[(age >= low) & (age <= high if high is not None else True)]
        by = [int((inside["priority"] == key).sum()) if key else int(inside["priority"].isna().sum())
              for key, _, _ in PRIORITIES]
        aging.append([label, *by, len(inside)])

    complaints = rows[rows["_complaint"]]
    times = []
    for what, days, limit, date in (("回复 Reply", "reply_days", int(settings.complaint_reply_days), "replied_date"),
                                    ("解决 Resolve", "resolve_days", int(settings.complaint_resolve_days),
                                     "resolved_date")):
        known = pd.to_numeric(complaints[days], errors="coerce").astype(float)
        done = known.dropna()
        slow = complaints.loc[done.index[done.to_numpy().argmax()]] if len(done) else None
        times.append([what, len(done), _median(known), float(done.mean()) if len(done) else None,
                      float(done.max()) if len(done) else None, limit, int((done <= limit).sum()),
                      int(complaints[date].isna().sum()),
                      f"{slow['issue_id']} · {_text(slow['customer']) or BLANK}" if slow is not None else None])
    slow_order = complaints.assign(_slow=pd.to_numeric(complaints["resolve_days"], errors="coerce").astype(float),
                                   _reply=pd.to_numeric(complaints["reply_days"], errors="coerce").astype(float))
    slow_order = slow_order[slow_order["_slow"].notna() | slow_order["_reply"].notna()] \
        .sort_values(["_slow", "_reply", "raised_date"], ascending=[False, False, True], na_position="last").head(SLOWEST)
    slowest = [[_text(r["issue_id"]), _text(r["customer"]), _text(r["priority_label"]), r["raised_date"],
                None if pd.isna(r["_reply"]) else float(r["_reply"]), None if pd.isna(r["_slow"]) else float(r["_slow"])]
               for _, r in slow_order.iterrows()]

    rows["_order"] = np.where(rows["_open"], 0, 1)
    rows["_sort_age"] = -rows["_age"].fillna(-1)
    rows = rows.sort_values(["_order", "_sort_age", "issue_id"], kind="stable", na_position="last")
    rule_count = found["rule"].value_counts()
    kpi = (result.kpis or {}).get("complaint_on_time_rate") or {}
    counts = [
        ["问题与投诉 Issues and complaints", len(rows)], ["开放 Open", int(rows["_open"].sum())],
        ["其中投诉 Open complaints", int((rows["_open"] & rows["_complaint"]).sum())],
        ["升级销售经理 Escalated to the AM (ISS-001)", int((escalated["severity"] == "warning").sum())],
        ["升级管理层 Escalated to management (ISS-001)", int((escalated["severity"] == "error").sum())],
        ["投诉未按时回复 Complaints answered late (ISS-002)", int(rule_count.get("ISS-002", 0))],
        ["解决日期有误 Resolution date wrong (ISS-003)", int(rule_count.get("ISS-003", 0))],
        ["投诉按时解决率 Complaints resolved on time", kpi.get("value"), "pct"],
    ]
    return {"issues": rows, "aging": aging, "times": times, "slowest": slowest, "counts": counts}


class IssuesTab(_SheetTab):
    TITLE, COLUMNS = "问题 Issues", ISSUE_COLUMNS

    def write(self) -> None:
        ws, fmt, r = self.ws, self.fmt, self.result
        data = issue_frames(r, self.ctx, self.found)
        first, second = (int(v) for v in r.settings.issue_escalation_days)
        ws.write_string(0, 0, "问题 Issues — 开放问题的账龄与严重程度、投诉回复与解决用时 open issues by age and priority, "
                              "complaints' reply and resolve times", fmt["section"])
        ws.write_string(1, 0, f"截至 As of {r.as_of:%Y-%m-%d} · 开放超过 {first} 天升级销售经理、超过 {second} 天升级管理层 "
                              f"open over {first} days goes to the AM, over {second} days to management · 用时按工作日"
                              "（含调休）working days on the 调休 calendar", fmt["subtitle"])
        counts = data["counts"]
        ws.set_row(3, 30)
        ws.merge_range(3, 0, 3, 2, "问题概况 Issues at a glance", fmt["header"])
        ws.write_string(3, 3, "数值 Value", fmt["header"])
        for i, (label, value, *kind) in enumerate(counts, start=4):
            ws.merge_range(i, 0, i, 2, label, fmt["text"])
            if value is None:
                ws.write_string(i, 3, "—", fmt["text"])
            else:
                ws.write_number(i, 3, float(value), fmt["pct"] if kind == ["pct"] else fmt["int"])
        a_at = self.block(3, 8, ["开放天数 Days open", *(label for _, label, _ in PRIORITIES), "合计 Total"],
                          data["aging"], ["text", "int", "int", "int", "int", "int"])
        chart_row = 4 + max(len(counts), len(data["aging"])) + 1
        aging = self.summary.chart("column", "开放问题账龄 Open issues by age and priority", subtype="stacked")
        for offset, (_, label, color) in enumerate(PRIORITIES, start=1):
            aging.add_series({"name": label, "categories": self.ref(a_at, 0), "values": self.ref(a_at, offset),
                              "fill": {"color": color}, "gap": 60})
        aging.set_x_axis({"num_font": {"name": "Microsoft YaHei", "size": 8}})
        most = max((row[-1] for row in data["aging"]), default=0)
        aging.set_y_axis({"min": 0, "major_unit": max(1, int(np.ceil(most / 6))), "num_format": "0",
                          "major_gridlines": {"visible": True, "line": {"color": "#E7E6E6"}}})
        ws.insert_chart(chart_row, 0, aging, {"x_scale": 1.25, "y_scale": 1.0})

        t_row = chart_row + 17
        ws.write_string(t_row - 1, 0, "投诉用时（工作日）Complaints: working days to reply and resolve", fmt["section"])
        self.block(t_row, 0, ["环节 Step", "投诉数 Complaints", "中位 Median", "平均 Average", "最慢 Slowest",
                              "时限 Limit", "时限内 Within limit", "尚无日期 No date yet", "最慢的投诉 Slowest complaint"],
                   data["times"], ["text", "int", "days", "days", "int", "int", "int", "int", "text"])
        s_row = t_row + len(data["times"]) + 3
        ws.write_string(s_row - 1, 0, f"最慢的投诉 Slowest complaints（最多 up to {SLOWEST}）", fmt["section"])
        self.block(s_row, 0, ["编号 Complaint", "客户 Customer", "严重程度 Priority", "提出 Raised",
                              "回复工作日 To reply", "解决工作日 To resolve"], data["slowest"],
                   ["text", "text", "text", "date", "int", "int"])
        table_row = s_row + max(len(data["slowest"]), 1) + 4
        table = frame_table(data["issues"], ISSUE_COLUMNS)
        self.long_table(table_row, table, "IssuesEvery", "每个问题与投诉 Every issue and complaint（开放、最久优先 open, oldest first）")
        ws.set_row(table_row, HEADER_HEIGHT)
        if table.rows:
            keys = [c.key for c in ISSUE_COLUMNS]
            top, last = table_row + 1, table_row + len(table.rows)
            col = keys.index("escalation")
            ws.conditional_format(top, col, last, col, {"type": "text", "criteria": "begins with", "value": "升级管理层",
                                                        "format": fmt["rag"]["red"]})
            ws.conditional_format(top, col, last, col, {"type": "text", "criteria": "begins with", "value": "升级销售经理",
                                                        "format": fmt["rag"]["amber"]})
