"""Write real ledger .xlsx files for tests, from rows given as dicts keyed by column key.

Headers are the bilingual titles from kaxl.contract.columns (or any label the test passes), values are
written as typed: ``datetime.date`` as an Excel date, numbers as numbers, strings as strings
(``write_string``, so "=x" stays text). Sheets not given are written with headers only, so a
test states just the rows it is about.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import xlsxwriter

from kaxl.contract.columns import SHEETS, sheet

REQUIRED_ONLY = {s.key for s in SHEETS if s.required}


def write_ledger(path: str | Path, sheets: Mapping[str, Sequence[Mapping[str, Any]]], *,
                 include: Sequence[str] | None = None, titles: Mapping[str, str] | None = None,
                 header_style: str = "title", title_rows: int = 0) -> Path:
    """Write ``sheets`` ({sheet key: [row dicts]}) plus the required sheets, headers only.

    header_style: "title" (项目编号 Project ID), "zh", "en" or "key".
    title_rows: blank/title rows above the header (a report title block).
    """
    path = Path(path)
    keys = list(dict.fromkeys([*(include if include is not None else REQUIRED_ONLY), *sheets]))
    book = xlsxwriter.Workbook(str(path))
    date_format = book.add_format({"num_format": "yyyy-mm-dd"})
    for key in [s.key for s in SHEETS if s.key in keys]:
        spec = sheet(key)
        ws = book.add_worksheet((titles or {}).get(key, spec.title))
        rows = list(sheets.get(key, []))
        extra = [k for row in rows for k in row if k not in {c.key for c in spec.columns}]
        columns = [c.key for c in spec.columns] + list(dict.fromkeys(extra))
        if title_rows:
            ws.write(0, 0, f"{spec.zh}（测试台账）")
        for col, key_ in enumerate(columns):
            label = key_
            if key_ in {c.key for c in spec.columns}:
                c = spec.column(key_)
                label = {"title": c.title, "zh": c.zh, "en": c.en, "key": c.key}[header_style]
            ws.write_string(title_rows, col, label)
        for r, row in enumerate(rows, start=title_rows + 1):
            for col, key_ in enumerate(columns):
                value = row.get(key_)
                if value is not None:
                    write_cell(ws, r, col, value, date_format)
    book.close()
    return path


def write_cell(ws, row: int, col: int, value, date_format) -> None:
    """One typed cell: dates as real Excel dates, text always as text (never a number or formula)."""
    if isinstance(value, dt.datetime):
        ws.write_datetime(row, col, value, date_format)
    elif isinstance(value, dt.date):
        ws.write_datetime(row, col, dt.datetime.combine(value, dt.time()), date_format)
    elif isinstance(value, str):
        ws.write_string(row, col, value)
    else:
        ws.write(row, col, value)


def d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)
