"""The blank ledger template and the column docs, derived only from kaxl.contract.columns and kaxl.contract.settings.

Ops staff start from this workbook, so it must already *say* the contract: bilingual headers
(the reader recognises ``项目编号 Project ID ✱`` because its fold() drops the ✱), required
columns marked, dropdowns of the Chinese labels people type, date / money / ratio formats, a
Guide tab that explains every sheet, column and rule, and a Settings tab pre-filled with every
default. Nothing here lists a column by hand: a column added to :mod:`kaxl.contract.columns` appears in
the template, the Guide and ``docs/columns.md`` on the next generation.

The output is deterministic (fixed document dates; XlsxWriter fixes the zip timestamps), so the
committed ``workbook_templates/`` copy can be checked for staleness byte for byte.
"""

from __future__ import annotations

import datetime as dt
import importlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kaxl.atomic import atomic_output
from kaxl.contract.columns import SHEETS, SHEETS_BY_KEY, Column, Sheet
from kaxl.contract.rules import RULES
from kaxl.contract.settings import SETTINGS, SettingDef, format_default
from kaxl.ooxml.textwidth import display_width  # CJK and full-width characters take two units
from kaxl.reading.ledger import TYPE_ZH

TEMPLATE_NAME = "kaxl-ledger-template"
XLSX_NAME = f"{TEMPLATE_NAME}.xlsx"
XLSM_NAME = f"{TEMPLATE_NAME}.xlsm"
GUIDE_TITLE = "说明 Guide"
LISTS_TITLE = "选项 Lists"
REQUIRED_MARK = "✱"
# Fixed document date: the same definitions must give the same bytes (stale-file tests).
FIXED_CREATED = dt.datetime(2026, 1, 1, 0, 0, 0)
LAST_ROW = 1_048_575  # formats and validation cover every data row Excel has

DATE_FORMAT = "yyyy-mm-dd"
MONEY_FORMAT = "#,##0.00"
RATIO_FORMAT = "0%"
INT_FORMAT = "0"
NUMBER_FORMAT = "General"
TEXT_FORMAT = "@"  # ids keep leading zeros, and "=..." typed by a user stays text

SEVERITY_LABEL = {"error": "错误 error", "warning": "警告 warning", "info": "提示 info"}
BOOL_LABELS = ("是", "否")
HEADER_FILL = "#DDEBF7"
REQUIRED_FILL = "#F8CBAD"
GUIDE_WIDTHS = (24, 28, 20, 14, 12, 36, 10, 40, 40)

# The hook for the Excel buttons (another module): add_buttons_and_vba(workbook, cover_sheet).
XLSM_MODULE = "kaxl.vba.xlsm"

VbaHook = Callable[[Any, Any], Any]


# ----------------------------------------------------------------------------------- helpers


def header_text(column: Column) -> str:
    """``项目编号 Project ID ✱`` for required columns, ``行业 Industry`` otherwise."""
    return f"{column.title} {REQUIRED_MARK}" if column.required else column.title


def column_width(column: Column) -> float:
    """The defined width, else one fitting the longer of the two header words and the type."""
    if column.width:
        return column.width
    base = {"date": 12, "money": 14, "ratio": 9, "bool": 8, "int": 8, "enum": 10, "number": 10}.get(column.type, 12)
    words = max(display_width(column.zh), display_width(column.en))
    return float(max(base, min(words + 2, 24)))


def allowed_values(column: Column) -> str:
    """What may be typed: enum labels with their keys, yes/no spellings, or empty."""
    if column.choices:
        text = "、".join(f"{c.zh} {c.key}" if c.zh != c.key else c.key for c in column.choices)
        return text + ("（也可自由填写 / free text allowed）" if column.open_choices else "")
    if column.type == "bool":
        return "是/否 · Y/N · √/× · TRUE/FALSE"
    return ""


def value_range(column: Column) -> str:
    """``1 – 5``, ``≥ 0``, ``≤ 1`` or empty."""
    if column.min is not None and column.max is not None:
        return f"{column.min:g} – {column.max:g}"
    if column.min is not None:
        return f"≥ {column.min:g}"
    if column.max is not None:
        return f"≤ {column.max:g}"
    return ""


