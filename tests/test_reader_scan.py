"""The XML scan that recovers what calamine reports as empty: Excel error cells (SCH-004) and
formulas without a cached value (SCH-010). It visits only the cells that can be such, so it must
find exactly what one regex tried at every cell finds."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from kaxl.reading.workbook import _ERROR_CELL, _col_index, _scan_sheet

CELLS = [
    '<c r="{ref}" t="e"><v>#N/A</v></c>',
    '<c r="{ref}" s="3" t="e"><f>VLOOKUP("K",表!A:B,2,FALSE)</f><v>#N/A</v></c>',
    '<c r="{ref}" t="e"><f t="shared" si="0"/><v>#DIV/0!</v></c>',
    '<c r="{ref}" t="inlineStr"><is><t>t="e" is text here</t></is></c>',
    '<c r="{ref}" t="str"><v>t="e"</v></c>',
    '<c r="{ref}"><f>1+1</f></c>',
    '<c r="{ref}"><f>1+1</f><v>2</v></c>',
    '<c r="{ref}" t="s"><v>7</v></c>',
    '<c r="{ref}" s="2"/>',
    '<c r="{ref}"><v>12.5</v></c>',
]


def _sheet(kinds: list[int]) -> bytes:
    rows = []
    for n, kind in enumerate(kinds, start=1):
        ref = f"{'ABCDEFGHIJ'[n % 10]}{n}"
        rows.append(f'<row r="{n}">{CELLS[kind].format(ref=ref)}</row>')
    return ('<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
            + "".join(rows) + "</sheetData></worksheet>").encode()


def _errors_everywhere(data: bytes) -> dict[tuple[int, int], str]:
    """The reference: the error-cell regex tried at every position."""
    return {(int(m.group(2)) - 1, _col_index(m.group(1))): m.group(3).decode()
            for m in _ERROR_CELL.finditer(data)}


def test_error_cells_found_and_look_alikes_ignored() -> None:
    data = _sheet([0, 1, 2, 3, 4, 5, 6])
    errors, uncached = _scan_sheet(data)
    assert errors == {(0, 1): "#N/A", (1, 2): "#N/A", (2, 3): "#DIV/0!"}
    assert uncached == {(5, 6)}


@settings(max_examples=150, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=len(CELLS) - 1), max_size=40))
def test_error_scan_matches_a_regex_tried_at_every_cell(kinds: list[int]) -> None:
    data = _sheet(kinds)
    assert _scan_sheet(data)[0] == _errors_everywhere(data)


def test_a_large_sheet_with_few_errors() -> None:
    rng = random.Random(7)
    kinds = [rng.choice([3, 7, 8, 9]) if rng.random() > 0.01 else rng.choice([0, 1, 2]) for _ in range(20_000)]
    data = _sheet(kinds)
    errors = _scan_sheet(data)[0]
    assert errors == _errors_everywhere(data) and len(errors) == sum(k in (0, 1, 2) for k in kinds)


def test_an_error_value_starts_with_a_hash() -> None:
    """Excel's error values all start with "#": the reader rules errors out of a sheet without
    one by a single-byte search, so a t="e" cell holding anything else is no error either."""
    data = _sheet([0]).replace(b"#N/A", b"N/A")
    assert _scan_sheet(data) == ({}, set())
    assert _scan_sheet(_sheet([0]))[0] == {(0, 1): "#N/A"}
