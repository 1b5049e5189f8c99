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
    if not any(ledger.keeps(k) for k in ("delivery",)):
        return
    ctx = field_context(summary.result)
    if ledger.keeps("delivery"):
        DeliveryTab(summary, ctx).write()


# ============================================================================== shared


def rule_findings(result, rules: Iterable[str]) -> pd.DataFrame:
    """The findings of ``rules`` as a frame (rule, severity, file, sheet, row, project_id,
    contract_id, days, escalation_level) — one pass over the result's findings."""
    wanted = set(rules)
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


def delivery_frames(result, ctx) -> dict[str, Any]:
    """Everything the Delivery tab shows, as plain tables (tested without a workbook): ``contracts``
    (one row per contract with milestones), ``milestones`` (each with its position in its
    contract's plan), ``counts`` (the headline block) and ``gantt`` (the chart's rows)."""
    from kaxl.sop.delivery import milestone_label, milestones

    as_of = pd.Timestamp(result.as_of)
    rows = milestones(ctx).copy()
    rows = rows.sort_values(["contract_id", "planned_date", "_index"], kind="stable", na_position="last")
    rows["_position"] = rows.groupby("contract_id", sort=False).cumcount()
    rows["_label"] = rows["milestone"].map(milestone_label)
    rows["_done_late"] = rows["_done"] & rows["planned_date"].notna() & (rows["actual_date"] > rows["planned_date"])
    found = rule_findings(result, ("DEL-001", "DEL-002", "DEL-003", "DEL-004", "DEL-005", "DEL-006"))
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
    signed = contracts.set_index("contract_id")["signed_date"]
    as_of_serial = float(_serial(pd.Series([as_of]))[0])
    for cid in chosen:
        own = part[part["contract_id"] == cid].sort_values("_position")
        planned = _serial(own["planned_date"])
        actual = _serial(own["actual_date"])
        begin = _serial(pd.Series([signed.get(cid)]))[0]
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


class DeliveryTab(_Tab):
    def __init__(self, summary, ctx) -> None:
        super().__init__(summary, "交付 Delivery")
        self.ctx = ctx

    def write(self) -> None:
        ws, fmt, r = self.ws, self.fmt, self.result
        data = delivery_frames(r, self.ctx)
        for j, column in enumerate(CONTRACT_COLUMNS):
            ws.set_column(j, j, column.width)
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
