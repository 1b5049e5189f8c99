"""Change the style of a few cells in a (possibly huge) worksheet part without parsing it.

A 50 000-row sheet is ~30 MB of XML; a DOM of it costs seconds and gigabytes, and writing it
back would reformat everything. Instead the ``<row>`` start tags are found with one regular
expression pass (stopping after the last row of interest), and inside the rows that matter
the ``<c>`` start tags are rewritten — only their ``s`` attribute — or a missing ``<c>`` is
inserted at its column position (or a missing ``<row>`` at its row position). Every other
byte of the part is copied through. What happens to each cell is decided by a callback
(:data:`Decide`), so marking and un-marking share one pass.

Rows and cells are expected to carry their ``r`` attribute, as Excel, LibreOffice, XlsxWriter
and openpyxl always write; when one does not, its position is counted from its predecessor as
the standard says (an insertion can never land before such an element: its number is its
predecessor's plus one, so nothing fits between them). XML comments and CDATA in the sheet
data are masked out before matching, so markup inside them is never mistaken for a row.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import NamedTuple

from kaxl.errors import LedgerReadError
from kaxl.ooxml.cellref import column_letters, make_ref, parse_ref
from kaxl.ooxml.xmltext import set_attribute

_ATTRS = rb"""(?:[^>"']|"[^"]*"|'[^']*')*"""
_ATTR = re.compile(rb"""([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_OPAQUE = re.compile(rb"<!--.*?-->|<!\[CDATA\[.*?\]\]>", re.S)


# Named tuples, not frozen dataclasses: one of each is made per marked cell (20,000 on a big
# ledger), and a frozen dataclass's __init__ sets each field through object.__setattr__.
class CellInfo(NamedTuple):
    exists: bool
    style: int | None  # the s attribute (None: absent, or no <c> element)
    empty: bool  # holds no value, formula or inline string
    inherited: int  # the xf an empty cell here shows: its row's style, else its column's, else 0


class RowInfo(NamedTuple):
    exists: bool
    bare: bool  # the row start tag is exactly <row r="N"> — how rows kaxl creates look


class Edit(NamedTuple):
    style: int | None = None  # the new s attribute (None removes it); a missing cell is created
    delete: bool = False  # remove the <c> element (only ever asked for cells kaxl created)


Decide = Callable[[int, int, CellInfo, RowInfo], "Edit | None"]


# The r attribute of a <row>/<c> start tag, found by walking the attributes before it (so an
# " r=" inside another attribute's quoted value is never taken for it). One C-level match per
# tag instead of a dict of every attribute: rows are scanned by the ten thousand.
_R_ATTR = re.compile(rb"""<[\w:.-]+(?:\s+(?!r\s*=)[\w:.-]+\s*=\s*(?:"[^"]*"|'[^']*'))*\s+r\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_CELL_REF = re.compile(rb"\$?([A-Za-z]{1,3})\$?(\d{1,7})")
_COLUMNS: dict[bytes, int] = {}


def _r_of(tag: bytes) -> bytes | None:
    match = _R_ATTR.match(tag)
    if match is None:
        return None
    return match.group(1) if match.group(1) is not None else match.group(2)


def _column_of(ref: bytes) -> int:
    """The column of a cell reference, letters memoised (the rows of a sheet share them)."""
    match = _CELL_REF.fullmatch(ref.strip())
    letters = match.group(1) if match else None
    column = _COLUMNS.get(letters) if letters is not None else None
    if column is None:
        column = parse_ref(ref.decode())[1]  # validates (ValueError for a bad reference)
        if letters is not None and len(_COLUMNS) < 20000:
            _COLUMNS[letters] = column
    return column


def _attrs(tag: bytes) -> dict[bytes, bytes]:
    return {m.group(1): m.group(2) if m.group(2) is not None else m.group(3) for m in _ATTR.finditer(tag)}


# The s attribute of a <c> start tag (with its leading space), found the same careful way.
_S_ATTR = re.compile(rb"""<[\w:.-]+(?:\s+(?!s\s*=)[\w:.-]+\s*=\s*(?:"[^"]*"|'[^']*'))*(\s+s\s*=\s*(?:"[^"]*"|'[^']*'))""")


def _style_of(tag: bytes) -> tuple[int | None, re.Match[bytes] | None]:
    """The ``s`` attribute of a start tag (None when absent) and its match for :func:`_set_style`."""
    match = _S_ATTR.match(tag)
    if match is None:
        return None, None
    value = _ATTR.match(match.group(1).strip())
    return (int(value.group(2) if value.group(2) is not None else value.group(3)) if value else None), match


def _set_style(tag: bytes, style: int | None, match: re.Match[bytes] | None = None) -> bytes:
    """``tag`` with ``s`` set to ``style`` (None removes it): :func:`_set` for the one attribute
    every mark changes, without a decode/encode round trip per cell. ``match``: the tag's
    :data:`_S_ATTR` match when the caller has it."""
    if match is None:
        match = _S_ATTR.match(tag)
    new = b"" if style is None else b' s="%d"' % style
    if match is not None:
        return tag[: match.start(1)] + new + tag[match.end(1):]
    if style is None:
        return tag
    end = len(tag) - (2 if tag.endswith(b"/>") else 1)
    return tag[:end] + new + tag[end:]


def _set(tag: bytes, name: str, value: str | None) -> bytes:
    return set_attribute(tag.decode("utf-8"), name, value).encode("utf-8")


def _root_prefix(data: bytes) -> bytes:
    match = re.search(rb"<(?![?!])([\w.-]+:)?worksheet[\s/>]", data[:65536])
    if match is None:
        raise LedgerReadError("工作表 XML 缺少 <worksheet> 根元素。", "worksheet XML has no <worksheet> root.")
    return match.group(1) or b""


class _ColumnStyles:
    """Styles of whole columns (<cols><col min max style>), for cells that do not exist yet."""

    def __init__(self, head: bytes, prefix: bytes) -> None:
        self.ranges: list[tuple[int, int, int]] = []
        self._by_column: dict[int, int] = {}  # asked once per marked cell, for a handful of columns
        for match in re.finditer(rb"<" + re.escape(prefix) + rb"col(?=[\s/>])" + _ATTRS + rb">", head):
            attrs = _attrs(match.group())
            try:
                self.ranges.append((int(attrs[b"min"]), int(attrs[b"max"]), int(attrs.get(b"style", b"0"))))
            except (KeyError, ValueError):
                continue

    def style(self, col: int) -> int:
        style = self._by_column.get(col)
        if style is None:
            style = self._by_column[col] = next((s for lo, hi, s in self.ranges if lo <= col <= hi), 0)
        return style


Splice = tuple[int, int, bytes]  # (start, end, new bytes): ``data[start:end]`` replaced


def patch_cells(data: bytes, targets: Iterable[tuple[int, int]], decide: Decide,
                drop_empty_rows: Iterable[int] = (), tail_splice: Splice | None = None) -> bytes:
    """Apply ``decide`` to every (row, col) in ``targets``; return the new part.

    ``drop_empty_rows``: rows kaxl created earlier; each is removed if, after the edits, it is
    still bare and holds no cell. ``tail_splice``: an edit after ``</sheetData>`` (offsets in
    ``data``), made in the same final join — a sheet is copied once, not once per edit.
    """
    prefix = _root_prefix(data)
    p = re.escape(prefix)
    opening = re.compile(rb"<" + p + rb"sheetData(?=[\s/>])" + _ATTRS + rb">").search(data)
    if opening is None:
        raise LedgerReadError("工作表 XML 缺少 <sheetData>。", "worksheet XML has no <sheetData>.")
    by_row: dict[int, list[int]] = {}
    for row, col in targets:
        by_row.setdefault(row, []).append(col)
    for cols in by_row.values():
        cols.sort()
    drop = set(drop_empty_rows)
    wanted = sorted(set(by_row) | drop)
    patcher = _RowPatcher(prefix, decide, by_row, drop, _ColumnStyles(data[: opening.start()], prefix))

    close_tag = b"</" + prefix + b"sheetData>"
    if opening.group().endswith(b"/>"):
        new_rows = b"".join(patcher.new_row(r) for r in wanted)
        body = opening.group()[:-2].rstrip() + b">" + new_rows + close_tag
        out = [data[: opening.start()], body, *_tail(memoryview(data), opening.end(), tail_splice)]
        return patcher.fix_dimension(b"".join(out), prefix)

    body_start = opening.end()
    body_end = data.find(close_tag, body_start)
    if body_end < 0:
        raise LedgerReadError("工作表 XML 的 <sheetData> 未闭合。", "worksheet XML: <sheetData> is not closed.")
    scan = data
    # one single-byte scan for "!" (both markers hold one; memchr is far faster than a search
    # for "<!"), without copying the body out of a 50 MB part
    if data.find(b"!", body_start, body_end) >= 0 and (
            data.find(b"<!--", body_start, body_end) >= 0 or data.find(b"<![CDATA[", body_start, body_end) >= 0):
        scan = _OPAQUE.sub(lambda m: b" " * len(m.group()), data)  # same positions, markup hidden
    row_re = re.compile(rb"<" + p + rb"row(?=[\s/>])" + _ATTRS + rb">")
    row_close = b"</" + prefix + b"row>"

    # the unchanged stretches between patched rows are views into ``data``, not copies: the
    # part is copied once, by the final join (a 50 MB sheet was copied twice, in slices first)
    view = memoryview(data)
    out: list[bytes | memoryview] = []
    pos = body_start
    i = 0
    current = 0

    def patch(current: int, match: re.Match[bytes]) -> int:
        """Patch the existing row ``current`` whose start tag is ``match``; its end offset."""
        if match.group().endswith(b"/>"):
            end, inner = match.end(), (match.end(), match.end())
        else:
            close = scan.find(row_close, match.end(), body_end)
            if close < 0:
                raise LedgerReadError(f"工作表 XML 第 {current} 行未闭合。",
                                      f"worksheet XML: row {current} is not closed.")
            end, inner = close + len(row_close), (match.end(), close)
        out.append(view[pos: match.start()])
        out.append(patcher.patch_row(data, scan, current, match.group(), inner))
        return end

    found = _rows_by_number(scan, row_re, prefix, wanted, body_start, body_end) if wanted else None
    if found is not None:  # every wanted row exists: patch them, no need to walk the others
        for current, match in found:
            pos = patch(current, match)
        i = len(wanted)
    elif wanted:
        for match in row_re.finditer(scan, body_start, body_end):
            r_value = _r_of(match.group())
            current = int(r_value) if r_value is not None else current + 1
            while i < len(wanted) and wanted[i] < current:
                out.append(view[pos: match.start()])
                out.append(patcher.new_row(wanted[i]))
                pos = match.start()
                i += 1
            if i == len(wanted):
                break
            if wanted[i] == current:
                pos = patch(current, match)
                i += 1
                if i == len(wanted):
                    break
    tail_rows = b"".join(patcher.new_row(r) for r in wanted[i:])
    if tail_rows:
        out.append(view[pos:body_end])
        out.append(tail_rows)
        pos = body_end
    out += _tail(view, pos, tail_splice)
    # <dimension> comes before <sheetData> (the schema's order): widened in the head, and the
    # part is joined once instead of copied again for that one attribute
    head = patcher.fix_dimension(data[:body_start], prefix) if patcher.created else data[:body_start]
    out.insert(0, head)
    return b"".join(out)


def _tail(view: memoryview, pos: int, splice: Splice | None) -> list[bytes | memoryview]:
    """The part from ``pos`` to its end, with ``splice`` (at or after ``pos``) made."""
    if splice is None:
        return [view[pos:]]
    start, end, middle = splice
    if start < pos:
        raise ValueError("a tail splice must lie after the patched rows")
    return [view[pos:start], middle, view[end:]]


def _rows_by_number(scan: bytes, row_re: re.Pattern[bytes], prefix: bytes, wanted: list[int], start: int,
                    end: int) -> list[tuple[int, re.Match[bytes]]] | None:
    """The fast path: each wanted row's start tag found by its literal ``<row r="N"``.

    Excel, LibreOffice, XlsxWriter and openpyxl all write ``r`` first, so a 200,000-row sheet
    is searched (bytes.find) instead of walked row by row in Python. None as soon as a row is
    not found that way (missing, or written differently): the caller then walks every row.
    """
    found: list[tuple[int, re.Match[bytes]]] = []
    pos = start
    head = b"<" + prefix + b'row r="'
    for number in wanted:
        at = scan.find(head + str(number).encode() + b'"', pos, end)
        match = row_re.match(scan, at) if at >= 0 else None
        if match is None:
            return None
        found.append((number, match))
        pos = match.end()
    return found


class _RowPatcher:
    def __init__(self, prefix: bytes, decide: Decide, by_row: dict[int, list[int]], drop: set[int],
                 columns: _ColumnStyles) -> None:
        self.prefix, self.decide, self.by_row, self.drop, self.columns = prefix, decide, by_row, drop, columns
        self.cell_re = re.compile(rb"<" + re.escape(prefix) + rb"c(?=[\s/>])" + _ATTRS + rb">")
        self.cell_close = b"</" + prefix + b"c>"
        self.created: list[tuple[int, int]] = []

    def _new_cell(self, row: int, col: int, edit: Edit) -> bytes:
        self.created.append((row, col))
        style = f' s="{edit.style}"' if edit.style is not None else ""
        return b"<" + self.prefix + f'c r="{make_ref(row, col)}"{style}/>'.encode()

    def new_row(self, row: int) -> bytes:
        """A row that does not exist yet, holding whichever of its cells ``decide`` creates."""
        info = RowInfo(exists=False, bare=True)
        cells = []
        for col in self.by_row.get(row, []):
            edit = self.decide(row, col, CellInfo(False, None, True, self.columns.style(col)), info)
            if edit is not None and not edit.delete:
                cells.append(self._new_cell(row, col, edit))
        if not cells:
            return b""
        p = self.prefix
        return b"<" + p + b'row r="' + str(row).encode() + b'">' + b"".join(cells) + b"</" + p + b"row>"

    def patch_row(self, data: bytes, scan: bytes, row: int, tag: bytes, inner: tuple[int, int]) -> bytes:
        # attribute names are never escaped: a row without the text "customFormat" has none
        attrs = _attrs(tag) if b"customFormat" in tag else {}
        custom = attrs.get(b"customFormat", b"0") in (b"1", b"true")
        row_style = int(attrs.get(b"s", b"0")) if custom else None
        info = RowInfo(exists=True, bare=tag == b"<" + self.prefix + b'row r="' + str(row).encode() + b'">')
        cols = self.by_row.get(row, [])
        j = 0
        pieces: list[bytes] = []
        pos = inner[0]
        current = 0
        created_cols: list[int] = []

        def inherited(col: int) -> int:
            return row_style if row_style is not None else self.columns.style(col)

        def create(col: int) -> bytes:
            edit = self.decide(row, col, CellInfo(False, None, True, inherited(col)), info)
            if edit is None or edit.delete:
                return b""
            created_cols.append(col)
            return self._new_cell(row, col, edit)

        def edit(match: re.Match[bytes], addressed: bool, current: int) -> int:
            """Decide on the existing target cell ``match`` (column ``current``); its end offset."""
            cell_tag = match.group()
            if cell_tag.endswith(b"/>"):
                end, empty = match.end(), True
            else:
                close = scan.find(self.cell_close, match.end(), inner[1])
                if close < 0:
                    raise LedgerReadError(f"工作表 XML 单元格 {make_ref(row, current)} 未闭合。",
                                          f"worksheet XML: cell {make_ref(row, current)} is not closed.")
                end, empty = close + len(self.cell_close), not data[match.end(): close].strip()
            style, style_match = _style_of(cell_tag)
            cell = CellInfo(True, style, empty, inherited(current))
            decision = self.decide(row, current, cell, info)
            pieces.append(data[pos: match.start()])
            if decision is None:
                pieces.append(data[match.start(): end])
            elif not decision.delete:
                if not addressed:  # give it its address: we may have inserted before it
                    cell_tag, style_match = _set(cell_tag, "r", make_ref(row, current)), None
                pieces.append(_set_style(cell_tag, decision.style, style_match) + data[match.end(): end])
            return end

        located = self._cells_by_ref(scan, row, cols, inner)
        if located is not None:  # each target cell found by its literal r, or its place: no walk
            for col, match, place in located:
                if match is not None:
                    pos = edit(match, True, col)
                else:
                    pieces.append(data[pos: place])
                    pieces.append(create(col))
                    pos = place
            j = len(cols)
        else:  # walk the row's cells, creating missing ones at their place
            for match in self.cell_re.finditer(scan, inner[0], inner[1]):
                if j == len(cols):
                    break
                ref = _r_of(match.group())
                current = _column_of(ref) if ref is not None else current + 1
                while j < len(cols) and cols[j] < current:
                    pieces.append(data[pos: match.start()])
                    pieces.append(create(cols[j]))
                    pos = match.start()
                    j += 1
                if j < len(cols) and cols[j] == current:
                    pos = edit(match, ref is not None, current)
                    j += 1
        while j < len(cols):
            pieces.append(data[pos: inner[1]])
            pieces.append(create(cols[j]))
            pos = inner[1]
            j += 1
        pieces.append(data[pos: inner[1]])
        content = b"".join(pieces)
        if row in self.drop and info.bare and not content.strip():
            return b""
        spans = _attrs(tag).get(b"spans") if created_cols and b"spans" in tag else None
        if spans is not None:
            tag = self._widen_spans(tag, spans, created_cols)
        if tag.endswith(b"/>"):
            if not content:
                return tag
            tag = tag[:-2].rstrip() + b">"
            return tag + content + b"</" + self.prefix + b"row>"
        close = data[inner[1]: inner[1] + len(self.prefix) + 6]
        return tag + content + close

    def _cells_by_ref(self, scan: bytes, row: int, cols: list[int], inner: tuple[int, int]
                      ) -> list[tuple[int, re.Match[bytes] | None, int]] | None:
        """The fast path inside a row: (col, start tag, -1) for each target cell found by its
        literal ``<c r="B7"``, (col, None, offset) for one that is missing: it goes before the
        first cell after the previous target whose column is greater (or at the row's end).

        Excel, LibreOffice, XlsxWriter and openpyxl write ``r`` first, so the cells before a
        target are skipped by bytes.find instead of matched one by one (a 20,000-row ledger's
        marks: ~5× faster), and only the cells up to a missing one's place are read. None when
        a cell is written differently (no ``r``, or ``r`` not first): the caller walks the row.
        """
        found: list[tuple[int, re.Match[bytes] | None, int]] = []
        pos, end = inner
        head = b"<" + self.prefix + b'c r="'
        tail = b'%d"' % row
        for col in cols:
            at = scan.find(head + column_letters(col).encode() + tail, pos, end)
            if at >= 0:
                match = self.cell_re.match(scan, at, end)
                if match is None:
                    return None
                found.append((col, match, -1))
                pos = match.end()
                continue
            place = end
            for match in self.cell_re.finditer(scan, pos, end):
                ref = _r_of(match.group())
                if ref is None:
                    return None
                current = _column_of(ref)
                if current == col:  # there after all, its r written differently
                    return None
                if current > col:
                    place = match.start()
                    break
            found.append((col, None, place))
            pos = place
        return found

    @staticmethod
    def _widen_spans(tag: bytes, spans: bytes, cols: list[int]) -> bytes:
        """Keep the row's spans hint true when a cell is created outside it."""
        numbers = [int(n) for n in re.findall(rb"\d+", spans)]
        if not numbers:
            return tag
        low, high = min(numbers), max(numbers)
        if min(cols) >= low and max(cols) <= high:
            return tag
        return _set(tag, "spans", f"{min(low, *cols)}:{max(high, *cols)}")

    def fix_dimension(self, data: bytes, prefix: bytes) -> bytes:
        """Widen <dimension ref> to cover created cells (readers use it to size the sheet)."""
        if not self.created:
            return data
        match = re.compile(rb"<" + re.escape(prefix) + rb"dimension(?=[\s/>])" + _ATTRS + rb">").search(data)
        if match is None:
            return data
        ref = _attrs(match.group()).get(b"ref", b"A1").decode()
        try:
            corners = [parse_ref(part) for part in ref.split(":")]
        except ValueError:
            return data
        rows = [r for r, _ in corners] + [r for r, _ in self.created]
        cols = [c for _, c in corners] + [c for _, c in self.created]
        new = f"{make_ref(min(rows), min(cols))}:{make_ref(max(rows), max(cols))}"
        if new == ref:
            return data
        return splice(data, match.start(), match.end(), _set(match.group(), "ref", new))


def splice(data: bytes, start: int, end: int, middle: bytes) -> bytes:
    """``data`` with ``data[start:end]`` replaced by ``middle``, copied once: ``a[:i] + x + a[j:]``
    copies a 50 MB sheet three times (each slice, then each concatenation)."""
    view = memoryview(data)
    return b"".join((view[:start], middle, view[end:]))


def dimension_ref(data: bytes) -> str | None:
    """The sheet's ``<dimension ref>`` (None when it has none)."""
    match = re.compile(rb"<" + re.escape(_root_prefix(data)) + rb"dimension(?=[\s/>])" + _ATTRS + rb">").search(data)
    if match is None:
        return None
    ref = _attrs(match.group()).get(b"ref")
    return ref.decode() if ref is not None else None


def set_dimension_ref(data: bytes, ref: str) -> bytes:
    """Put back a ``<dimension ref>`` kaxl widened (undo of a run that created cells)."""
    match = re.compile(rb"<" + re.escape(_root_prefix(data)) + rb"dimension(?=[\s/>])" + _ATTRS + rb">").search(data)
    if match is None:
        return data
    return splice(data, match.start(), match.end(), _set(match.group(), "ref", ref))


# -- the <legacyDrawing> element (the link from a sheet to its VML notes) ------------------
_AFTER_LEGACY = {b"legacyDrawingHF", b"drawingHF", b"picture", b"oleObjects", b"controls", b"webPublishItems",
                 b"tableParts", b"extLst"}
_TAG = re.compile(rb"<!--.*?-->|<!\[CDATA\[.*?\]\]>|<\?.*?\?>|<(/?)([\w.:-]+)" + _ATTRS + rb">", re.S)
_REL_NS = b"http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def _tail_start(data: bytes, prefix: bytes) -> int:
    close = data.rfind(b"</" + prefix + b"sheetData>")
    if close >= 0:
        return close + len(prefix) + 12
    empty = re.compile(rb"<" + re.escape(prefix) + rb"sheetData(?=[\s/>])" + _ATTRS + rb"/>").search(data)
    if empty is None:
        raise LedgerReadError("工作表 XML 缺少 <sheetData>。", "worksheet XML has no <sheetData>.")
    return empty.end()


def _top_level(data: bytes, start: int):
    """(local name, start, end) of each child of <worksheet> from ``start``; ("", pos, pos) at its end."""
    depth = 0
    opened: tuple[bytes, int] | None = None
    for match in _TAG.finditer(data, start):
        if match.group(2) is None:
            continue
        local = match.group(2).rsplit(b":", 1)[-1]
        if match.group(1):  # a closing tag
            depth -= 1
            if depth < 0:
                yield b"", match.start(), match.start()
                return
            if depth == 0 and opened is not None:
                yield opened[0], opened[1], match.end()
                opened = None
        elif match.group().endswith(b"/>"):
            if depth == 0:
                yield local, match.start(), match.end()
        else:
            if depth == 0:
                opened = (local, match.start())
            depth += 1


def legacy_drawing_id(data: bytes) -> str | None:
    """The r:id of the sheet's <legacyDrawing> (its notes' VML), if it has one."""
    prefix = _root_prefix(data)
    for local, start, end in _top_level(data, _tail_start(data, prefix)):
        if local == b"legacyDrawing":
            rid = next((v for k, v in _attrs(data[start:end]).items() if k.endswith(b":id")), None)
            return rid.decode() if rid is not None else None
    return None


def legacy_drawing_insertion(data: bytes, rel_id: str) -> Splice:
    """The splice adding <legacyDrawing r:id> where the schema wants it (before legacyDrawingHF,
    tableParts, extLst…)."""
    prefix = _root_prefix(data)
    root = re.search(rb"<" + re.escape(prefix) + rb"worksheet(?=[\s/>])" + _ATTRS + rb">", data)
    declared = re.search(rb"""xmlns:([\w.-]+)\s*=\s*["']""" + re.escape(_REL_NS) + rb"""["']""",
                         root.group()) if root else None
    rid = (declared.group(1) + b':id="' if declared else b'xmlns:r="' + _REL_NS + b'" r:id="') + rel_id.encode()
    element = b"<" + prefix + b"legacyDrawing " + rid + b'"/>'
    for local, start, _end in _top_level(data, _tail_start(data, prefix)):
        if local in _AFTER_LEGACY or local == b"":
            return start, start, element
    raise LedgerReadError("工作表 XML 的 <worksheet> 未闭合。", "worksheet XML: <worksheet> is not closed.")


def legacy_drawing_removal(data: bytes, rel_id: str) -> Splice | None:
    """The splice removing the sheet's <legacyDrawing r:id="rel_id"> (None: it has none)."""
    prefix = _root_prefix(data)
    for local, start, end in _top_level(data, _tail_start(data, prefix)):
        if local == b"legacyDrawing":
            rid = next((v for k, v in _attrs(data[start:end]).items() if k.endswith(b":id")), None)
            if rid is not None and rid.decode() == rel_id:
                return start, end, b""
    return None
