"""The Excel side of the buttons: read the open workbook in bulk, write results through Excel.

Why through Excel and not by editing the file: the workbook is open, possibly unsaved, and
holds things no Python library round-trips (VBA, buttons, pivots). Excel itself writes them.

Call budget (the user waits on every COM round trip):
- reads: one bulk ``.value`` per sheet, plus one for the hidden marks sheet;
- writes: one bulk ``.value`` per output tab; fills grouped by severity into multi-area
  ranges (one call per ~30 cells); notes are per cell by nature (Excel has no bulk note API)
  and so are the fills to restore, both proportional to the *marked* cells, never to the data.

Pressing Validate again first restores what the previous press changed: each marked cell's
previous fill and note are recorded in the hidden sheet ``kaxl_marks``, so formatting kaxl did
not make is never touched.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

MARKS_SHEET = "kaxl_marks"
FILL = {"error": "#FFC7CE", "warning": "#FFEB9C", "info": "#DDEBF7"}
NOTE_SEPARATOR = "\n— — —\n"
_MAX_ADDRESS = 240  # Excel's Range("A1,B2,…") takes at most 255 characters


def run(action: str, book: Any = None) -> None:
    """Run one button's action; any error becomes a bilingual message box, never a traceback."""
    try:
        book = book if book is not None else _caller()
        {"validate": validate_book, "refresh": refresh_book, "summary": summary_book}[action](book)
    except Exception as exc:  # noqa: BLE001 - the user sees a message box, not a stack trace
        _alert(book, _error_text(exc))


def _caller() -> Any:
    import xlwings as xw

    return xw.Book.caller()


def _error_text(exc: Exception) -> str:
    from kaxl.errors import KaxlError

    if isinstance(exc, KaxlError):
        return exc.bilingual()
    return (f"kaxl 出错了：{type(exc).__name__}: {exc}\n请截图发给 IT。\n\n"
            f"kaxl failed: {type(exc).__name__}: {exc}\nPlease send a screenshot to IT.")


def _alert(book: Any, text: str) -> None:
    try:
        book.app.alert(text, title="kaxl")
    except Exception:  # noqa: BLE001 - no Excel to show it in: nothing more we can do
        pass


# ------------------------------------------------------------------------------------ reading


def read_book(book: Any) -> Any:
    """The open workbook as a Ledger: one bulk read per sheet (values as xlwings converts them)."""
    from kaxl.reading.ledger import build_ledger
    from kaxl.reading.workbook import RawSheet

    sheets = []
    for sheet in book.sheets:
        if sheet.name == MARKS_SHEET:
            continue
        used = sheet.used_range
        values = used.options(ndim=2, err_to_str=True).value or []
        rows = [[_plain(v) for v in row] for row in values]
        sheets.append(RawSheet(sheet.name, rows, used.row - 1, used.column - 1))
    return build_ledger([(_book_path(book), sheets)])


def _plain(value: Any) -> Any:
    """xlwings gives None for empty cells and float for numbers; the reader wants '' for empty."""
    return "" if value is None else value


def _book_path(book: Any) -> str:
    return str(getattr(book, "fullname", None) or book.name)


def _check(book: Any) -> Any:
    from kaxl.sop.engine import run_check

    return run_check(read_book(book), _today())


def _today() -> dt.date:
    from kaxl.cli import today

    return today()


# ------------------------------------------------------------------------------------ actions


def validate_book(book: Any) -> None:
    from kaxl.reports.marks import marks_for

    restore_marks(book)
    result = _check(book)
    marks = marks_for(result.findings, _book_path(book))
    record = apply_marks(book, marks)
    _write_record(book, record)
    write_tabs(book, result, with_findings=True)
    _status(book, result)


def refresh_book(book: Any) -> None:
    result = _check(book)
    write_tabs(book, result, with_findings=False)
    _status(book, result)


def summary_book(book: Any) -> None:
    from kaxl.reports.summary import write_summary

    result = _check(book)
    path = Path(_book_path(book))
    out = path.with_name(f"{path.stem}-汇总summary.xlsx")
    write_summary(result, out, sources=[path] if path.exists() else [],
                  generated_at=dt.datetime.now().replace(microsecond=0))
    import xlwings as xw

    xw.Book(str(out))
    _status(book, result, f"已生成汇总 / Summary written: {out.name}")


# ------------------------------------------------------------------------------------ marks


def restore_marks(book: Any) -> None:
    """Undo the previous press: put back each marked cell's own fill and note."""
    sheet = _find_sheet(book, MARKS_SHEET)
    if sheet is None:
        return
    rows = sheet.used_range.options(ndim=2).value or []
    by_color: dict[tuple[str, str], list[str]] = defaultdict(list)
    for row in rows[1:]:
        if not row or not row[0]:
            continue
        sheet_name, cell, color, had_note, note = (list(row) + [None] * 5)[:5]
        target = _find_sheet(book, str(sheet_name))
        if target is None:
            continue
        by_color[(str(sheet_name), str(color or ""))].append(str(cell))
        rng = target.range(str(cell))
        current = rng.note
        if had_note:
            if current is not None:
                current.text = str(note or "")
            else:
                rng.add_note(str(note or " "))
        elif current is not None:
            current.delete()
    for (sheet_name, color), cells in by_color.items():
        target = _find_sheet(book, sheet_name)
        for address in _address_chunks(cells):
            target.range(address).color = color or None
    sheet.clear()


