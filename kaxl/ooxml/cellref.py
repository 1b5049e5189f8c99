"""A1 references: "F12" ⇄ (row 12, column 6), both 1-based as Excel counts them."""

from __future__ import annotations

import functools
import re

MAX_ROW = 1_048_576
MAX_COL = 16_384
_REF = re.compile(r"\$?([A-Za-z]{1,3})\$?(\d{1,7})")


def column_index(letters: str) -> int:
    index = 0
    for char in letters.upper():
        index = index * 26 + ord(char) - 64
    return index


@functools.cache  # a few dozen columns, asked for once per marked or written cell
def column_letters(index: int) -> str:
    letters = ""
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def parse_ref(ref: str) -> tuple[int, int]:
    """"F12" → (12, 6); ValueError for anything that is not one cell inside Excel's grid."""
    match = _REF.fullmatch(ref.strip())
    if match is None:
        raise ValueError(f"not a cell address: {ref!r}")
    row, col = int(match.group(2)), column_index(match.group(1))
    if not (1 <= row <= MAX_ROW and 1 <= col <= MAX_COL):
        raise ValueError(f"outside the worksheet: {ref!r}")
    return row, col


def make_ref(row: int, col: int) -> str:
    return f"{column_letters(col)}{row}"


def quote_sheet(title: str) -> str:
    """The sheet part of a reference as Excel writes it: always quoted, ' doubled."""
    return "'" + title.replace("'", "''") + "'"
