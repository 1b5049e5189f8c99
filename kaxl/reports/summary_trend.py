"""趋势 Trend: the summary tab that compares weeks (SPEC §8), written only when a history is kept.

Top to bottom: each KPI per snapshot over the last 12 against its target (the numbers, then one
native line chart per KPI: units differ, one axis each), the open findings per snapshot by
severity (a stacked column chart), time in stage per stage and the slowest projects, the
pipeline waterfall of the last week (a native stacked column chart whose invisible base makes
the bars float) with the pushed projects, and the stage matrix (stage a week ago × now).

The numbers are plain cells beside the charts, so a manager can copy them and the charts
point at them. Public XlsxWriter API only.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from kaxl.history.frames import History
from kaxl.history.pipeline import STAGE_LABELS, STEPS, stage_matrix, waterfall
from kaxl.history.trend import SEVERITIES, findings_by_severity, kpi_trend, time_in_stage
from kaxl.reports.summary_cells import FONT

SHEET = "趋势 Trend"
SEVERITY_LABELS = {"error": ("错误", "errors", "#C62828"), "warning": ("警告", "warnings", "#E0A100"),
                   "info": ("提示", "info", "#8FB3D9")}
UNIT_FORMATS = {"ratio": "pct", "yuan": "money", "days": "number", "points": "number"}
CHART_ROWS, CHART_WIDTH = 16, 440  # a KPI chart's footprint: rows of 20 px, and its width in px
CHARTS_PER_ROW = 3


def write_tab(summary: Any) -> None:
    history: History | None = getattr(summary.result, "history", None)
    if history is None or not history.dates:
        return
    TrendTab(summary, history).write()


class TrendTab:
    def __init__(self, summary: Any, history: History) -> None:
        self.s, self.history = summary, history
        self.ws = summary.add_sheet(SHEET)
        fmt = summary.fmt
        self.fmt = fmt
        f = summary.book.add_format
        self.hint = f({"font_name": FONT, "font_size": 9, "font_color": "#7F7F7F", "italic": True})
        self.matrix_fmt = {
            "forward": f({"font_name": FONT, "bg_color": "#E2EFDA", "num_format": "0", "align": "center"}),
            "back": f({"font_name": FONT, "bg_color": "#FCE4D6", "num_format": "0", "align": "center"}),
            "idle": f({"font_name": FONT, "bg_color": "#F2F2F2", "num_format": "0", "align": "center", "bold": True}),
        }
        self.row = 0

    def write(self) -> None:
        ws = self.ws
        ws.hide_gridlines(2)
        ws.set_landscape()
        ws.set_paper(9)
        ws.fit_to_pages(1, 0)  # one page wide when printed (and in the PDF the README picture comes from)
        ws.set_column(0, 0, 40)  # the longest KPI label, both languages, unclipped
        ws.set_column(1, 24, 15)
        dates = self.history.dates
        ws.write_string(0, 0, "趋势 Trend", self.fmt["title"])
        ws.write_string(1, 0, f"最近 {min(12, len(dates))} 次快照 last {min(12, len(dates))} snapshots · "
                              f"{dates[max(0, len(dates) - 12)]:%Y-%m-%d} – {dates[-1]:%Y-%m-%d}", self.fmt["subtitle"])
        self.row = 3
        self._kpis()
        self._severities()
        self._time_in_stage()
        self._waterfall()
        self._matrix()

    # -- helpers ---------------------------------------------------------------------------------
    def _section(self, zh: str, en: str) -> None:
        self.ws.write_string(self.row, 0, f"{zh} {en}", self.fmt["section"])
        self.row += 2

    def _header(self, row: int, labels: list[str], col: int = 0) -> None:
        self.ws.set_row(row, 32)
        for j, label in enumerate(labels):
            self.ws.write_string(row, col + j, label, self.fmt["header"])

    def _ref(self, r1: int, c1: int, r2: int, c2: int) -> list[Any]:
        return [SHEET, r1, c1, r2, c2]

    def _number(self, row: int, col: int, value: Any, fmt: str) -> None:
        if value is None or (isinstance(value, float) and value != value) or pd.isna(value):
            self.ws.write_blank(row, col, None, self.fmt[fmt])
        else:
            self.ws.write_number(row, col, float(value), self.fmt[fmt])

    # -- KPIs ------------------------------------------------------------------------------------
    def _kpis(self) -> None:
        trend = kpi_trend(self.history)
        meta = {k: v for k, v in (self.s.result.kpis or {}).items() if isinstance(v, dict)}
        # the KPIs with a target (aging buckets and pipeline counts are not measured against one)
        names = [n for n in trend.values.columns if trend.values[n].notna().any() and trend.targets[n].notna().any()]
        self._section("指标趋势（对标目标）", "KPIs per snapshot against target")
        if not names:
            self.ws.write_string(self.row, 0, "（无指标数据 no KPI values）", self.fmt["text"])
            self.row += 2
            return
        # one row per KPI's actual and one for its target, one column per snapshot: narrow enough
        # to print one page wide, and each chart reads its two rows
        top = self.row
        dates = trend.dates
        self._header(top, ["指标 KPI", *(f"{d:%Y-%m-%d}" for d in dates)])
        for i, day in enumerate(dates):  # real dates under the labels, for the charts' date axis
            self.ws.write_datetime(top + 1, 1 + i, day.to_pydatetime(), self.fmt["date"])
        self.ws.write_string(top + 1, 0, "快照日期 As of", self.fmt["text"])
        self.ws.set_row(top + 1, None, None, {"hidden": True})  # (charts show hidden data: show_hidden_data)
        rows: dict[str, int] = {}
        for j, name in enumerate(names):
            zh, en = self._label(name, meta)
            unit = UNIT_FORMATS.get(str((meta.get(name) or {}).get("unit", "ratio")), "number")
            r = rows[name] = top + 2 + 2 * j
            self.ws.write_string(r, 0, f"{zh} {en}", self.fmt["text"])
            self.ws.write_string(r + 1, 0, "　目标 target", self.fmt["text"])
            for i in range(len(dates)):
                self._number(r, 1 + i, trend.values[name].iloc[i], unit)
                self._number(r + 1, 1 + i, trend.targets[name].iloc[i], unit)
        self.row = top + 3 + 2 * len(names)
        cats = self._ref(top + 1, 1, top + 1, len(dates))
        for j, name in enumerate(names):
            zh, en = self._label(name, meta)
            chart = self.s.chart("line", f"{zh} {en}")
            r = rows[name]
            chart.add_series({"name": "实际 actual", "categories": cats, "values": self._ref(r, 1, r, len(dates)),
                              "line": {"color": "#1F3864", "width": 2.25},
                              "marker": {"type": "circle", "size": 5, "fill": {"color": "#1F3864"},
                                         "border": {"color": "#1F3864"}}})
            chart.add_series({"name": "目标 target", "categories": cats, "values": self._ref(r + 1, 1, r + 1, len(dates)),
                              "line": {"color": "#C62828", "width": 1.5, "dash_type": "dash"}})
            unit = str((meta.get(name) or {}).get("unit", "ratio"))
            number_format = {"ratio": "0%", "yuan": "#,##0", "days": "0", "points": "0.0"}.get(unit, "General")
            chart.set_y_axis({"num_format": number_format, "num_font": {"name": FONT, "size": 8},
                              "major_gridlines": {"visible": True, "line": {"color": "#E7E6E6"}}})
            chart.set_x_axis({"date_axis": True, "num_format": "mm-dd", "num_font": {"name": FONT, "size": 8, "rotation": -45},
                              "major_unit": 7, "major_unit_type": "days"})
            chart.show_blanks_as("span")
            chart.show_hidden_data()
            chart.set_size({"width": 420, "height": 300})
            r = self.row + (j // CHARTS_PER_ROW) * CHART_ROWS
            # placed in pixels from column A, so the grid is even whatever the columns' widths
            self.ws.insert_chart(r, 0, chart, {"x_offset": 4 + (j % CHARTS_PER_ROW) * CHART_WIDTH, "y_offset": 4})
        self.row += ((len(names) + CHARTS_PER_ROW - 1) // CHARTS_PER_ROW) * CHART_ROWS + 1

    @staticmethod
    def _label(name: str, meta: dict[str, Any]) -> tuple[str, str]:
        from kaxl.sop.kpis import LABELS

        info = meta.get(name) or {}
        zh, en, _ = LABELS.get(name, (name, name, ""))
        return str(info.get("label_zh", zh)), str(info.get("label_en", en))

    # -- findings by severity --------------------------------------------------------------------
    def _severities(self) -> None:
        table = findings_by_severity(self.history)
        self._section("未解决问题（按严重程度）", "Open findings per snapshot, by severity")
        top = self.row
        self._header(top, ["快照日期 As of", *(f"{SEVERITY_LABELS[s][0]} {SEVERITY_LABELS[s][1]}" for s in SEVERITIES),
                           "合计 total"])
        for i, (day, counts) in enumerate(table.iterrows()):
            r = top + 1 + i
            self.ws.write_datetime(r, 0, day.to_pydatetime(), self.fmt["date"])
            for j, severity in enumerate(SEVERITIES):
                self.ws.write_number(r, 1 + j, int(counts[severity]), self.fmt["int"])
            self.ws.write_number(r, 4, int(counts.sum()), self.fmt["int"])
        last = top + len(table)
        chart = self.s.chart("column", "未解决问题 Open findings", subtype="stacked")
        for j, severity in enumerate(SEVERITIES):
            zh, en, color = SEVERITY_LABELS[severity]
            chart.add_series({"name": f"{zh} {en}", "categories": self._ref(top + 1, 0, last, 0),
                              "values": self._ref(top + 1, 1 + j, last, 1 + j), "fill": {"color": color},
                              "gap": 60})
        # a text axis: one column per snapshot, not one slot per calendar day
        chart.set_x_axis({"text_axis": True, "num_format": "mm-dd", "num_font": {"name": FONT, "size": 8, "rotation": -45}})
        chart.set_y_axis({"num_font": {"name": FONT, "size": 8}, "major_gridlines": {"visible": True,
                                                                                   "line": {"color": "#E7E6E6"}}})
        chart.set_size({"width": 620, "height": 300})
        self.ws.insert_chart(top, 6, chart, {"x_offset": 10})
        self.row = max(last, top + CHART_ROWS) + 2

    # -- time in stage ---------------------------------------------------------------------------
    def _time_in_stage(self) -> None:
        tis = time_in_stage(self.history)
        self._section("阶段停留时长（进行中项目）", "Time in stage (active projects, as the snapshots saw it)")
        top = self.row
        self._header(top, ["阶段 Stage", "项目数 projects", "中位天数 median days", "最长天数 max days"])
        for i, row in enumerate(tis.per_stage.to_dict("records")):
            r = top + 1 + i
            self.ws.write_string(r, 0, f"{row['label_zh']} {row['label_en']}", self.fmt["text"])
            self.ws.write_number(r, 1, row["projects"], self.fmt["int"])
            self.ws.write_number(r, 2, row["median_days"], self.fmt["number"])
            self.ws.write_number(r, 3, row["max_days"], self.fmt["int"])
        self._header(top, ["最慢项目 Slowest", "客户 Customer", "销售经理 AM", "阶段 Stage", "自 since", "天数 days"], col=5)
        for i, row in enumerate(tis.slowest.to_dict("records")):
            r = top + 1 + i
            self.ws.write_string(r, 5, str(row["project_id"]), self.fmt["text"])
            self.ws.write_string(r, 6, _text(row["customer"]), self.fmt["text"])
            self.ws.write_string(r, 7, _text(row["account_manager"]), self.fmt["text"])
            self.ws.write_string(r, 8, STAGE_LABELS.get(row["stage"], (row["stage"], ""))[0], self.fmt["text"])
            self.ws.write_datetime(r, 9, pd.Timestamp(row["since"]).to_pydatetime(), self.fmt["date"])
            self.ws.write_number(r, 10, row["days"], self.fmt["int"])
        self.ws.write_string(top + 1 + max(len(tis.per_stage), len(tis.slowest)), 0,
                             "从首次在该阶段看到项目的快照起算 counted from the first snapshot that saw the project at its stage",
                             self.hint)
        self.row = top + max(len(tis.per_stage), len(tis.slowest)) + 3

    # -- waterfall -------------------------------------------------------------------------------
    def _waterfall(self) -> None:
        w = waterfall(self.history)
        self._section("商机瀑布（上周 → 本周）", "Pipeline waterfall (last week → this week)")
        if w.previous is None:
            self.ws.write_string(self.row, 0, "（无上周快照 no earlier snapshot）", self.fmt["text"])
            self.row += 2
            return
        top = self.row
        self._header(top, ["变动 Step", "金额 amount", "项目数 projects"])
        # hidden helper columns the floating bars are drawn from: base (no fill), rise, fall, total
        helper = 20
        self._header(top, ["base", "rise", "fall", "total"], col=helper)
        steps = [("start", f"上周 {w.previous:%m-%d} Last week", w.start, None)]
        steps += [(key, f"{'+' if sign > 0 else '−'} {zh} {en}", sign * w.parts[key], w.counts[key])
                  for key, zh, en, sign in STEPS]
        steps += [("end", f"本周 {w.as_of:%m-%d} This week", w.end, None)]
        running = 0.0
        for i, (key, label, amount, count) in enumerate(steps):
            r = top + 1 + i
            self.ws.write_string(r, 0, label, self.fmt["text"])
            self.ws.write_number(r, 1, amount, self.fmt["money"])
            if count is not None:
                self.ws.write_number(r, 2, count, self.fmt["int"])
            if key in ("start", "end"):
                base, rise, fall, total = 0.0, 0.0, 0.0, amount
                running = amount
            elif amount >= 0:
                base, rise, fall, total = running, amount, 0.0, 0.0
                running += amount
            else:
                running += amount
                base, rise, fall, total = running, 0.0, -amount, 0.0
            for j, value in enumerate((base, rise, fall, total)):
                self.ws.write_number(r, helper + j, value, self.fmt["money"])
        last = top + len(steps)
        self.ws.set_column(helper, helper + 3, None, None, {"hidden": True})
        chart = self.s.chart("column", "商机瀑布 Pipeline waterfall", subtype="stacked")
        cats = self._ref(top + 1, 0, last, 0)
        for j, (name, fill) in enumerate((("base", None), ("增加 up", "#2E7D32"), ("减少 down", "#C62828"),
                                          ("总额 total", "#1F3864"))):
            series = {"name": name, "categories": cats, "values": self._ref(top + 1, helper + j, last, helper + j),
                      "gap": 50}
            series.update({"fill": {"none": True}, "border": {"none": True}} if fill is None else {"fill": {"color": fill}})
            chart.add_series(series)
        chart.show_hidden_data()
        chart.set_legend({"none": True})
        chart.set_x_axis({"num_font": {"name": FONT, "size": 8, "rotation": -30}})
        chart.set_y_axis({"num_format": "#,##0", "num_font": {"name": FONT, "size": 8},
                          "major_gridlines": {"visible": True, "line": {"color": "#E7E6E6"}}})
        chart.set_size({"width": 620, "height": 340})
        self.ws.insert_chart(top, 4, chart, {"x_offset": 10})
        r = max(last, top + 17) + 2
        self.ws.write_string(r, 0, "预计签约日期推迟 Expected close pushed (amount stays in the pipeline)", self.fmt["section"])
        r += 2
        self._header(r, ["项目 Project", "客户 Customer", "销售经理 AM", "原日期 before", "新日期 now", "金额 amount",
                         "累计推迟 times pushed"])
        for i, row in enumerate(w.pushed.head(20).to_dict("records")):
            rr = r + 1 + i
            self.ws.write_string(rr, 0, str(row["project_id"]), self.fmt["text"])
            self.ws.write_string(rr, 1, _text(row["customer"]), self.fmt["text"])
            self.ws.write_string(rr, 2, _text(row["account_manager"]), self.fmt["text"])
            self.ws.write_datetime(rr, 3, pd.Timestamp(row["close_before"]).to_pydatetime(), self.fmt["date"])
            self.ws.write_datetime(rr, 4, pd.Timestamp(row["close_now"]).to_pydatetime(), self.fmt["date"])
            self.ws.write_number(rr, 5, row["amount_now"], self.fmt["money"])
            self.ws.write_number(rr, 6, row["times_pushed"], self.fmt["int"])
        if w.pushed.empty:
            self.ws.write_string(r + 1, 0, "（无 none）", self.fmt["text"])
        self.row = r + max(1, min(20, len(w.pushed))) + 3

    # -- stage matrix ----------------------------------------------------------------------------
    def _matrix(self) -> None:
        m = stage_matrix(self.history)
        self._section("阶段变动矩阵（行：上周 · 列：本周）", "Stage movement (rows: a week ago · columns: now)")
        top = self.row
        keys = list(m.counts.index)
        self._header(top, ["上周 \\ 本周 before \\ now", *(f"{STAGE_LABELS[k][0]} {STAGE_LABELS[k][1]}" for k in keys)])
        for i, before in enumerate(keys):
            r = top + 1 + i
            self.ws.write_string(r, 0, f"{STAGE_LABELS[before][0]} {STAGE_LABELS[before][1]}", self.fmt["header"])
            for j, now in enumerate(keys):
                kind = "idle" if i == j else ("forward" if j > i else "back")
                self.ws.write_number(r, 1 + j, int(m.counts.loc[before, now]), self.matrix_fmt[kind])
        r = top + len(keys) + 2
        self.ws.write_string(r, 0, f"推进 forward {m.total('forward')} · 回退 back {m.total('back')} · "
                                   f"未变 idle {m.total('idle')}（绿：推进 green: forward · 橙：回退 orange: back）",
                             self.fmt["text"])
        self.row = r + 2


def _text(value: Any) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return ""
    return str(value)