def apply_marks(book: Any, marks: list[Any]) -> list[list[Any]]:
    """Fill and note every finding cell; returns what was there before, for the next restore."""
    record: list[list[Any]] = [["sheet", "cell", "previous_fill", "had_note", "previous_note"]]
    by_fill: dict[tuple[str, str], list[str]] = defaultdict(list)
    for mark in marks:
        sheet = _find_sheet(book, mark.sheet)
        if sheet is None:
            continue
        rng = sheet.range(mark.cell)
        color = rng.color
        note = rng.note
        previous_note = note.text if note is not None else None
        record.append([mark.sheet, mark.cell, _hex(color), 1 if note is not None else 0, previous_note])
        text = mark.note if previous_note is None else f"{previous_note}{NOTE_SEPARATOR}{mark.note}"
        if note is not None:
            note.text = text
        else:
            rng.add_note(text)
        by_fill[(mark.sheet, mark.severity)].append(mark.cell)
    for (sheet_name, severity), cells in by_fill.items():
        sheet = _find_sheet(book, sheet_name)
        for address in _address_chunks(cells):
            sheet.range(address).color = FILL[severity]
    return record


def _write_record(book: Any, record: list[list[Any]]) -> None:
    sheet = _find_sheet(book, MARKS_SHEET) or book.sheets.add(MARKS_SHEET, after=book.sheets[-1])
    sheet.clear()
    sheet.range("A1").value = [[_as_text(v) for v in row] for row in record]
    sheet.visible = False


def _hex(color: Any) -> str:
    if color is None:
        return ""
    if isinstance(color, str):
        return color
    red, green, blue = color
    return f"#{red:02X}{green:02X}{blue:02X}"


def _address_chunks(cells: Iterable[str]) -> Iterable[str]:
    chunk: list[str] = []
    length = 0
    for cell in cells:
        if chunk and length + len(cell) + 1 > _MAX_ADDRESS:
            yield ",".join(chunk)
            chunk, length = [], 0
        chunk.append(cell)
        length += len(cell) + 1
    if chunk:
        yield ",".join(chunk)


# ------------------------------------------------------------------------------------ tabs


def write_tabs(book: Any, result: Any, *, with_findings: bool) -> None:
    """Findings / Scores / Alerts tabs, each written with one bulk value assignment."""
    from kaxl.reports.console import summary_line
    from kaxl.reports.marks import (
        ALERTS_COLUMNS,
        ALERTS_TITLE,
        FINDINGS_HEADER,
        FINDINGS_TITLE,
        SCORES_TITLE,
        findings_rows,
        frame_rows,
        scores_columns,
    )

    if with_findings:
        status = f"{summary_line(result.counts, 'zh')} / {summary_line(result.counts, 'en')}"
        rows = findings_rows(result.findings, _book_path(book))
        table = [[status], FINDINGS_HEADER] + [[_link(row[0])] + [_as_text(v) for v in row[1:]] for row in rows]
        _replace_sheet(book, FINDINGS_TITLE, table)
    header, rows = frame_rows(result.projects, scores_columns(result.projects))
    _replace_sheet(book, SCORES_TITLE, [header] + [[_as_text(v) for v in row] for row in rows])
    header, rows = frame_rows(result.alerts, ALERTS_COLUMNS)
    _replace_sheet(book, ALERTS_TITLE, [header] + [[_as_text(v) for v in row] for row in rows])


def _replace_sheet(book: Any, title: str, table: list[list[Any]]) -> None:
    sheet = _find_sheet(book, title) or book.sheets.add(title, after=book.sheets[-1])
    sheet.clear()
    width = max((len(r) for r in table), default=1)
    sheet.range("A1").value = [list(r) + [None] * (width - len(r)) for r in table]


def _link(reference: str) -> str:
    """An in-workbook jump as a HYPERLINK formula built only from a sheet title and an address
    kaxl formed itself (quotes doubled), so no ledger text becomes part of a formula."""
    if "!" not in reference:
        return _as_text(reference)
    target = reference.replace('"', '""')
    return f'=HYPERLINK("#{target}","{target}")'


def _as_text(value: Any) -> Any:
    """Ledger text starting with = + - @ would be taken as a formula by Excel: keep it text."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


def _status(book: Any, result: Any, extra: str | None = None) -> None:
    from kaxl.reports.console import summary_line

    text = f"kaxl：{summary_line(result.counts, 'zh')}"
    if extra:
        text += f" · {extra}"
    try:
        book.app.status_bar = text
    except Exception:  # noqa: BLE001 - a status bar is a nicety
        pass


def _find_sheet(book: Any, name: str) -> Any:
    for sheet in book.sheets:
        if sheet.name == name:
            return sheet
    return None
