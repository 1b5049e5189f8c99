"""Read one or more workbooks into a :class:`Ledger`: typed frames that remember every cell.

The reader is forgiving about *layout* — sheets found by any of their names, a title block
above the header row, columns in any order and named in Chinese, English or by key, unknown
columns kept — and about *values* (see :mod:`kaxl.reading.normalize`). What it cannot read becomes a
finding on the exact cell, quoting what the user typed; it never raises for bad data.

Several files form one portfolio: their rows are concatenated per sheet, and each row keeps
the index of the file/sheet it came from (``_src``) and its Excel row number (``_row``).
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from kaxl.contract.columns import SHEETS, Column, Sheet, sheet
from kaxl.contract.findings import Finding, cell_ref, make, quote
from kaxl.reading.normalize import EXCEL_ERRORS, clean_text, normalize_column
from kaxl.reading.workbook import RawSheet, Ready, load_workbooks

HEADER_SCAN_ROWS = 30
META_COLUMNS = ("_src", "_row")
TYPE_ZH = {"date": "日期", "money": "金额", "number": "数字", "ratio": "比例", "int": "整数", "bool": "是/否",
           "enum": "选项", "text": "文本"}
TYPE_EN = {"date": "a date", "money": "an amount", "number": "a number", "ratio": "a ratio", "int": "a whole number",
           "bool": "yes/no", "enum": "an option", "text": "text"}
TYPE_HINT_ZH = {"date": "如 2026-03-05 或 2026年3月5日", "money": "如 1200000、120万 或 1.2亿",
                "ratio": "如 30% 或 0.3", "int": "如 2", "bool": "填 是 或 否", "number": "填数字"}
TYPE_HINT_EN = {"date": "e.g. 2026-03-05", "money": "e.g. 1200000, 120万 or 1.2亿", "ratio": "e.g. 30% or 0.3",
                "int": "e.g. 2", "bool": "yes or no", "number": "a number"}


def fold(text: object) -> str:
    """Case-, space- and width-insensitive form of a sheet title or header."""
    return re.sub(r"[\s_*✱＊:：()（）]+", "", clean_text(str(text))).lower()


@dataclass(frozen=True)
class SheetSource:
    """Where the rows of one sheet of one file came from, to name cells in findings."""

    file: str
    title: str
    header_row: int  # 1-based Excel row of the header
    col_index: dict[str, int]  # column key -> 0-based Excel column
    headers: dict[str, str]  # column key -> header text as typed
    extra_headers: tuple[str, ...] = ()

    def cell(self, column: str | None, row: int) -> str:
        index = self.col_index.get(column) if column else None
        return cell_ref(self.title, 0 if index is None else index, row)


@dataclass
class Ledger:
    """The whole portfolio, typed. ``frames[key]`` always exists and has every spec column."""

    files: list[str]
    frames: dict[str, pd.DataFrame]
    raw: dict[str, pd.DataFrame]
    sources: dict[str, list[SheetSource]]
    present: dict[str, bool]
    findings: list[Finding] = field(default_factory=list)
    extras: dict[str, pd.DataFrame] = field(default_factory=dict)

    def keeps(self, key: str) -> bool:
        """The workbook keeps this sheet: it is there and has at least one row. The blank template
        ships every tab, so an optional sheet nobody has filled in is not kept yet, and its rules
        (HLT-002 "no assessment", VIS-003 "no visit"…) would only accuse every customer at once."""
        return bool(self.present.get(key)) and not self.frames[key].empty

    def source(self, key: str, src: int) -> SheetSource:
        return self.sources[key][src]

    def locate(self, key: str, index: object, column: str | None) -> dict[str, object]:
        """sheet/row/column/cell/file of one value, as a finding names it."""
        frame = self.frames[key]
        src = self.sources[key][int(frame.at[index, "_src"])]
        row = int(frame.at[index, "_row"])
        return {"sheet": src.title, "row": row, "column": src.headers.get(column, column) if column else None,
                "cell": src.cell(column, row), "file": src.file}

    def raw_value(self, key: str, index: object, column: str) -> object:
        return self.raw[key].at[index, column]


# --------------------------------------------------------------------------------------- reading


def read_ledger(paths: Sequence[str | os.PathLike[str]] | str | os.PathLike[str]) -> Ledger:
    """Read every workbook of a portfolio into one :class:`Ledger` (raises only LedgerReadError).

    Each ledger sheet is typed as soon as calamine has read it, while the next ones are still
    being parsed (see :func:`kaxl.reading.workbook.load_workbook`); the ledger is then put
    together in workbook order, the same as from sheets loaded first.
    """
    keys = _title_keys()
    typed: dict[int, SheetPart] = {}

    def typer(file: str) -> Ready:
        def ready(raw: RawSheet) -> None:
            key = keys.get(fold(raw.title))
            if key is not None:  # a second tab of the same sheet is typed for nothing: rare, harmless
                typed[id(raw)] = _type_sheet(file, key, raw)
        return ready

    return build_ledger(load_workbooks(paths, typer), typed)


def build_ledger(workbooks: Sequence[tuple[str, list[RawSheet]]], typed: dict[int, SheetPart] | None = None) -> Ledger:
    """A :class:`Ledger` from sheets already loaded — from files, or from Excel by the buttons.

    ``typed``: sheets already typed as they were read, by ``id`` of their RawSheet."""
    typed = typed or {}
    files = [file for file, _ in workbooks]
    parts: dict[str, list[tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]]] = {s.key: [] for s in SHEETS}
    sources: dict[str, list[SheetSource]] = {s.key: [] for s in SHEETS}
    findings: list[Finding] = []
    for file, raw_sheets in workbooks:
        for key, raw in _match_sheets(raw_sheets).items():
            part = typed.get(id(raw)) or _type_sheet(file, key, raw)
            if part.frames is not None:
                frame = part.frames[0]
                if len(sources[key]):  # rows of the n-th file with this sheet point to its source
                    frame["_src"] = len(sources[key])
                parts[key].append(part.frames)
            sources[key].append(part.source)
            findings += part.findings
    frames, raws, extras, present = {}, {}, {}, {}
    for spec in SHEETS:
        present[spec.key] = bool(sources[spec.key])
        if parts[spec.key]:
            frames[spec.key] = pd.concat([p[0] for p in parts[spec.key]], ignore_index=True)
            raws[spec.key] = pd.concat([p[1] for p in parts[spec.key]], ignore_index=True)
            extras[spec.key] = pd.concat([p[2] for p in parts[spec.key]], ignore_index=True)
        else:
            frames[spec.key], raws[spec.key] = _empty_frames(spec)
            extras[spec.key] = pd.DataFrame(index=frames[spec.key].index)
    for spec in SHEETS:
        if spec.required and not present[spec.key]:
            findings.append(make(
                "SCH-001",
                f"缺少必需的工作表「{spec.title}」（也可命名为「{spec.zh}」或「{spec.en}」）。请按模板添加该表。",
                f"Required sheet '{spec.title}' is missing (it may also be named '{spec.zh}' or '{spec.en}'). "
                "Add it as in the template.",
                sheet=spec.title, file=files[0] if len(files) == 1 else None))
    return Ledger(files, frames, raws, sources, present, findings, extras)


def _empty_frames(spec: Sheet) -> tuple[pd.DataFrame, pd.DataFrame]:
    data = {c.key: normalize_column(c, [])[0] for c in spec.columns}
    frame = pd.DataFrame(data)
    frame["_src"] = pd.Series([], dtype="int64")
    frame["_row"] = pd.Series([], dtype="int64")
    raw = pd.DataFrame({c.key: pd.Series([], dtype=object) for c in spec.columns})
    return frame, raw


def _title_keys() -> dict[str, str]:
    """Folded sheet title → ledger sheet key, for every name a ledger sheet may have."""
    names: dict[str, str] = {}
    for spec in SHEETS:
        for name in (spec.title, spec.zh, spec.en, spec.key, spec.zh + spec.en):
            names[fold(name)] = spec.key
    return names


def _match_sheets(raw_sheets: list[RawSheet]) -> dict[str, RawSheet]:
    names = _title_keys()
    matched: dict[str, RawSheet] = {}
    for raw in raw_sheets:
        key = names.get(fold(raw.title))
        if key and key not in matched:
            matched[key] = raw
    return matched


def _header_lookup(spec: Sheet) -> dict[str, str]:
    lookup: dict[str, str] = {}
    for column in spec.columns:
        for name in (column.key, column.zh, column.en, column.zh + column.en, column.en + column.zh):
            lookup.setdefault(fold(name), column.key)
    return lookup


def _recognised(row: list[object], lookup: dict[str, str]) -> dict[int, str]:
    found: dict[int, str] = {}
    for index, value in enumerate(row):
        if isinstance(value, str) and value:
            key = lookup.get(fold(value))
            if key is not None:
                found[index] = key
    return found


@dataclass
class SheetPart:
    """One sheet of one file, typed: where it came from, what was wrong, and its frames
    (typed, raw, extra columns; None when no header row was found)."""

    source: SheetSource
    findings: list[Finding]
    frames: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame] | None


def _type_sheet(file: str, key: str, raw: RawSheet) -> SheetPart:
    """Type the sheet ``raw`` of ``file`` as ledger sheet ``key`` (its rows' ``_src`` is 0)."""
    findings: list[Finding] = []
    spec = sheet(key)
    lookup = _header_lookup(spec)
    header_at, mapping = _find_header(raw.rows, spec, lookup)
    if header_at is None:
        for column in spec.required_columns:
            findings.append(_missing_column(file, raw.title, spec, column, raw.first_row + 1))
        return SheetPart(SheetSource(file, raw.title, raw.first_row + 1, {}, {}), findings, None)
    header_row = raw.rows[header_at]
    data_start = header_at + 1
    # A second header row (Chinese above English, say) is skipped, not read as data.
    if data_start < len(raw.rows) and len(_recognised(raw.rows[data_start], lookup)) >= max(1, len(mapping) // 2):
        data_start += 1
    col_index: dict[str, int] = {}
    headers: dict[str, str] = {}
    extra: dict[int, str] = {}
    excel_header_row = raw.first_row + header_at + 1
    for index, value in enumerate(header_row):
        key_here = mapping.get(index)
        excel_col = raw.first_col + index
        if key_here is None:
            if value not in ("", None):
                extra[index] = clean_text(str(value))
            continue
        if key_here in col_index:
            findings.append(make(
                "SCH-011",
                f"列标题「{quote(value)}」重复出现，使用第一列（{headers[key_here]}），忽略这一列。请删除或改名重复列。",
                f"Column header '{quote(value)}' appears twice; the first one ({headers[key_here]}) is used and this "
                "one ignored. Delete or rename the duplicate.",
                sheet=raw.title, row=excel_header_row, column=clean_text(str(value)),
                cell=cell_ref(raw.title, excel_col, excel_header_row), file=file))
            extra[index] = clean_text(str(value))
            continue
        col_index[key_here] = excel_col
        headers[key_here] = clean_text(str(value))
    source = SheetSource(file, raw.title, excel_header_row, col_index, headers, tuple(extra.values()))
    for column in spec.required_columns:
        if column.key not in col_index:
            findings.append(_missing_column(file, raw.title, spec, column, excel_header_row))
    if extra:
        findings.append(make(
            "SCH-009",
            f"工作表「{raw.title}」有 kaxl 不认识的列：{'、'.join(extra.values())}。这些列会保留但不参与校验。",
            f"Sheet '{raw.title}' has columns kaxl does not know: {', '.join(extra.values())}. "
            "They are kept but not checked.",
            sheet=raw.title, row=excel_header_row, cell=cell_ref(raw.title, raw.first_col + min(extra), excel_header_row),
            column=next(iter(extra.values())), file=file))
    return SheetPart(source, findings, _build_frames(spec, raw, data_start, source, extra, findings))


def _find_header(rows: list[list[object]], spec: Sheet, lookup: dict[str, str]) -> tuple[int | None, dict[int, str]]:
    """The first row where at least half of the required columns are recognised (SPEC §2)."""
    required = {c.key for c in spec.required_columns}
    need = max(1, math.ceil(len(required) / 2))
    best: tuple[int, int | None, dict[int, str]] = (0, None, {})
    for index, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        found = _recognised(row, lookup)
        hits = len(required & set(found.values()))
        if hits >= need:
            return index, found
        if len(set(found.values())) > best[0]:
            best = (len(set(found.values())), index, found)
    if best[0] >= 2:
        return best[1], best[2]
    return None, {}


def _missing_column(file: str, title: str, spec: Sheet, column: Column, header_row: int) -> Finding:
    return make(
        "SCH-002",
        f"工作表「{title}」缺少必需的列「{column.title}」（表头可写「{column.zh}」「{column.en}」或「{column.key}」）。"
        "请在表头行添加该列。",
        f"Sheet '{title}' is missing the required column '{column.title}' (header may be '{column.zh}', "
        f"'{column.en}' or '{column.key}'). Add it to the header row.",
        sheet=title, row=header_row, column=column.title, cell=cell_ref(title, 0, header_row), file=file)


def _build_frames(spec: Sheet, raw: RawSheet, data_start: int, source: SheetSource, extra: dict[int, str],
                  findings: list[Finding]) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    col_index, file = source.col_index, source.file
    body = raw.rows[data_start:]
    width = len(raw.rows[0]) if raw.rows else 0
    grid = _grid(body, width)
    # Rows blank across every column (spacer rows, bloated used ranges) are not data.
    keep = _filled_rows(grid) if body else np.empty(0, dtype=np.int64)
    # Views into the grid, not copies: every copy of an object column touches each cell's object
    # twice (once to copy, once to free), and those touches are scattered over the whole heap.
    columns = [grid[:, i] for i in range(grid.shape[1])] if body else [()] * width
    grid_cols = {k: columns[i - raw.first_col] if body else np.empty(0, dtype=object) for k, i in col_index.items()}
    # Excel errors come back empty from calamine; put the error text back so it is quoted (after the
    # blank-row test, which saw them empty).
    for (row0, col0), text in raw.errors.items():
        offset = row0 - raw.first_row - data_start
        for key, excel_col in col_index.items():
            if excel_col == col0 and 0 <= offset < len(body):
                grid_cols[key][offset] = text
    excel_rows = raw.first_row + data_start + keep + 1
    frame_data: dict[str, object] = {}
    # the raw frame's one object block (a row per column, as pandas keeps it), filled in place
    raw_block = np.empty((len(spec.columns), len(keep)), dtype=object)
    every_row = len(keep) == len(body)  # no blank row: each column is used as it is, not copied again
    for position, column in enumerate(spec.columns):
        if column.key in grid_cols:
            values = grid_cols[column.key] if every_row else grid_cols[column.key][keep]
        else:
            values = np.full(len(keep), None, dtype=object)
        typed, unreadable, _ = normalize_column(column, values, out=raw_block[position])
        frame_data[column.key] = typed
        if unreadable.any():
            for pos in np.flatnonzero(unreadable):
                findings.append(_unreadable(source, column, int(excel_rows[pos]), values[pos]))
    frame = pd.DataFrame(frame_data)
    frame["_src"] = 0
    frame["_row"] = excel_rows.astype("int64")
    extras = pd.DataFrame({name: pd.Series(np.asarray(columns[i], dtype=object)[keep], dtype=object)
                           for i, name in extra.items()}) if body and extra else pd.DataFrame(index=range(len(keep)))
    if raw.uncached_formulas:
        by_col = {v: k for k, v in col_index.items()}
        for row0, col0 in sorted(raw.uncached_formulas):
            excel_row = row0 + 1
            key = by_col.get(col0)
            if key is None or excel_row < raw.first_row + data_start + 1:
                continue
            title = source.headers[key]
            findings.append(make(
                "SCH-010",
                "单元格是公式但没有计算结果（保存它的程序没有计算公式），按空值处理。请在 Excel 中打开、重新计算（F9）并保存。",
                "The cell holds a formula with no cached value (the program that saved the file did not calculate it); "
                "it is treated as empty. Open the file in Excel, recalculate (F9) and save.",
                sheet=raw.title, row=excel_row, column=title, cell=cell_ref(raw.title, col0, excel_row), file=file))
    raw_frame = pd.DataFrame(raw_block.T, columns=[c.key for c in spec.columns], dtype=object, copy=False)
    return frame, raw_frame, extras


def _filled_rows(grid: np.ndarray) -> np.ndarray:
    """Positions of the rows with at least one cell that is not "", None or NaN.

    Column by column, and only over the rows still blank so far: nearly every row has its first
    cell (the id) filled, so the rest of the grid is never looked at, instead of testing every
    cell of it twice.
    """
    blank = np.arange(grid.shape[0])
    for index in range(grid.shape[1]):
        if not len(blank):
            break
        cells = grid[blank, index]
        blank = blank[(cells == "") | pd.isna(cells)]
    return np.setdiff1d(np.arange(grid.shape[0]), blank, assume_unique=True)


def _grid(body: list[list[object]], width: int) -> np.ndarray:
    """The data rows as one 2-D object array (rows × columns).

    One numpy copy of the grid instead of a ``zip(*rows)`` transposition into tuples: a
    quarter of the time on a 20,000-project ledger. Rows of unequal length (not produced by
    calamine, but possible from the Excel buttons) are padded with "" as empty cells.
    """
    grid = np.empty((len(body), width), dtype=object)
    if not body:
        return grid
    if set(map(len, body)) == {width}:
        grid[:] = body
        return grid
    grid[:] = ""  # ragged rows: numpy would broadcast the row lists themselves, so copy row by row
    for index, row in enumerate(body):
        grid[index, :min(len(row), width)] = row[:width]
    return grid


def _unreadable(source: SheetSource, column: Column, row: int, value: object) -> Finding:
    text = quote(value)
    if isinstance(value, str) and clean_text(value) in EXCEL_ERRORS:
        zh = f"「{column.zh}」的值是 Excel 错误 {text}，请修正该单元格的公式或改为直接填写。"
        en = f"{column.en} holds the Excel error {text}; fix the formula or type the value."
    else:
        zh = f"{column.zh} “{text}” 不是有效的{TYPE_ZH[column.type]}，请改为{TYPE_HINT_ZH.get(column.type, '正确的值')}。"
        en = f"{column.en} '{text}' is not {TYPE_EN[column.type]}; use {TYPE_HINT_EN.get(column.type, 'a valid value')}."
    return make("SCH-004", zh, en, sheet=source.title, row=row, column=source.headers[column.key],
                cell=source.cell(column.key, row), file=source.file)


def paths_label(files: Sequence[str]) -> str:
    return ", ".join(Path(f).name for f in files)
