"""Writing sample rows to an .xlsx with XlsxWriter (constant memory: 250k rows stay fast and small)."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

from kaxl.contract.columns import SHEETS
from kaxl.samples.model import Formula


def write_sample(rows: dict[str, list[dict[str, Any]]], path: str | os.PathLike[str], *,
                 core_only: bool = False) -> Path:
    """Write sample rows to an .xlsx (XlsxWriter, constant memory: 250k rows stay fast and small).

    Every sheet of the contract gets a tab (an optional one with only its header when it has no
    rows), except with ``core_only``: then SPEC §7's optional sheets are left out altogether.

    Headers are the template's (bilingual, ✱ on required columns); keys not in a sheet's
    columns become extra columns with that header (the SCH-009 mistake). Strings are always
    written as strings, so ledger text never becomes a formula.
    """
    import xlsxwriter

    from kaxl.atomic import atomic_output
    from kaxl.reports.template import FIXED_CREATED, column_width, header_text

    path = Path(path)
    with atomic_output(path) as tmp:
        book = xlsxwriter.Workbook(str(tmp), {"constant_memory": True, "strings_to_formulas": False,
                                              "strings_to_urls": False, "strings_to_numbers": False})
        book.set_properties({"title": "kaxl 示例台账 Sample ledger", "author": "kaxl sample",
                             "created": FIXED_CREATED})
        header = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
        date_fmt = book.add_format({"num_format": "yyyy-mm-dd"})
        formats = {"date": date_fmt, "money": book.add_format({"num_format": "#,##0.00"}),
                   "ratio": book.add_format({"num_format": "0%"})}
        for spec in SHEETS:
            if core_only and spec.optional:
                continue
            data = rows.get(spec.key, [])
            keys = [c.key for c in spec.columns]
            known = set(keys)
            extra = list(dict.fromkeys(k for row in data for k in row if k not in known))
            ws = book.add_worksheet(spec.title)
            for col, column in enumerate(spec.columns):
                ws.set_column(col, col, column_width(column), formats.get(column.type))
                ws.write_string(0, col, header_text(column), header)
            for offset, name in enumerate(extra, start=len(keys)):
                ws.set_column(offset, offset, 16)
                ws.write_string(0, offset, name, header)
            ws.freeze_panes(1, 0)
            ws.autofilter(0, 0, max(len(data), 1), len(keys) + len(extra) - 1)
            _write_rows(ws, data, keys + extra, date_fmt)
        book.close()
    return path


_EXCEL_EPOCH = dt.date(1899, 12, 30)


def _write_rows(ws: Any, data: list[dict[str, Any]], keys: list[str], date_fmt: Any) -> None:
    """The cells through XlsxWriter's typed writers, dates as serial numbers."""
    write_string, write_number, write_boolean = ws.write_string, ws.write_number, ws.write_boolean
    epoch = _EXCEL_EPOCH
    for r, row in enumerate(data, start=1):
        for col, key in enumerate(keys):
            value = row.get(key)
            if value is None:
                continue
            kind = type(value)
            if kind is str:
                write_string(r, col, value, None)
            elif kind is bool:
                write_boolean(r, col, value, None)
            elif kind is int or kind is float:
                write_number(r, col, value, None)
            elif kind is dt.date:
                write_number(r, col, (value - epoch).days, date_fmt)
            elif isinstance(value, Formula):
                ws.write_formula(r, col, value.formula, None, value.cached)
            elif isinstance(value, dt.datetime):
                ws.write_datetime(r, col, value, date_fmt)
            else:
                ws.write(r, col, value)


