"""Real ledger copies for the history tests: the sample ledger rewritten as people edit it
(rows re-sorted, rows inserted above), read back by kaxl like any workbook."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import xlsxwriter
from python_calamine import CalamineWorkbook

from tests.ledger_factory import write_cell

SAMPLE = Path(__file__).resolve().parents[1] / "sample_ledgers" / "kaxl-sample.xlsx"
Rows = list[list[object]]


def rewrite(src: Path, dst: Path, edit: Callable[[str, Rows], Rows] | None = None) -> Path:
    """Copy every sheet of ``src`` (header in row 1) to ``dst``, data rows passed through ``edit``.

    Values are copied as the reader sees them (a formula becomes its cached value), so the copy
    and an edited copy differ only by the edit.
    """
    book = CalamineWorkbook.from_path(str(src))
    out = xlsxwriter.Workbook(str(dst))
    date_format = out.add_format({"num_format": "yyyy-mm-dd"})
    for name in book.sheet_names:
        rows = book.get_sheet_by_name(name).to_python()
        header, body = rows[:1], [list(r) for r in rows[1:]]
        if edit is not None:
            body = edit(name, body)
        ws = out.add_worksheet(name)
        for r, row in enumerate(header + body):
            for c, value in enumerate(row):
                if value not in ("", None):
                    write_cell(ws, r, c, value, date_format)
    out.close()
    return dst


def reversed_with_blank_rows(_name: str, body: Rows) -> Rows:
    """Every sheet re-sorted (reversed) with two blank rows inserted above its data."""
    width = max((len(r) for r in body), default=1)
    return [[""] * width, [""] * width, *reversed(body)]


def as_of() -> dt.date:
    return dt.date(2026, 11, 9)