def reference_text(column: Column) -> str:
    if column.ref is None:
        return ""
    target = SHEETS_BY_KEY[column.ref[0]]
    ref_col = target.column(column.ref[1])
    return f"须存在于 must exist in {target.title} · {ref_col.title}"


def type_label(column: Column) -> str:
    return f"{TYPE_ZH[column.type]} {column.type}"


def _setting_note(setting: SettingDef) -> str:
    return f"{setting.zh} / {setting.en}"


# ----------------------------------------------------------------------------------- workbook


class _Formats:
    """The workbook's cell formats, created once (XlsxWriter formats belong to one workbook)."""

    def __init__(self, book: Any) -> None:
        font = {"font_name": "Microsoft YaHei", "font_size": 10}
        self.header = book.add_format({**font, "bold": True, "bg_color": HEADER_FILL, "border": 1,
                                       "text_wrap": True, "valign": "vcenter"})
        self.required = book.add_format({**font, "bold": True, "bg_color": REQUIRED_FILL, "border": 1,
                                         "text_wrap": True, "valign": "vcenter"})
        self.by_type = {
            "date": book.add_format({**font, "num_format": DATE_FORMAT}),
            "money": book.add_format({**font, "num_format": MONEY_FORMAT}),
            "ratio": book.add_format({**font, "num_format": RATIO_FORMAT}),
            "int": book.add_format({**font, "num_format": INT_FORMAT}),
            "number": book.add_format({**font, "num_format": NUMBER_FORMAT}),
            "text": book.add_format({**font, "num_format": TEXT_FORMAT}),
            "enum": book.add_format({**font}),
            "bool": book.add_format({**font, "align": "center"}),
        }
        self.title = book.add_format({**font, "bold": True, "font_size": 16})
        self.section = book.add_format({**font, "bold": True, "font_size": 12, "font_color": "#1F4E78"})
        self.wrap = book.add_format({**font, "text_wrap": True, "valign": "top", "border": 1,
                                     "border_color": "#D9D9D9"})
        self.plain = book.add_format({**font})
        self.key = book.add_format({**font, "font_name": "Consolas"})


class _Lists:
    """Dropdown sources on one hidden sheet, written last so it sits after the ledger tabs.

    A hidden sheet (not an inline ``"a,b,c"`` list) has no 255-character limit and shows the
    user exactly which values exist; identical lists share one column.
    """

    def __init__(self) -> None:
        self.columns: dict[tuple[str, ...], tuple[int, str]] = {}

    def source(self, name: str, labels: list[str]) -> str:
        key = tuple(labels)
        if key not in self.columns:
            self.columns[key] = (len(self.columns), name)
        col = self.columns[key][0]
        letter = _col_letter(col)
        return f"='{LISTS_TITLE}'!${letter}$2:${letter}${len(labels) + 1}"

    def write(self, book: Any) -> None:
        sheet = book.add_worksheet(LISTS_TITLE)
        sheet.hide()
        for labels, (col, name) in self.columns.items():
            sheet.write_string(0, col, name)
            for row, label in enumerate(labels, start=1):
                sheet.write_string(row, col, label)


def _col_letter(index: int) -> str:
    from kaxl.contract.findings import column_letter

    return column_letter(index)


def _validation(column: Column, list_source: Callable[[str, list[str]], str], sheet: Sheet) -> dict | None:
    """The data-validation rule of one column (dropdowns warn rather than stop: keys are valid too)."""
    title = column.zh[:32]
    if column.choices:
        return {"validate": "list", "source": list_source(f"{sheet.key}.{column.key}", column.dropdown()),
                "show_error": not column.open_choices, "error_type": "warning",
                "error_title": "不在列表中 Not in the list"[:32],
                "error_message": f"请从下拉列表选择 / Pick from the list: {allowed_values(column)}"[:255],
                "input_title": title, "input_message": _input_message(column)}
    if column.ref is not None:  # a dropdown of the ids the referenced sheet holds (warns only: the
        # id may live in another ledger of the portfolio)
        target = SHEETS_BY_KEY[column.ref[0]]
        letter = _col_letter(next(i for i, c in enumerate(target.columns) if c.key == column.ref[1]))
        return {"validate": "list", "source": f"='{target.title}'!${letter}$2:${letter}${LAST_ROW + 1}",
                "show_error": False, "input_title": title, "input_message": _input_message(column)}
    if column.type == "bool":
        return {"validate": "list", "source": list_source("bool", list(BOOL_LABELS)), "error_type": "warning",
                "error_title": "是/否 Yes/No", "error_message": "请填 是 或 否 / Enter 是 (yes) or 否 (no).",
                "input_title": title, "input_message": _input_message(column)}
    if column.type in ("int", "ratio") and (column.min is not None or column.max is not None):
        rule: dict[str, Any] = {"validate": "integer" if column.type == "int" else "decimal",
                                "error_type": "warning", "error_title": "超出范围 Out of range",
                                "error_message": f"范围 range: {value_range(column)}",
                                "input_title": title, "input_message": _input_message(column)}
        if column.min is not None and column.max is not None:
            rule.update(criteria="between", minimum=column.min, maximum=column.max)
        elif column.min is not None:
            rule.update(criteria=">=", value=column.min)
        else:
            rule.update(criteria="<=", value=column.max)
        return rule
    return None


