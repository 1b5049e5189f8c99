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


def test_fast_path_gives_the_walks_bytes_for_any_row(monkeypatch) -> None:
    """Targets found by their literal address, missing ones placed by reading only up to their
    place: the same part as walking every cell of the row, whatever cells exist and however
    they are written (r first, r later, no r, self-closing, styled, with an existing dimension)."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from kaxl.ooxml import sheetpatch

    shapes = st.sampled_from(["first", "later", "bare", "closed", "styled"])

    def cell(col: int, row: int, shape: str) -> bytes:
        ref = f"{'ABCDEFGH'[col - 1]}{row}".encode()
        return {"first": b'<c r="%s"><v>%d</v></c>' % (ref, col), "later": b'<c t="n" r="%s"><v>1</v></c>' % ref,
                "bare": b"<c><v>7</v></c>", "closed": b'<c r="%s" s="4"/>' % ref,
                "styled": b'<c r="%s" s="2" t="s"><v>0</v></c>' % ref}[shape]

    def sheet(rows: dict[int, dict[int, str]]) -> bytes:
        body = b"".join(b'<row r="%d">' % r + b"".join(cell(c, r, shape) for c, shape in sorted(cells.items()))
                        + b"</row>" for r, cells in sorted(rows.items()))
        return HEAD + body + TAIL

    def walked(data: bytes, targets: list[tuple[int, int]]) -> bytes:
        with monkeypatch.context() as m:
            m.setattr(sheetpatch._RowPatcher, "_cells_by_ref", lambda *_: None)
            return patch_cells(data, targets, _mark)

    @settings(max_examples=300, deadline=None)
    @given(st.dictionaries(st.integers(1, 4), st.dictionaries(st.integers(1, 8), shapes, max_size=6), min_size=1),
           st.sets(st.tuples(st.integers(1, 4), st.integers(1, 8)), min_size=1, max_size=10))
    def check(rows: dict[int, dict[int, str]], targets: set[tuple[int, int]]) -> None:
        rows = {r: {c: s for c, s in cells.items() if s != "bare" or c == 1 or c - 1 in cells}
                for r, cells in rows.items()}  # an unaddressed cell sits right after its predecessor
        data = sheet(rows)
        assert patch_cells(data, sorted(targets), _mark) == walked(data, sorted(targets))

    check()
