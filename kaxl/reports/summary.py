"""`kaxl summary`: the managers' workbook, written with XlsxWriter.

Native Excel objects (tables with filters, charts, conditional formats, hyperlinks) over
plain values — no formulas a manager could break by sorting. Ledger text is written with
``write_string`` and the workbook is opened with ``strings_to_formulas`` off, so a customer
typed as ``=HYPERLINK(...)`` stays text (SPEC §6). The numbers come from
:mod:`kaxl.reports.summary_data`; this module only lays them out.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib
import os
import unicodedata
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import xlsxwriter

from kaxl import __version__
from kaxl.atomic import atomic_output
from kaxl.reports import summary_data as data
from kaxl.reports.summary_cells import DATA_FORMATS, FONT, Block, write_blocks
from kaxl.reports.summary_data import Table

NAVY, GREY = "#1F3864", "#F2F2F2"
RAG_FILL = {"green": "#C6EFCE", "amber": "#FFEB9C", "red": "#FFC7CE", "grey": "#EDEDED"}
RAG_FONT = {"green": "#006100", "amber": "#9C5700", "red": "#9C0006", "grey": "#595959"}  # grey: no value
# Modules adding tabs after the core ones, each with ``write_tab(summary: Summary) -> None``
# (it adds its sheets with :meth:`Summary.add_sheet`, so they sit before the About tab).
TAB_MODULES: tuple[str, ...] = ("kaxl.reports.summary_field",  # 线索 Leads, 拜访 Visits: only with those sheets
                             "kaxl.reports.summary_aftersale",  # 交付 Delivery, 客户健康 Health, 问题 Issues: with those sheets
                             "kaxl.reports.summary_trend")  # 趋势 Trend: only with a history


def write_summary(result, out_path: str | os.PathLike[str], *, sources: Sequence[str] | None = None,
                  generated_at: dt.datetime | None = None) -> Path:
    """Write the summary workbook of ``result`` to ``out_path`` atomically and return the path."""
    out_path = Path(out_path)
    files = [str(s) for s in (sources if sources is not None else result.ledger.files)]
    generated_at = generated_at or dt.datetime.now().astimezone()
    with atomic_output(out_path) as tmp:  # (names out_path in any error, moves into place at the end)
        frame = tmp.with_name(tmp.name + ".frame.xlsx")  # XlsxWriter's part; the rows go in after
        try:
            book = xlsxwriter.Workbook(str(frame), {
                "strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False,
                "default_date_format": "yyyy-mm-dd", "remove_timezone": True, "in_memory": True})
            # (not constant_memory: it cannot hold tables; in_memory skips temp files per sheet)
            try:
                summary = Summary(book, result, out_path, files, generated_at)
                summary.write()
            finally:
                book.close()
            write_blocks(frame, tmp, summary.blocks)
        finally:
            frame.unlink(missing_ok=True)
    return out_path


class Summary:
    """The summary being written; tab modules (:data:`TAB_MODULES`) use ``book``, ``result``, ``fmt``,
    :meth:`add_sheet`, :meth:`table` and :meth:`chart`."""

    def __init__(self, book: xlsxwriter.Workbook, result, out_path: Path, files: list[str],
                 generated_at: dt.datetime) -> None:
        self.book, self.result, self.out_path, self.files, self.generated_at = book, result, out_path, files, generated_at
        book.set_properties({"title": "大客户销售汇总 KA summary", "author": "kaxl", "comments": f"kaxl {__version__}",
                             "created": generated_at.replace(tzinfo=None)})
        f = book.add_format
        base = DATA_FORMATS["text"]
        self.blocks: list[Block] = []  # the tables' data rows, written after XlsxWriter (write_blocks)
        self.fmt = {
            **{key: f(spec) for key, spec in DATA_FORMATS.items()},
            "header": f({**base, "bold": True, "font_color": "white", "bg_color": NAVY, "text_wrap": True,
                         "valign": "vcenter", "border": 1, "border_color": "#BFBFBF"}),
            "title": f({"font_name": FONT, "font_size": 18, "bold": True, "font_color": NAVY}),
            "subtitle": f({"font_name": FONT, "font_size": 10, "font_color": "#595959"}),
            "section": f({"font_name": FONT, "font_size": 12, "bold": True, "font_color": NAVY, "bottom": 2,
                          "bottom_color": NAVY}),
        }
        for status, fill in RAG_FILL.items():
            tile = {"font_name": FONT, "bg_color": fill, "align": "center", "valign": "vcenter"}
            self.fmt[f"tile_label_{status}"] = f({**tile, "font_size": 10, "bold": True, "text_wrap": True,
                                                   "font_color": "#262626", "top": 2, "left": 2, "right": 2,
                                                   "top_color": RAG_FONT[status], "left_color": RAG_FONT[status],
                                                   "right_color": RAG_FONT[status]})
            self.fmt[f"tile_status_{status}"] = f({**tile, "font_size": 10, "bold": True,
                                                    "font_color": RAG_FONT[status], "bottom": 2, "left": 2, "right": 2,
                                                    "bottom_color": RAG_FONT[status], "left_color": RAG_FONT[status],
                                                    "right_color": RAG_FONT[status]})
            self.fmt[f"tile_target_{status}"] = f({**tile, "font_size": 9, "font_color": "#404040", "left": 2,
                                                    "right": 2, "left_color": RAG_FONT[status],
                                                    "right_color": RAG_FONT[status]})
            for unit, num in (("ratio", "0.0%"), ("days", '0 "天"'), ("yuan", "¥#,##0"), ("points", '0.0 "分"')):
                self.fmt[f"tile_value_{status}_{unit}"] = f({**tile, "font_size": 22, "bold": True,
                                                              "font_color": RAG_FONT[status], "num_format": num,
                                                              "left": 2, "right": 2, "left_color": RAG_FONT[status],
                                                              "right_color": RAG_FONT[status]})
        self.rag_specs = {s: {**base, "bg_color": RAG_FILL[s], "font_color": RAG_FONT[s]} for s in RAG_FILL}
        self.fmt["rag"] = {s: f(spec) for s, spec in self.rag_specs.items()}
        self._targets: dict[str, str] = {}  # ledger file -> its path relative to the summary

    # ------------------------------------------------------------------------------------------
    def write(self) -> None:
        """Every tab, in the order the manager reads them."""
        dashboard = self.book.add_worksheet("概览 Dashboard")
        alerts = self.book.add_worksheet("预警 Alerts")
        projects = self.book.add_worksheet("项目 Projects")
        deductions = self.book.add_worksheet("扣分 Deductions")
        receivables = self.book.add_worksheet("回款 Receivables")
        managers = self.book.add_worksheet("销售经理 Managers")
        findings = self.book.add_worksheet("校验 Findings")
        r = self.result
        self.table(alerts, data.alerts_table(r.alerts), "Alerts", "预警 Alerts — 按严重程度与截止日期排序 by severity and due date")
        # the check's findings are in the tab's order already (run_check sorts them by sort_key)
        self.table(findings, data.findings_table(r.findings), "Findings",
                   "校验 Findings — 点击单元格地址打开台账 click a cell to open the ledger",
                   links={"cell": [self._ledger_link(f) for f in r.findings]})
        self._dashboard(dashboard)
        project_table, first_deduction = data.projects_table(r.projects, r.deductions)
        self.table(projects, project_table, "Projects", "项目 Projects — 评分、分级、覆盖率与下一节点 scores, grade, coverage, next node",
                    links={"deductions_label": [None if i is None else f"internal:'扣分 Deductions'!A{i + 4}"
                                                for i in first_deduction]})
        self._project_formats(projects, project_table)
        self.table(deductions, data.deductions_table(r.deductions), "Deductions",
                    "扣分明细 Process-score deductions — 每项指向台账单元格 each points at its ledger cell")
        receivable_table = data.receivables_table(r.receivables)
        self.table(receivables, receivable_table, "Receivables",
                    "回款 Receivables — 未结清的期次：账龄与升级 open installments: aging and escalation")
        self._receivable_formats(receivables, receivable_table)
        columns, rows = data.manager_rows(r.kpis_by_manager, data.second_wave_tiles(r))
        self.table(managers, Table(columns, rows), "Managers", "销售经理 Managers — 各项指标 KPIs per account manager",
                    rag_columns=[i for i, c in enumerate(columns) if c.key.endswith("_status")])
        if max(len(c.header) for c in columns) > 30:  # the second wave's long bilingual KPI names: 4 lines
            managers.set_row(2, 60)
        for name in TAB_MODULES:  # the optional sheets' tabs (SPEC §7) and the history's trend tab
            importlib.import_module(name).write_tab(self)
        self._about(self.book.add_worksheet("说明 About"))
        dashboard.activate()

    # -- dashboard ------------------------------------------------------------------------------
    def _dashboard(self, ws) -> None:
        r, fmt = self.result, self.fmt
        ws.hide_gridlines(2)
        ws.set_landscape()
        ws.set_paper(9)
        ws.fit_to_pages(1, 0)
        ws.set_column(0, 0, 2)
        ws.set_column(1, 15, 12.5)
        ws.write_string(0, 1, "大客户销售 SOP 汇总 · Key-account summary", fmt["title"])
        sources = "、".join(Path(f).name for f in self.files) or "—"
        ws.write_string(1, 1, f"截至 As of {r.as_of:%Y-%m-%d} · 台账 Ledger: {sources} · "
                              f"生成于 generated {self.generated_at:%Y-%m-%d %H:%M}", fmt["subtitle"])
        counts = {s: sum(1 for f in r.findings if f.severity == s) for s in ("error", "warning", "info")}
        ws.write_string(2, 1, f"校验问题 Findings: {counts['error']} 错误 errors · {counts['warning']} 警告 warnings · "
                              f"{counts['info']} 提示 notes · 预警 alerts: {len(r.alerts)}", fmt["subtitle"])
        rows_of_tiles = [list(data.TILE_KPIS)]
        if second := data.second_wave_tiles(r):  # SPEC §7's KPIs, a second row when their sheets are kept
            rows_of_tiles.append(second)
        for n, keys in enumerate(rows_of_tiles):
            self._tiles(ws, 4 + 5 * n, keys)
        shift = 5 * (len(rows_of_tiles) - 1)  # the charts and their data move down under the tiles
        if (last := 3 * max(map(len, rows_of_tiles)) - 1) > 15:  # six tiles: two more columns
            ws.set_column(16, last, 12.5)

        # chart data: small visible tables under the charts (managers copy them into slides)
        top = 43 + shift
        ws.write_string(top - 1, 1, "图表数据 Chart data（金额单位：万元 amounts in 10k yuan）", fmt["section"])
        ws.set_row(top, 30)
        tenk = self.book.add_format({"font_name": FONT, "font_size": 10, "num_format": "#,##0.0"})
        blocks = [
            ("pipeline", ["阶段 Stage", "项目数 Count", "金额 Amount"], [fmt["int"], tenk], data.pipeline_rows(r.kpis)),
            ("aging", ["账龄 Aging", "未收 Outstanding"], [tenk], data.aging_rows(r.kpis)),
            ("monthly", ["月份 Month", "应收 Due", "实收 Received", "按期 On time"], [tenk] * 3,
             data.monthly_collection_rows(r.receivables, r.as_of)),
            ("grades", ["分级 Grade", "项目数 Projects"], [fmt["int"]], data.grade_rows(r.projects)),
        ]
        where: dict[str, tuple[int, int, int]] = {}  # name -> (first data row, first col, rows)
        col = 1
        for name, header, _, rows in blocks:
            for j, h in enumerate(header):
                ws.write_string(top, col + j, h, fmt["header"])
            where[name] = (top + 1, col, len(rows))
            col += len(header) + 1
        for i in range(1, max(len(b[3]) for b in blocks) + 1):
            for name, _, number_formats, rows in blocks:
                if i > len(rows):
                    continue
                first_col = where[name][1]
                row = rows[i - 1]
                ws.write_string(top + i, first_col, str(row[0]), fmt["text"])
                for j, (value, number_format) in enumerate(zip(row[1:], number_formats), start=1):
                    ws.write_number(top + i, first_col + j, value, number_format)
        sheet = "'概览 Dashboard'"

        def ref(name: str, offset: int) -> list:
            first, c, n = where[name]
            return [sheet.strip("'"), first, c + offset, first + n - 1, c + offset]

        chart = self.chart
        axis_font = {"name": FONT, "size": 9}
        pipeline = chart("column", "在跟项目按阶段 Pipeline by stage")
        pipeline.add_series({"name": "项目数 Count", "categories": ref("pipeline", 0), "values": ref("pipeline", 1),
                             "fill": {"color": NAVY}, "data_labels": {"value": True, "font": axis_font}})
        amount = chart("line", "")
        amount.add_series({"name": "金额（万元）Amount (10k ¥)", "categories": ref("pipeline", 0),
                           "values": ref("pipeline", 2), "y2_axis": True, "marker": {"type": "circle"},
                           "line": {"color": "#ED7D31", "width": 2.25}})
        pipeline.combine(amount)
        pipeline.set_x_axis({"num_font": axis_font})
        pipeline.set_y_axis({"name": "项目数 count", "name_font": axis_font, "num_font": axis_font,
                             "major_gridlines": {"visible": True, "line": {"color": "#E7E6E6"}}})
        amount.set_y2_axis({"name": "万元 10k ¥", "name_font": axis_font, "num_font": axis_font})

        aging = chart("column", "应收账龄 Receivables aging（万元）")
        aging.add_series({"name": "未收 Outstanding", "categories": ref("aging", 0), "values": ref("aging", 1),
                          "points": [{"fill": {"color": c}} for c in ("#A9D18E", "#FFD966", "#F4B183", "#E06666", "#990000")],
                          "data_labels": {"value": True, "num_format": "#,##0", "font": axis_font}})
        aging.set_legend({"none": True})
        aging.set_x_axis({"num_font": axis_font})
        aging.set_y_axis({"num_font": axis_font, "major_gridlines": {"visible": True, "line": {"color": "#E7E6E6"}}})

        monthly = chart("column", "每月回款 Monthly collection（万元）")
        for offset, (name, color) in enumerate((("应收 Due", "#BDD7EE"), ("实收 Received", NAVY),
                                                ("按期 On time", "#70AD47")), start=1):
            monthly.add_series({"name": name, "categories": ref("monthly", 0), "values": ref("monthly", offset),
                                "fill": {"color": color}, "gap": 80})
        monthly.set_x_axis({"num_font": {**axis_font, "rotation": -45}})
        monthly.set_y_axis({"num_font": axis_font, "major_gridlines": {"visible": True, "line": {"color": "#E7E6E6"}}})

        grades = chart("doughnut", "客户分级 Grade mix")
        grades.add_series({"name": "项目数 Projects", "categories": ref("grades", 0), "values": ref("grades", 1),
                           "points": [{"fill": {"color": c}} for c in (NAVY, "#5B9BD5", "#BDD7EE")],
                           "data_labels": {"value": True, "category": False, "font": {**axis_font, "bold": True}}})
        grades.set_hole_size(50)

        size = {"x_scale": 1.08, "y_scale": 1.0}
        ws.insert_chart(9 + shift, 1, pipeline, {**size, "x_offset": 0, "y_offset": 6})
        ws.insert_chart(9 + shift, 8, aging, {**size, "x_offset": 10, "y_offset": 6})
        ws.insert_chart(25 + shift, 1, monthly, {**size, "x_offset": 0, "y_offset": 6})
        ws.insert_chart(25 + shift, 8, grades, {**size, "x_offset": 10, "y_offset": 6})

    def _tiles(self, ws, top: int, keys: Sequence[str]) -> None:
        """One row of KPI tiles from row ``top`` (label, value, target, status; 2 columns each, 1 apart),
        coloured by RAG status; a KPI with no value (nothing due yet) is grey and shows —, never 0 %."""
        r, fmt = self.result, self.fmt
        labels = [str((r.kpis.get(key) or {}).get("label_en", "")) for key in keys]
        label_height = 44 if max(map(len, labels), default=0) > 32 else 30  # a long label wraps to 3 lines
        for row, height in zip(range(top, top + 4), (label_height, 40, 18, 18)):
            ws.set_row(row, height)
        tiles = []
        for i, key in enumerate(keys):
            kpi = r.kpis.get(key) or {}
            status = "grey" if kpi.get("value") is None else kpi.get("status") if kpi.get("status") in RAG_FILL \
                else "amber"
            tiles.append((1 + i * 3, kpi, status))
        for col, kpi, status in tiles:
            ws.merge_range(top, col, top, col + 1, f"{kpi.get('label_zh', '')}\n{kpi.get('label_en', '')}",
                           fmt[f"tile_label_{status}"])
        for col, kpi, status in tiles:
            value_format = fmt[f"tile_value_{status}_{kpi.get('unit', 'ratio')}"]
            if kpi.get("value") is None:
                ws.merge_range(top + 1, col, top + 1, col + 1, "—", value_format)
            else:
                ws.merge_range(top + 1, col, top + 1, col + 1, "", value_format)
                ws.write_number(top + 1, col, float(kpi["value"]), value_format)
        for col, kpi, status in tiles:
            ws.merge_range(top + 2, col, top + 2, col + 1, f"目标 target {_show(kpi.get('target'), kpi.get('unit'))}",
                           fmt[f"tile_target_{status}"])
        for col, _kpi, status in tiles:
            ws.merge_range(top + 3, col, top + 3, col + 1, data.STATUS_RAG.get(status, status),
                           fmt[f"tile_status_{status}"])

    def chart(self, kind: str, title: str, subtype: str | None = None):
        """A native chart in the summary's look (title, legend at the bottom, light border)."""
        c = self.book.add_chart({"type": kind, **({"subtype": subtype} if subtype else {})})
        c.set_title({"name": title, "name_font": {"name": FONT, "size": 11, "bold": True, "color": NAVY}})
        c.set_legend({"position": "bottom", "font": {"name": FONT, "size": 9}})
        c.set_chartarea({"border": {"color": "#D9D9D9"}})
        return c

    def add_sheet(self, title: str):
        """A new tab (after the core ones; 说明 About is added last)."""
        return self.book.add_worksheet(title)

    # -- a tab of rows ---------------------------------------------------------------------------
    def table(self, ws, table: Table, name: str, title: str, *, links: dict[str, list[str | None]] | None = None,
              rag_columns: Sequence[int] = ()) -> None:
        """A titled Excel table of ``table``'s rows: the header, range and filters by XlsxWriter, the
        rows by :mod:`kaxl.reports.summary_cells` (text always as text). ``links``: column key →
        an XlsxWriter-style URL per row ("internal:'Sheet'!A5", "external:path#cell");
        ``rag_columns``: columns whose 绿/黄/红 labels are coloured."""
        ws.write_string(0, 0, title, self.fmt["section"])
        header_row = 2
        self.table_rows(ws, table, name, header_row, links=links, rag_columns=rag_columns)
        self._finish_table(ws, table, header_row)

    def table_rows(self, ws, table: Table, name: str, header_row: int, *,
                   links: dict[str, list[str | None]] | None = None, rag_columns: Sequence[int] = ()) -> None:
        """The Excel table of ``table`` with its header at ``header_row``: declared by XlsxWriter
        over the header and one row, the rows written after by :mod:`kaxl.reports.summary_cells`
        (every tab's tables, the optional sheets' included, go through here)."""
        fmt = self.fmt
        ws.set_row(header_row, 30)
        ncols = len(table.columns)
        # The table is declared over the header and one row: XlsxWriter checks every cell of a
        # table's range against the others' (a million dict entries at 20k projects, 1 s); the
        # range is widened to the rows with them (summary_cells).
        ws.add_table(header_row, 0, header_row + 1, ncols - 1, {
            "name": name, "style": "Table Style Light 9", "autofilter": True,
            "columns": [{"header": c.header, "header_format": fmt["header"]} for c in table.columns]})
        if not table.rows:
            ws.write_string(header_row + 1, 0, "（无 none）", fmt["text"])
            return
        wrapped = [(j, c.width or 40.0) for j, c in enumerate(table.columns) if (c.width or 0) >= 40]
        # Excel does not grow rows for wrapped text on open: set the height
        heights = _heights(table.rows, wrapped) if wrapped else None
        rag = {label: self.rag_specs[status] for status, label in data.STATUS_RAG.items()}
        self.blocks.append(Block(
            ws.get_name(), name, header_row + 2, table.rows,
            ["wrap" if (c.width or 0) >= 40 else c.kind if c.kind in DATA_FORMATS else "text" for c in table.columns],
            [c.kind in ("number", "money", "pct", "ratio", "int", "date") for c in table.columns],
            links={i: links[c.key] for i, c in enumerate(table.columns) if links and c.key in links},
            value_formats={j: rag for j in rag_columns}, heights=heights))

    def _finish_table(self, ws, table: Table, header_row: int) -> None:
        for j, column in enumerate(table.columns):
            ws.set_column(j, j, column.width or (12 if column.kind == "date" else
                                               _fit(column.header, (row[j] for row in table.rows[:200]))))
        ws.freeze_panes(header_row + 1, 1)
        ws.set_landscape()
        ws.set_paper(9)
        ws.fit_to_pages(1, 0)
        ws.repeat_rows(header_row)
        ws.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.5)

    def _project_formats(self, ws, table: Table) -> None:
        if not table.rows:
            return
        keys = [c.key for c in table.columns]
        first, last = 3, 2 + len(table.rows)
        pct = keys.index("process_pct")
        ws.conditional_format(first, pct, last, pct, {"type": "data_bar", "bar_color": "#5B9BD5", "data_bar_2010": False,
                                                      "min_type": "num", "min_value": 0, "max_type": "num",
                                                      "max_value": 1})
        coverage = keys.index("coverage")
        ws.conditional_format(first, coverage, last, coverage, {"type": "3_color_scale", "min_color": "#F8696B",
                                                                "mid_color": "#FFEB84", "max_color": "#63BE7B",
                                                                "min_type": "num", "min_value": 0, "mid_type": "num",
                                                                "mid_value": 0.5, "max_type": "num", "max_value": 1})
        due = keys.index("next_due")
        as_of = dt.datetime.combine(self.result.as_of, dt.time())
        ws.conditional_format(first, due, last, due, {"type": "date", "criteria": "less than", "value": as_of,
                                                      "format": self.fmt["rag"]["red"]})
        grade = keys.index("grade")
        for letter, status in (("A", "green"), ("B", "amber"), ("C", "red")):
            ws.conditional_format(first, grade, last, grade, {"type": "cell", "criteria": "==", "value": f'"{letter}"',
                                                              "format": self.fmt["rag"][status]})

    def _receivable_formats(self, ws, table: Table) -> None:
        if not table.rows:
            return
        keys = [c.key for c in table.columns]
        first, last = 3, 2 + len(table.rows)
        days = keys.index("days_overdue")
        ws.conditional_format(first, days, last, days, {"type": "cell", "criteria": ">", "value": 90,
                                                        "format": self.fmt["rag"]["red"]})
        ws.conditional_format(first, days, last, days, {"type": "cell", "criteria": ">", "value": 0,
                                                        "format": self.fmt["rag"]["amber"]})
        level = keys.index("escalation_level")
        ws.conditional_format(first, level, last, level, {"type": "data_bar", "bar_color": "#E06666", "data_bar_2010": False,
                                                          "min_type": "num", "min_value": 0, "max_type": "num",
                                                          "max_value": 4})

    def _ledger_link(self, finding) -> str | None:
        """external:..\\台账.xlsx#'Sheet'!F12 — relative to the summary, so a folder can be moved."""
        if not finding.file or not finding.cell or "!" not in finding.cell:
            return None
        target = self._targets.get(finding.file)
        if target is None:
            ledger = Path(finding.file).resolve()
            try:
                target = os.path.relpath(ledger, self.out_path.resolve().parent)
            except ValueError:  # another drive on Windows
                target = str(ledger)
            self._targets[finding.file] = target
        return f"external:{target}#{finding.cell}"

    # -- about ------------------------------------------------------------------------------------
    def _about(self, ws) -> None:
        fmt = self.fmt
        ws.set_column(0, 0, 28)
        ws.set_column(1, 1, 70)
        ws.set_column(2, 2, 14)
        ws.write_string(0, 0, "说明 About this workbook", fmt["section"])
        facts = [
            ("截至日期 As of", f"{self.result.as_of:%Y-%m-%d}"),
            ("生成时间 Generated at", f"{self.generated_at:%Y-%m-%d %H:%M:%S %z}".strip()),
            ("kaxl 版本 version", __version__),
            ("项目数 Projects", str(len(self.result.projects))),
            ("校验问题 Findings", str(len(self.result.findings))),
            ("预警 Alerts", str(len(self.result.alerts))),
        ]
        for i, (label, value) in enumerate(facts, start=2):
            ws.write_string(i, 0, label, fmt["text"])
            ws.write_string(i, 1, value, fmt["text"])
        row = len(facts) + 3
        for j, h in enumerate(["源文件 Source file", "SHA-256", "大小 Size (bytes)"]):
            ws.write_string(row, j, h, fmt["header"])
        for i, file in enumerate(self.files, start=row + 1):
            path = Path(file)
            ws.write_string(i, 0, str(path), fmt["text"])
            if path.is_file():
                ws.write_string(i, 1, _sha256(path), fmt["text"])
                ws.write_number(i, 2, path.stat().st_size, fmt["int"])
            else:
                ws.write_string(i, 1, "（文件不存在 file not found）", fmt["text"])
        row += len(self.files) + 2
        notes = [
            "本工作簿由 kaxl 根据大客户台账生成，数值为计算结果（非公式），台账是唯一数据源：请在台账中修改后重新生成。",
            "Generated by kaxl from the KA ledger. Values, not formulas: the ledger is the source of truth — fix it "
            "there and generate again.",
            "「校验 Findings」中的单元格地址可点击打开台账对应单元格（台账须与本文件保持相对位置）。",
            "Cell addresses in Findings open the ledger at that cell (keep the ledger where it was relative to this file).",
        ]
        for i, note in enumerate(notes, start=row):
            ws.write_string(i, 0, note, fmt["text"])