def _input_message(column: Column) -> str:
    parts = [column.help_zh, column.help_en, value_range(column) and f"范围 range {value_range(column)}"]
    return " · ".join(p for p in parts if p)[:255] or column.title[:255]


def _header_comment(column: Column) -> str:
    lines = [column.title, f"类型 type: {type_label(column)}",
             "必填 required" if column.required else "选填 optional"]
    for extra in (allowed_values(column), value_range(column), reference_text(column), column.help_zh, column.help_en):
        if extra:
            lines.append(extra)
    return "\n".join(lines)


def _write_ledger_sheet(book: Any, fmt: _Formats, spec: Sheet, list_source: Callable[[str, list[str]], str]) -> Any:
    ws = book.add_worksheet(spec.title)
    ws.set_row(0, 32)
    for col, column in enumerate(spec.columns):
        ws.set_column(col, col, column_width(column), fmt.by_type[column.type])
        ws.write_string(0, col, header_text(column), fmt.required if column.required else fmt.header)
        ws.write_comment(0, col, _header_comment(column), {"x_scale": 2, "y_scale": 1.6})
        rule = _validation(column, list_source, spec)
        if rule is not None:
            ws.data_validation(1, col, LAST_ROW, col, rule)
    ws.freeze_panes(1, 0)
    ws.autofilter(0, 0, 0, len(spec.columns) - 1)
    _print_setup(ws)
    ws.repeat_rows(0)
    return ws


def _write_settings_sheet(book: Any, fmt: _Formats, spec: Sheet) -> Any:
    ws = _write_ledger_sheet(book, fmt, spec, _no_lists)
    for row, setting in enumerate(SETTINGS, start=1):
        ws.write_string(row, 0, setting.key, fmt.key)
        value = format_default(setting)
        if setting.kind in ("int", "number", "ratio"):
            ws.write_number(row, 1, float(setting.default), fmt.plain)
        else:
            ws.write_string(row, 1, value, fmt.plain)
        ws.write_string(row, 2, _setting_note(setting), fmt.plain)
    return ws


def _no_lists(name: str, labels: list[str]) -> str:  # the Settings sheet has no enum columns
    raise AssertionError(f"unexpected dropdown {name}")


def _print_setup(ws: Any) -> None:
    ws.set_landscape()
    ws.set_paper(9)  # A4
    ws.fit_to_pages(1, 0)
    ws.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.5)


