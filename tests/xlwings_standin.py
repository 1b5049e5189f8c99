"""A stand-in for the small part of the xlwings API that kaxl.macros uses.

There is no Excel on Linux CI, so the buttons' Python side is exercised against this object
model. Its value conversions follow xlwings' documented COM behaviour on Windows: numbers
come back as float, dates as datetime.datetime, empty cells as None, and a 2-D ``.value``
assignment writes a block. Every call that would be a COM round trip is counted, so tests
can assert that reads and writes are bulk.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from pathlib import Path
from typing import Any

import python_calamine as pc

CALLS: Counter = Counter()


def _col(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def _cells(address: str) -> list[tuple[int, int]]:
    out = []
    for part in address.split(","):
        m = re.fullmatch(r"([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?", part.strip().replace("$", ""))
        if not m:
            raise ValueError(f"bad address {address!r}")
        r1, c1 = int(m.group(2)), _col(m.group(1))
        r2, c2 = (int(m.group(4)), _col(m.group(3))) if m.group(3) else (r1, c1)
        out += [(r, c) for r in range(r1, r2 + 1) for c in range(c1, c2 + 1)]
    return out


def _com_value(value: Any) -> Any:
    """What COM hands Python for a stored value."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    return value


def _stored(value: Any) -> Any:
    """What Excel stores when Python assigns a value (a leading apostrophe forces text)."""
    if isinstance(value, str) and value.startswith("'"):
        return value[1:]
    return value


class Note:
    def __init__(self, sheet: Sheet, cell: tuple[int, int]):
        self._sheet, self._cell = sheet, cell

    @property
    def text(self) -> str:
        CALLS["note.read"] += 1
        return self._sheet.notes[self._cell]

    @text.setter
    def text(self, value: str) -> None:
        CALLS["note.write"] += 1
        self._sheet.notes[self._cell] = value

    def delete(self) -> None:
        CALLS["note.delete"] += 1
        del self._sheet.notes[self._cell]


class Range:
    """A rectangle (``box``: first row, first column, last row, last column) or, for a
    multi-area address such as ``"A1,C3"``, the listed cells."""

    def __init__(self, sheet: Sheet, address: str | None = None, cells: list[tuple[int, int]] | None = None,
                 box: tuple[int, int, int, int] | None = None):
        self.sheet = sheet
        self._cells = cells if cells is not None or box is not None else _cells(address or "A1")
        if box is None:
            rows = [r for r, _ in self._cells]
            cols = [c for _, c in self._cells]
            box = (min(rows), min(cols), max(rows), max(cols))
            if len(self._cells) == (box[2] - box[0] + 1) * (box[3] - box[1] + 1):
                self._cells = None  # a plain rectangle
        self.box = box
        self.row, self.column = box[0], box[1]
        self._options: dict[str, Any] = {}

    @property
    def cells(self) -> list[tuple[int, int]]:
        if self._cells is not None:
            return self._cells
        r1, c1, r2, c2 = self.box
        return [(r, c) for r in range(r1, r2 + 1) for c in range(c1, c2 + 1)]

    def options(self, **kwargs: Any) -> Range:
        clone = Range(self.sheet, cells=self._cells, box=self.box)
        clone._options = kwargs
        return clone

    @property
    def value(self) -> Any:
        CALLS["value.read"] += 1
        if self._cells is None:
            r1, c1, r2, c2 = self.box
            rows, cols = range(r1, r2 + 1), range(c1, c2 + 1)
        else:
            rows = sorted({r for r, _ in self._cells})
            cols = sorted({c for _, c in self._cells})
        values = self.sheet.values
        grid = [[values.get((r, c)) for c in cols] for r in rows]
        if len(grid) == 1 and len(grid[0]) == 1 and self._options.get("ndim") != 2:
            return grid[0][0]
        return grid

    @value.setter
    def value(self, data: Any) -> None:
        CALLS["value.write"] += 1
        if not isinstance(data, list):
            data = [[data]]
        elif data and not isinstance(data[0], list):
            data = [data]
        for i, row in enumerate(data):
            for j, v in enumerate(row):
                key = (self.row + i, self.column + j)
                if v is None:
                    self.sheet.values.pop(key, None)
                else:
                    self.sheet.values[key] = _stored(_com_value(v))

    @property
    def color(self) -> tuple[int, int, int] | None:
        CALLS["color.read"] += 1
        return self.sheet.colors.get(self.cells[0])

    @color.setter
    def color(self, value: Any) -> None:
        CALLS["color.write"] += 1
        if isinstance(value, str) and value.startswith("#"):
            value = tuple(int(value[i:i + 2], 16) for i in (1, 3, 5))
        for cell in self.cells:
            if value is None:
                self.sheet.colors.pop(cell, None)
            else:
                self.sheet.colors[cell] = value

    @property
    def note(self) -> Note | None:
        CALLS["note.get"] += 1
        return Note(self.sheet, self.cells[0]) if self.cells[0] in self.sheet.notes else None

    def add_note(self, text: str) -> Note:
        CALLS["note.add"] += 1
        if len(self.cells) != 1 or self.cells[0] in self.sheet.notes or not text:
            raise ValueError("add_note needs one cell without a note and non-empty text")
        self.sheet.notes[self.cells[0]] = text
        return Note(self.sheet, self.cells[0])


