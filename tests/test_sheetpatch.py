"""The cell patcher: the literal-address fast path and the row walk give the same bytes."""

from __future__ import annotations

from kaxl.ooxml.sheetpatch import CellInfo, Edit, RowInfo, patch_cells

HEAD = b'<?xml version="1.0"?><worksheet xmlns="x"><dimension ref="A1:D3"/><sheetData>'
TAIL = b"</sheetData></worksheet>"


def _mark(_row: int, _col: int, cell: CellInfo, _info: RowInfo) -> Edit:
    return Edit(style=(cell.style or 0) + 10)


def test_existing_cells_found_by_address_are_restyled_in_place() -> None:
    rows = (b'<row r="2"><c r="A2" s="1"><v>1</v></c><c r="B2"><v>2</v></c><c r="C2" s="3" t="s"><v>0</v></c>'
            b'<c r="D2"/></row>')
    out = patch_cells(HEAD + rows + TAIL, [(2, 2), (2, 3)], _mark)
    assert out == HEAD + rows.replace(b'<c r="B2">', b'<c r="B2" s="10">').replace(b's="3"', b's="13"') + TAIL


def test_b2_is_not_taken_for_b20_and_a_missing_cell_is_created_in_order() -> None:
    rows = b'<row r="2"><c r="A2"><v>1</v></c><c r="C2"><v>3</v></c></row><row r="20"><c r="B20"><v>9</v></c></row>'
    out = patch_cells(HEAD + rows + TAIL, [(2, 2), (20, 2)], _mark)
    assert b'<c r="A2"><v>1</v></c><c r="B2" s="10"/><c r="C2"><v>3</v></c>' in out  # walked: created between
    assert b'<c r="B20" s="10"><v>9</v></c>' in out


def test_single_quoted_or_unaddressed_cells_fall_back_to_the_walk() -> None:
    rows = b"<row r='2'><c r='A2'><v>1</v></c><c><v>2</v></c></row>"
    out = patch_cells(HEAD + rows + TAIL, [(2, 1), (2, 2)], _mark)
    assert b"<c r='A2' s=\"10\"><v>1</v></c>" in out
    assert b'<c r="B2" s="10"><v>2</v></c>' in out  # the unaddressed cell is given its address