def _write_guide(book: Any, fmt: _Formats, reserved_rows: int = 0) -> Any:
    ws = book.add_worksheet(GUIDE_TITLE)
    _print_setup(ws)
    for col, width in enumerate(GUIDE_WIDTHS):
        ws.set_column(col, col, width)
    row = 0
    ws.write_string(row, 0, "kaxl 大客户销售台账模板 · Key-account sales ledger template", fmt.title)
    row += 2 + reserved_rows  # the .xlsm's buttons go under the title
    intro = (
        ("每张表第 1 行是表头，从第 2 行开始每行一条记录；列的顺序可以调整，表头可写中文、英文或键名。",
         "Row 1 of each sheet is the header; one record per row from row 2. Columns may be reordered; "
         "headers may be Chinese, English or the key."),
        (f"标有 {REQUIRED_MARK} 的列（橙色表头）必填；下拉列表给出可选值，也可直接输入英文键名。",
         f"Columns marked {REQUIRED_MARK} (orange header) are required; dropdowns list the allowed values, "
         "English keys are accepted too."),
        ("日期可写 2026-03-05、2026/3/5 或 2026年3月5日；金额可写 1200000、120万 或 ¥1,200,000.00（单位：元）。",
         "Dates: 2026-03-05, 2026/3/5 or 2026年3月5日. Amounts: 1200000, 120万 or ¥1,200,000.00 (yuan)."),
        ("「参数 Settings」表列出每个 SOP 阈值及默认值，可在表中修改；「日历 Calendar」表填写公司的调休与假日。",
         "The Settings tab lists every SOP threshold with its default, editable there; the Calendar tab "
         "holds company holidays and make-up working days."),
        ("校验：kaxl check 台账.xlsx（或 Excel 中的「校验 Validate」按钮）。",
         "Check: kaxl check ledger.xlsx (or the Validate button in Excel)."),
    )
    for zh, en in intro:
        ws.write_string(row, 0, zh, fmt.plain)
        ws.write_string(row + 1, 0, en, fmt.plain)
        row += 2
    row += 1
    row = _table(ws, fmt, row, "工作表 Sheets",
                 ("工作表 Sheet", "键 Key", "必需 Required", "每行 One row per"),
                 [(s.title, s.key, "必需 required" if s.required else "可选 optional", f"{s.row_zh} / {s.row_en}")
                  for s in SHEETS])
    row = _table(ws, fmt, row, "列 Columns",
                 ("工作表 Sheet", "列标题 Header", "键 Key", "类型 Type", "必填 Required", "允许值 Allowed values",
                  "范围 Range", "说明 Help", "引用 Reference"),
                 [(spec.title, c.title, c.key, type_label(c), "必填 ✱" if c.required else "",
                   allowed_values(c), value_range(c), " / ".join(p for p in (c.help_zh, c.help_en) if p),
                   "；".join(p for p in (reference_text(c), "唯一 unique" if c.unique else "") if p))
                  for spec in SHEETS for c in spec.columns])
    row = _table(ws, fmt, row, "参数 Settings",
                 ("参数 Key", "默认值 Default", "说明", "Note"),
                 [(s.key, format_default(s), s.zh, s.en) for s in SETTINGS])
    _table(ws, fmt, row, "规则 Rules",
           ("规则 Rule", "级别 Severity", "负责 Owner", "说明", "Rule"),
           [(r.id, SEVERITY_LABEL[r.severity], r.owner_role, r.title_zh, r.title_en) for r in RULES.values()])
    return ws