def _lines(value: Any, width: float) -> int:
    """Lines a wrapped text needs in a column ``width`` characters wide (CJK counts 2).

    Estimated from the UTF-8 length (CJK is 3 bytes and 2 columns, ASCII 1 and 1), which is
    exact for the two scripts ledgers use and needs no per-character lookup on 20k rows.
    """
    if not isinstance(value, str) or not value:
        return 1
    chars = len(value)
    columns = chars + (len(value.encode("utf-8")) - chars) / 2
    return min(int(columns // max(width - 2, 1)) + 1 + value.count("\n"), 15)


def _heights(rows: Sequence[Sequence[Any]], wrapped: Sequence[tuple[int, float]]) -> list[float | None]:
    """Each row's height for its wrapped columns: :func:`_lines` of every row, a column at a time
    (the lengths taken by C-level ``map`` and combined in numpy, not a Python call per cell)."""
    import numpy as np

    lines = np.ones(len(rows), dtype=np.int64)
    for j, width in wrapped:
        texts = [v if v.__class__ is str else "" for v in (row[j] for row in rows)]
        chars = np.fromiter(map(len, texts), dtype=np.float64, count=len(texts))
        encoded = np.fromiter(map(len, map(str.encode, texts)), dtype=np.float64, count=len(texts))
        breaks = np.fromiter(map(str.count, texts, ["\n"] * len(texts)), dtype=np.int64, count=len(texts))
        columns = chars + (encoded - chars) / 2
        lines = np.maximum(lines, np.minimum((columns // max(width - 2, 1)).astype(np.int64) + 1 + breaks, 15))
    return [13.5 * int(n) if n > 1 else None for n in lines]


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _show(value: Any, unit: str | None) -> str:
    if value is None:
        return "—"
    if unit == "ratio":
        return f"{float(value):.0%}"
    if unit == "days":
        return f"{float(value):g} 天 days"
    if unit == "yuan":
        return f"¥{float(value):,.0f}"
    if unit == "points":
        return f"{float(value):g} 分 points"
    return f"{value}"


def _fit(header: str, values) -> float:
    """Column width from the header's longest line and the first rows (CJK characters count 2)."""
    def width(text: str) -> int:
        return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)

    longest = max((width(part) for part in header.split(" ")), default=8)
    longest = max(longest, min(width(header), 16))
    for value in values:
        if value is not None:
            text = f"{value:%Y-%m-%d}" if isinstance(value, dt.datetime) else (
                f"{value:,.0f}" if isinstance(value, float) else str(value))
            longest = max(longest, width(text))
    return float(min(max(longest + 2, 8), 50))