class Sheet:
    def __init__(self, book: Book, name: str):
        self.book, self.name = book, name
        self.values: dict[tuple[int, int], Any] = {}
        self.colors: dict[tuple[int, int], Any] = {}
        self.notes: dict[tuple[int, int], str] = {}
        self.visible = True

    def range(self, address: str) -> Range:
        return Range(self, address)

    def __getitem__(self, address: str) -> Range:
        return Range(self, address)

    @property
    def used_range(self) -> Range:
        if not self.values:
            return Range(self, "A1")
        rows = [r for r, _ in self.values]
        cols = [c for _, c in self.values]
        return Range(self, box=(min(rows), min(cols), max(rows), max(cols)))

    def clear(self) -> None:
        CALLS["sheet.clear"] += 1
        self.values.clear()
        self.colors.clear()
        self.notes.clear()

    def cell(self, address: str) -> Any:
        return self.values.get(_cells(address)[0])


class Sheets(list):
    def add(self, name: str, after: Sheet | None = None) -> Sheet:
        CALLS["sheets.add"] += 1
        sheet = Sheet(self.book, name)
        self.insert(self.index(after) + 1 if after is not None else 0, sheet)
        return sheet


class App:
    def __init__(self) -> None:
        self.alerts: list[tuple[str, str | None]] = []
        self.status_bar: Any = False

    def alert(self, prompt: str, title: str | None = None, **_: Any) -> None:
        self.alerts.append((prompt, title))


class Book:
    def __init__(self, fullname: str):
        self.fullname = fullname
        self.name = Path(fullname).name
        self.app = App()
        self.sheets = Sheets()
        self.sheets.book = self

    @classmethod
    def from_xlsx(cls, path: str | Path) -> Book:
        """A book holding what Excel would show after opening ``path``."""
        book = cls(str(path))
        workbook = pc.CalamineWorkbook.from_path(str(path))
        for name in workbook.sheet_names:
            sheet = Sheet(book, name)
            data = workbook.get_sheet_by_name(name)
            start_row, start_col = data.start or (0, 0)
            for i, row in enumerate(data.to_python()):
                for j, value in enumerate(row):
                    com = _com_value(value)
                    if com is not None:
                        sheet.values[(start_row + i + 1, start_col + j + 1)] = com
            book.sheets.append(sheet)
        return book

    def sheet(self, name: str) -> Sheet:
        return next(s for s in self.sheets if s.name == name)