def _table(ws: Any, fmt: _Formats, row: int, title: str, headers: tuple[str, ...],
           rows: list[tuple[str, ...]]) -> int:
    """A titled table on the Guide; returns the first free row after it and a blank line.

    The last column of a table spans to the Guide's last column, and each row is as tall as
    its longest wrapped cell (Excel and LibreOffice do not size wrapped rows on open).
    """
    ws.write_string(row, 0, title, fmt.section)
    row += 1
    for values, cell_format in ((headers, fmt.header), *((r, fmt.wrap) for r in rows)):
        lines = 1
        for col, text in enumerate(values):
            last = col == len(values) - 1 and col < len(GUIDE_WIDTHS) - 1
            width = sum(GUIDE_WIDTHS[col:]) if last else GUIDE_WIDTHS[col]
            lines = max(lines, -(-display_width(text) // int(width - 1)))
            if last:
                ws.merge_range(row, col, row, len(GUIDE_WIDTHS) - 1, text, cell_format)
            else:
                ws.write_string(row, col, text, cell_format)
        ws.set_row(row, 14 * lines + 2)
        row += 1
    return row + 1


def build_template(book: Any, *, reserved_rows: int = 0) -> Any:
    """Fill an XlsxWriter workbook with the template; returns the Guide (cover) worksheet.

    ``reserved_rows`` are left free under the Guide's title (for the .xlsm's buttons).
    """
    book.set_properties({"title": "kaxl 大客户销售台账 Key-account sales ledger", "author": "kaxl",
                         "created": FIXED_CREATED, "comments": "Generated by kaxl template"})
    fmt = _Formats(book)
    guide = _write_guide(book, fmt, reserved_rows)
    lists = _Lists()
    for spec in SHEETS:
        if spec.key == "settings":
            _write_settings_sheet(book, fmt, spec)
        else:
            _write_ledger_sheet(book, fmt, spec, lists.source)
    lists.write(book)
    guide.activate()
    return guide


def write_template(path: str | os.PathLike[str], *, vba: VbaHook | None = None) -> Path:
    """Write the blank ledger to ``path`` atomically; with ``vba``, an .xlsm with its buttons.

    ``vba(workbook, cover_sheet)`` is :func:`kaxl.vba.xlsm.add_buttons_and_vba` (it adds the
    VBA project and the buttons before the workbook is closed).
    """
    import xlsxwriter

    path = Path(path)
    with atomic_output(path) as tmp:
        book = xlsxwriter.Workbook(str(tmp), {"strings_to_formulas": False, "strings_to_urls": False})
        guide = build_template(book, reserved_rows=getattr(vba, "reserved_rows", 0))
        if vba is not None:
            vba(book, guide)
        book.close()
    return path


def xlsm_hook() -> VbaHook | None:
    """``kaxl.vba.xlsm.add_buttons_and_vba`` once that module exists, else None."""
    try:
        module = importlib.import_module(XLSM_MODULE)
    except ModuleNotFoundError as exc:
        if exc.name and XLSM_MODULE.startswith(exc.name):
            return None
        raise
    return getattr(module, "add_buttons_and_vba", None)


def write_templates(out_dir: str | os.PathLike[str]) -> list[Path]:
    """The .xlsx template, plus the .xlsm with the Excel buttons when the VBA module is installed."""
    out_dir = Path(out_dir)
    written = [write_template(out_dir / XLSX_NAME)]
    hook = xlsm_hook()
    if hook is not None:
        written.append(write_template(out_dir / XLSM_NAME, vba=hook))
    return written


# ----------------------------------------------------------------------------------- docs


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def columns_markdown() -> str:
    """docs/columns.md: every sheet, column, setting and rule, from the same definitions."""
    out = ["# Ledger columns 台账列", "",
           "<!-- Generated by `kaxl template --docs docs/columns.md` from kaxl/contract/columns.py, kaxl/contract/settings.py "
           "and kaxl/contract/rules.py. Do not edit by hand. -->", "",
           f"Headers may be written in Chinese, English, both (as the template does) or as the key. "
           f"{REQUIRED_MARK} = required.", ""]
    out += ["## Sheets 工作表", "", "| sheet | key | required | one row per |", "|---|---|---|---|"]
    out += [f"| {s.title} | `{s.key}` | {'yes' if s.required else 'no'} | {s.row_zh} / {s.row_en} |" for s in SHEETS]
    for spec in SHEETS:
        out += ["", f"## {spec.title} (`{spec.key}`)", "", f"{spec.row_zh} · {spec.row_en}", ""]
        if spec.unique_together:
            out += [f"Unique together: {', '.join(f'`{k}`' for k in spec.unique_together)}.", ""]
        out += ["| column | key | type | required | allowed values / range | notes |", "|---|---|---|---|---|---|"]
        for c in spec.columns:
            allowed = " ".join(p for p in (allowed_values(c), value_range(c)) if p)
            notes = "; ".join(p for p in (c.help_zh, c.help_en, reference_text(c), "unique" if c.unique else "") if p)
            out.append(f"| {_md(c.title)} | `{c.key}` | {type_label(c)} | {REQUIRED_MARK if c.required else ''} | "
                       f"{_md(allowed)} | {_md(notes)} |")
    out += ["", "## Settings 参数", "", "| key | default | 说明 | note |", "|---|---|---|---|"]
    out += [f"| `{s.key}` | `{format_default(s)}` | {_md(s.zh)} | {_md(s.en)} |" for s in SETTINGS]
    out += ["", "## Rules 规则", "", "| rule | severity | owner | 说明 | rule |", "|---|---|---|---|---|"]
    out += [f"| {r.id} | {r.severity} | {r.owner_role} | {_md(r.title_zh)} | {_md(r.title_en)} |" for r in RULES.values()]
    return "\n".join(out) + "\n"


def write_docs(path: str | os.PathLike[str]) -> Path:
    """Write :func:`columns_markdown` to ``path`` atomically."""
    path = Path(path)
    with atomic_output(path) as tmp:
        tmp.write_text(columns_markdown(), encoding="utf-8", newline="\n")
    return path
