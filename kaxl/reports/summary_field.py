"""The summary's field tabs (SPEC §7): `线索 Leads` and `拜访 Visits`, each only when the ledger
keeps that sheet.

- 线索 Leads: the funnel registered → screened → converted as a native bar chart, the same
  counts by source (a clustered column chart) and by account manager, and the time to screen
  (median / average calendar days; on time = within ``lead_screen_days``, the 48 h of LEA-001);
  below them every lead, so a manager can filter.
- 拜访 Visits: visits by kind per month (a stacked column chart), the monthly face-to-face
  cadence per AM (a stacked bar chart of key customers met / not met — the very table VIS-003
  and visit_cadence_rate read, :func:`kaxl.sop.visits.cadence`), and one row per AM and
  customer: the cadence, the last in-person visit, visits per month and by kind.

Small blocks are written cell by cell with ``write_string`` / ``write_number`` (they feed the
charts); each tab's one long table goes through the summary's fast row writer (text as inline
strings), last on the sheet because its rows are added after XlsxWriter. Never a formula.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from kaxl.contract.columns import sheet
from kaxl.reports.summary_data import Column, Table, frame_table

MONTHS = 6  # the visits tab's months: this one and the five before
KINDS = ("in_person", "phone", "video", "event")
BLANK = "（未填 blank）"
NAVY = "#1F3864"
KIND_COLORS = {"in_person": NAVY, "phone": "#5B9BD5", "video": "#A5A5A5", "event": "#ED7D31"}


def _labels(sheet_key: str, column: str) -> dict[str, str]:
    """{enum key: "中文 key"} of a column of the contract (one definition for every output)."""
    spec = sheet(sheet_key).column(column)
    return {c.key: f"{c.zh} {c.key}" for c in spec.choices}


def write_tab(summary) -> None:
    ledger = summary.result.ledger
    if ledger.keeps("leads"):
        LeadsTab(summary).write()
    if ledger.keeps("visits"):
        VisitsTab(summary).write()


# ============================================================================== shared layout


class _Tab:
    def __init__(self, summary, title: str) -> None:
        self.summary, self.result, self.fmt = summary, summary.result, summary.fmt
        self.ws = summary.add_sheet(title)
        self.title = title
        self.ws.hide_gridlines(2)
        self.ws.set_landscape()
        self.ws.set_paper(9)
        self.ws.fit_to_pages(1, 0)
        book = summary.book
        self.cell = {
            "text": self.fmt["text"], "int": self.fmt["int"], "pct": self.fmt["pct"], "date": self.fmt["date"],
            "days": book.add_format({"font_name": "Microsoft YaHei", "font_size": 10, "num_format": "0.0"}),
        }

    def block(self, row: int, col: int, header: list[str], rows: list[list[Any]], kinds: list[str]) -> tuple[int, int, int]:
        """A small table (header + rows) at ``row``, ``col``; (first data row, col, rows) for charts.
        Text with write_string (ledger text stays text), numbers with write_number."""
        ws = self.ws
        ws.set_row(row, 30)  # bilingual headers wrap onto two lines
        for j, h in enumerate(header):
            ws.write_string(row, col + j, h, self.fmt["header"])
        for i, values in enumerate(rows, start=row + 1):
            for j, (value, kind) in enumerate(zip(values, kinds)):
                if value is None or (isinstance(value, float) and np.isnan(value)):
                    ws.write_blank(i, col + j, None, self.cell.get(kind, self.fmt["text"]))
                elif kind == "text":
                    ws.write_string(i, col + j, str(value), self.fmt["text"])
                elif kind == "date":
                    ws.write_datetime(i, col + j, pd.Timestamp(value).to_pydatetime(), self.fmt["date"])
                else:
                    ws.write_number(i, col + j, float(value), self.cell[kind])
        if not rows:
            ws.write_string(row + 1, col, "（无 none）", self.fmt["text"])
        return row + 1, col, len(rows)

    def ref(self, where: tuple[int, int, int], offset: int) -> list:
        first, col, n = where
        return [self.ws.get_name(), first, col + offset, first + max(n, 1) - 1, col + offset]

    def long_table(self, header_row: int, table: Table, name: str, title: str) -> None:
        """The tab's one long table at ``header_row`` (last on the sheet): XlsxWriter declares the
        table over its header and one row; the rows are written after (summary_cells.Block), text
        as inline strings."""
        ws = self.ws
        ws.write_string(header_row - 1, 0, title, self.fmt["section"])
        self.summary.table_rows(ws, table, name, header_row)
        ws.repeat_rows(header_row)


# A header cell's text as LibreOffice and Excel print it: 10 pt bold YaHei in a column of width w
# (w characters of the default font, 7 px each, plus 5 px), wrapped at spaces and between CJK
# characters. Measured on the printed Visits tab: "最近面谈 Last" fits a column of 11.
CJK_PX, LATIN_PX, SPACE_PX, PADDING_PX, LINE_PT = 13.4, 5.6, 3.0, 4.0, 13.5
_UNITS = re.compile(r"\s+|[^\s\x00-\x7f]|[\x00-\x7f]+?(?=\s|[^\x00-\x7f]|$)")


def header_lines(text: str, width: float) -> int:
    """Printed lines of ``text`` in a wrapping header cell ``width`` characters wide: a greedy
    fill of words (a Latin run longer than the line is broken inside) and single CJK characters."""
    room = 7 * width + 5 - PADDING_PX
    lines, used = 1, 0.0
    for unit in _UNITS.findall(text):
        if unit.isspace():
            used += SPACE_PX if used else 0.0
            continue
        size = sum(CJK_PX if unicodedata.east_asian_width(ch) in "WF" else LATIN_PX for ch in unit)
        if used and used + size > room:
            lines, used = lines + 1, 0.0
        while size > room:  # a word wider than the column breaks inside it
            lines, size = lines + 1, size - room
        used += size
    return lines


def header_height(headers: Sequence[str], widths: Sequence[float]) -> float:
    """The header row's height in points for its longest wrapped header (at least two lines:
    every header is bilingual). A fixed height cut off 面谈 in_person（6个月 months）."""
    lines = max([2, *(header_lines(h, w) for h, w in zip(headers, widths))])
    return LINE_PT * lines + 3


# ============================================================================== 线索 Leads

LISTED_DAYS = 90  # the lead list: what a manager follows up, not the whole history


def listed_leads(frame: pd.DataFrame, as_of) -> pd.Series:
    """The leads the tab lists one by one: registered in the last :data:`LISTED_DAYS` days, or
    still without a result (not converted, parked or dropped) whenever they came in, or with no
    registration date at all. The funnel and the tables above count every lead; the ledger
    holds the rest (a 20,000-project ledger keeps ~57k leads: listing them all cost a second)."""
    since = pd.Timestamp(as_of) - pd.Timedelta(days=LISTED_DAYS)
    registered = pd.to_datetime(frame["registered_date"])
    return (registered >= since) | registered.isna() | frame["result"].isna()


LEAD_COLUMNS = [
    Column("lead_id", "线索编号 Lead"), Column("customer", "客户 Customer"), Column("source_label", "来源 Source"),
    Column("owner", "负责人 Owner"), Column("registered_date", "登记 Registered", "date"),
    Column("screened_date", "初筛 Screened", "date"), Column("days", "初筛天数 Days to screen", "int"),
    Column("on_time_label", "48小时内 Within 48 h"), Column("grade", "分级 Grade"),
    Column("result_label", "处理结果 Result"), Column("project_id", "项目 Project"),
    Column("admission_approved", "准入审批 Admission approved", "date"),
]


def lead_frame(result) -> pd.DataFrame:
    """The leads with their funnel flags and days to screen (calendar days, as LEA-001 counts)."""
    leads = result.ledger.frames["leads"]
    frame = leads[[c for c in leads.columns if not c.startswith("_")]].copy()
    limit = int(result.settings.lead_screen_days)
    days = (frame["screened_date"] - frame["registered_date"]).dt.days
    frame["days"] = days
    frame["screened"] = frame["screened_date"].notna()
    frame["converted"] = frame["result"].eq("converted").fillna(False).astype(bool)
    frame["on_time"] = days.le(limit) & days.notna()
    due = frame["registered_date"] + pd.Timedelta(days=limit)
    frame["overdue"] = ~frame["screened"] & due.lt(pd.Timestamp(result.as_of))
    frame["source_label"] = frame["source"].map(_labels("leads", "source")).fillna(BLANK)
    frame["result_label"] = frame["result"].map(_labels("leads", "result"))
    frame["owner_label"] = frame["owner"].astype(object).where(frame["owner"].notna(), BLANK)
    frame["on_time_label"] = np.where(frame["on_time"], "是 yes",
                                      np.where(frame["screened"], "否 late", np.where(frame["overdue"], "逾期 overdue", "")))
    frame["on_time_label"] = frame["on_time_label"].replace("", None)
    return frame


def lead_counts(frame: pd.DataFrame, by: str) -> list[list[Any]]:
    """[group, registered, screened, converted, conversion, median days, average days, on time,
    unscreened overdue] per group, most leads first."""
    if frame.empty:
        return []
    grouped = frame.groupby(by, sort=False)
    out = pd.DataFrame({
        "registered": grouped.size(), "screened": grouped["screened"].sum(), "converted": grouped["converted"].sum(),
        "median_days": grouped["days"].median(), "mean_days": grouped["days"].mean(), "on_time": grouped["on_time"].sum(),
        "overdue": grouped["overdue"].sum()})
    out["rate"] = out["converted"] / out["registered"]
    out = out.sort_values(["registered", "converted"], ascending=False, kind="stable")
    ints = {c: out[c].astype(int).tolist() for c in ("registered", "screened", "converted", "on_time", "overdue")}
    return [[str(k), n, s, c, float(rate), _num(median), _num(mean), on_time, overdue]
            for k, n, s, c, rate, median, mean, on_time, overdue in zip(
                out.index, ints["registered"], ints["screened"], ints["converted"], out["rate"].tolist(),
                out["median_days"].tolist(), out["mean_days"].tolist(), ints["on_time"], ints["overdue"])]


def _num(value: Any) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


class LeadsTab(_Tab):
    def __init__(self, summary) -> None:
        super().__init__(summary, "线索 Leads")

    def write(self) -> None:
        ws, fmt, r = self.ws, self.fmt, self.result
        frame = lead_frame(r)
        limit = int(r.settings.lead_screen_days)
        ws.set_column(0, 0, 18)
        ws.set_column(1, 11, 12)
        ws.set_column(3, 3, 20)  # the by-source labels: "数据平台 data_platform"
        ws.write_string(0, 0, "线索 Leads — 登记 → 初筛 → 转立项 registered → screened → converted", fmt["section"])
        n, screened, converted = len(frame), int(frame["screened"].sum()), int(frame["converted"].sum())
        days = frame["days"].dropna()
        median = f"{days.median():.1f}" if len(days) else "—"
        mean = f"{days.mean():.1f}" if len(days) else "—"
        ws.write_string(1, 0, f"截至 As of {r.as_of:%Y-%m-%d} · 线索 {n} leads · 初筛 {screened} screened · "
                              f"转立项 {converted} converted", fmt["subtitle"])
        # a second line: one line ran past the printed page
        ws.write_string(2, 0, f"初筛用时 time to screen: 中位 median {median} 天 days, 平均 average {mean} 天 days · "
                              f"{limit} 天（48小时）内 within {limit} days: {int(frame['on_time'].sum())} · "
                              f"逾期未筛 overdue unscreened: {int(frame['overdue'].sum())}", fmt["subtitle"])
        funnel = [["登记 Registered", n], ["初筛 Screened", screened], ["转立项 Converted", converted]]
        f_at = self.block(3, 0, ["环节 Stage", "线索数 Leads"], funnel, ["text", "int"])
        header = ["", "登记 Registered", "初筛 Screened", "转立项 Converted", "转化率 Conversion",
                  "初筛中位天数 Median days", "初筛平均天数 Avg days", "48小时内 On time", "逾期未筛 Overdue"]
        kinds = ["text", "int", "int", "int", "pct", "days", "days", "int", "int"]
        by_source = lead_counts(frame, "source_label")
        s_at = self.block(3, 3, ["来源 Source", *header[1:]], by_source, kinds)
        chart_row = 4 + max(len(funnel), len(by_source)) + 1
        by_am = lead_counts(frame, "owner_label")
        a_row = chart_row + 17
        ws.write_string(a_row - 1, 0, "按销售经理 By account manager", fmt["section"])
        self.block(a_row, 0, ["负责人 Owner", *header[1:]], by_am, kinds)

        chart = self.summary.chart("bar", "线索漏斗 Lead funnel")
        chart.add_series({"name": "线索数 Leads", "categories": self.ref(f_at, 0), "values": self.ref(f_at, 1),
                          "points": [{"fill": {"color": c}} for c in ("#BDD7EE", "#5B9BD5", NAVY)],
                          "data_labels": {"value": True}, "gap": 40})
        chart.set_y_axis({"reverse": True})
        chart.set_x_axis({"min": 0, "major_gridlines": {"visible": True, "line": {"color": "#E7E6E6"}}})
        chart.set_legend({"none": True})
        ws.insert_chart(chart_row, 0, chart, {"x_scale": 0.95, "y_scale": 1.0})
        sources = self.summary.chart("column", "按来源 By source")
        for offset, (name, color) in enumerate((("登记 Registered", "#BDD7EE"), ("初筛 Screened", "#5B9BD5"),
                                                ("转立项 Converted", NAVY)), start=1):
            sources.add_series({"name": name, "categories": self.ref(s_at, 0), "values": self.ref(s_at, offset),
                                "fill": {"color": color}, "gap": 80})
        sources.set_y_axis({"major_gridlines": {"visible": True, "line": {"color": "#E7E6E6"}}})
        ws.insert_chart(chart_row, 5, sources, {"x_scale": 1.1, "y_scale": 1.0})

        table_row = a_row + len(by_am) + 4
        listed = frame[listed_leads(frame, r.as_of)]
        listed = listed.sort_values(["registered_date", "lead_id"], na_position="last", kind="stable")
        self.long_table(table_row, frame_table(listed, LEAD_COLUMNS), "Leads",
                        f"线索明细：近 {LISTED_DAYS} 天登记或尚无结果 Leads of the last {LISTED_DAYS} days or still open")


# ============================================================================== 拜访 Visits

KIND_LABEL = _labels("visits", "kind")
CADENCE_STATUS = {True: "达标 met", False: "未达标 not met"}
NOT_WATCHED = "不考核 not watched"


def months_to(as_of, count: int = MONTHS) -> list[pd.Period]:
    last = pd.Period(as_of, freq="M")
    return [last - i for i in range(count - 1, -1, -1)]


def field_context(result):
    """The check's rule context, its visit facts already cached (the same cadence table VIS-003
    and visit_cadence_rate were computed from); a new one over the checked ledger for a result
    built without one."""
    from kaxl.contract.calendar import WorkCalendar
    from kaxl.sop.engine import RuleContext

    if getattr(result, "context", None) is not None:
        return result.context
    return RuleContext(result.ledger, result.settings, WorkCalendar.from_ledger(result.ledger, result.settings),
                       result.as_of)


def visit_frames(result) -> dict[str, Any]:
    """Everything the Visits tab shows, as plain tables (tested without a workbook)."""
    from kaxl.sop.visits import cadence, customer_key, visits

    ctx = field_context(result)
    as_of = pd.Timestamp(result.as_of)
    months = months_to(result.as_of)
    rows = visits(ctx)
    rows = rows[rows["visit_date"].notna()]
    past = rows[rows["visit_date"] <= as_of].copy()
    past["_month"] = past["visit_date"].dt.to_period("M")
    window = past[past["_month"] >= months[0]]

    monthly = window.pivot_table(index="_month", columns="kind", values="project_id", aggfunc="size", fill_value=0)
    monthly = monthly.reindex(index=months, columns=list(KINDS), fill_value=0)
    monthly_rows = [[f"{m.year}-{m.month:02d}", *map(int, monthly.loc[m]), int(monthly.loc[m].sum())]
                    for m in months]

    table = cadence(ctx)
    am = table["account_manager"].astype(object).where(table["account_manager"].notna(), BLANK)
    watched = table[table["watched"]].assign(_am=am[table["watched"]])
    per_am = watched.groupby("_am").agg(watched=("watched", "size"), met=("met", "sum"))
    this_month = window[window["_month"] == months[-1]]
    kinds_am = this_month.assign(_am=this_month["_am"].astype(object).where(this_month["_am"].notna(), BLANK)) \
        .pivot_table(index="_am", columns="kind", values="project_id", aggfunc="size", fill_value=0) \
        .reindex(columns=list(KINDS), fill_value=0)
    names = sorted(set(per_am.index) | set(kinds_am.index), key=lambda n: (n == BLANK, n))
    per_am = per_am.reindex(names).fillna(0)
    kinds_am = kinds_am.reindex(names).fillna(0)
    kind_counts = kinds_am[list(KINDS)].astype(int).to_numpy().tolist()
    am_rows = [[name, w, m, w - m, (m / w) if w else None, *kinds]
               for name, w, m, kinds in zip(names, per_am["watched"].astype(int).tolist(),
                                            per_am["met"].astype(int).tolist(), kind_counts)]

    # one row per AM and customer: the projects that have visits or are watched
    projects = table.assign(_am=am, _key=customer_key(table["customer"]).fillna(table["project_id"]))
    visited = set(rows["project_id"])
    projects = projects[projects["watched"] | projects["project_id"].isin(visited)]
    key_of = projects.set_index("project_id")["_key"]
    am_of = projects.set_index("project_id")["_am"]
    seen_group = past[past["project_id"].isin(key_of.index)].drop(columns=["_am"]).assign(
        _key=lambda f: f["project_id"].map(key_of), _am=lambda f: f["project_id"].map(am_of))
    group = ["_am", "_key"]
    customers = projects.groupby(group, sort=False).agg(
        customer=("customer", "first"), watched=("watched", "any"), met=("met", "any"),
        last_in_person=("last_in_person", "max"), next_in_person=("next_in_person", "min"))
    # each group's project ids, in ledger order: one pass over the arrays, not a Python
    # aggregate per group (half a second over the 20,000-project ledger's 16k customers)
    ids: dict[tuple[object, object], list[str]] = {}
    for key in zip(projects["_am"], projects["_key"], projects["project_id"].astype(str)):
        ids.setdefault(key[:2], []).append(key[2])
    customers.insert(1, "projects", ["、".join(ids[key]) for key in customers.index])
    last_any = seen_group.groupby(group)["visit_date"].max()
    in_window = seen_group[seen_group["_month"] >= months[0]]
    by_month = in_window.pivot_table(index=group, columns="_month", values="project_id", aggfunc="size",
                                     fill_value=0).reindex(columns=months, fill_value=0)
    by_kind = in_window.pivot_table(index=group, columns="kind", values="project_id", aggfunc="size",
                                    fill_value=0).reindex(columns=list(KINDS), fill_value=0)
    customers["last_visit"] = last_any.reindex(customers.index)
    for m in months:
        customers[f"m_{m}"] = by_month[m].reindex(customers.index).fillna(0).astype(int) if len(by_month) else 0
    for k in KINDS:
        customers[f"k_{k}"] = by_kind[k].reindex(customers.index).fillna(0).astype(int) if len(by_kind) else 0
    customers["cadence"] = np.where(customers["watched"], np.where(customers["met"], CADENCE_STATUS[True],
                                                                   CADENCE_STATUS[False]), NOT_WATCHED)
    customers["days_since"] = (as_of - customers["last_in_person"]).dt.days
    customers = customers.reset_index().rename(columns={"_am": "account_manager"})
    order = customers["cadence"].map({CADENCE_STATUS[False]: 0, CADENCE_STATUS[True]: 1, NOT_WATCHED: 2})
    customers = customers.assign(_order=order).sort_values(["account_manager", "_order", "customer"], kind="stable")
    return {"months": months, "monthly": monthly_rows, "am": am_rows, "customers": customers}


def customer_columns(months: list[pd.Period]) -> list[Column]:
    return [
        Column("account_manager", "销售经理 AM"), Column("customer", "客户 Customer"),
        Column("projects", "项目 Projects"), Column("cadence", "每月面谈 Monthly in person"),
        Column("last_in_person", "最近面谈 Last in person", "date"), Column("days_since", "距今天数 Days since", "int"),
        Column("next_in_person", "下次面谈 Next in person", "date"), Column("last_visit", "最近拜访 Last visit", "date"),
        *[Column(f"m_{m}", f"{m.year}-{m.month:02d} 拜访 visits", "int") for m in months],
        *[Column(f"k_{k}", f"{KIND_LABEL[k]}（{len(months)}个月 months）", "int") for k in KINDS],
    ]


class VisitsTab(_Tab):
    def __init__(self, summary) -> None:
        super().__init__(summary, "拜访 Visits")

    def write(self) -> None:
        ws, fmt, r = self.ws, self.fmt, self.result
        data = visit_frames(r)
        days = int(r.settings.visit_cadence_days)
        columns = customer_columns(data["months"])
        # the long table's columns: names 16, the cadence status 17 ("不考核 not watched"), the rest 11
        widths = [16.0, 16.0, 11.0, 17.0] + [11.0] * (len(columns) - 4)
        for j, width in enumerate(widths):
            ws.set_column(j, j, width)
        ws.write_string(0, 0, "拜访 Visits — 每月面谈与拜访记录 monthly face-to-face and visit records", fmt["section"])
        kpi = (r.kpis or {}).get("visit_cadence_rate") or {}
        rate = f"{kpi['value']:.0%}" if kpi.get("value") is not None else "—"
        ws.write_string(1, 0, f"截至 As of {r.as_of:%Y-%m-%d} · 重点客户（A 级或战略合作伙伴）须每 {days} 天至少面谈一次 "
                              f"key customers (grade A or strategic) are met in person every {days} days · "
                              f"面谈达标率 visit cadence rate: {rate}", fmt["subtitle"])
        kinds = [KIND_LABEL[k] for k in KINDS]
        m_at = self.block(3, 0, ["月份 Month", *kinds, "合计 Total"], data["monthly"], ["text"] + ["int"] * 5)
        am_header = ["销售经理 AM", "重点客户 Key customers", "达标 Met", "未达标 Not met", "达标率 Rate",
                     *[f"本月{k}" for k in kinds]]
        a_at = self.block(3, 7, am_header, data["am"], ["text", "int", "int", "int", "pct"] + ["int"] * 4)
        chart_row = 4 + max(len(data["monthly"]), len(data["am"])) + 1

        monthly = self.summary.chart("column", "每月拜访（按方式）Visits per month by kind", subtype="stacked")
        for offset, key in enumerate(KINDS, start=1):
            monthly.add_series({"name": KIND_LABEL[key], "categories": self.ref(m_at, 0), "values": self.ref(m_at, offset),
                                "fill": {"color": KIND_COLORS[key]}, "gap": 60})
        monthly.set_y_axis({"major_gridlines": {"visible": True, "line": {"color": "#E7E6E6"}}})
        ws.insert_chart(chart_row, 0, monthly, {"x_scale": 1.1, "y_scale": 1.0})
        cadence = self.summary.chart("bar", f"重点客户每月面谈 Key customers met in person ({days} 天 days)",
                                     subtype="stacked")
        cadence.add_series({"name": "达标 Met", "categories": self.ref(a_at, 0), "values": self.ref(a_at, 2),
                            "fill": {"color": "#70AD47"}, "gap": 60})
        cadence.add_series({"name": "未达标 Not met", "categories": self.ref(a_at, 0), "values": self.ref(a_at, 3),
                            "fill": {"color": "#E06666"}, "gap": 60})
        cadence.set_y_axis({"reverse": True})
        # whole customers on the axis (a handful per AM would otherwise step by 0.5)
        top = max((int(row[1] or 0) for row in data["am"]), default=0)
        cadence.set_x_axis({"min": 0, "major_unit": max(1, -(-top // 8)),
                            "major_gridlines": {"visible": True, "line": {"color": "#E7E6E6"}}})
        ws.insert_chart(chart_row, 7, cadence, {"x_scale": 1.1, "y_scale": 1.0})

        table_row = chart_row + 18
        table = frame_table(data["customers"], columns)
        self.long_table(table_row, table, "VisitsByCustomer", "按销售经理与客户 By account manager and customer")
        ws.set_row(table_row, header_height([c.header for c in columns], widths))
        n = len(table.rows)
        if n:
            status = 3
            first, last = table_row + 1, table_row + n
            ws.conditional_format(first, status, last, status, {
                "type": "text", "criteria": "begins with", "value": "未达标", "format": fmt["rag"]["red"]})
            ws.conditional_format(first, status, last, status, {
                "type": "text", "criteria": "begins with", "value": "达标", "format": fmt["rag"]["green"]})
