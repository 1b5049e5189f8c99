"""The data rows of the summary's tabs, written into the package XlsxWriter has finished.

XlsxWriter stores every cell as an object and writes it back out one by one (~5–10 µs a cell
through its public API); the 20,000-project summary has a million cells, which made writing
it take twice as long as reading and checking the ledger. So XlsxWriter writes everything a
manager sees around the rows — titles, table headers and ranges, charts, conditional formats,
widths, frozen panes — and the rows under each table's header are rendered here a column at a
time (:func:`kaxl.ooxml.newsheet.render_rows`, the writer of the annotated copy's tabs) and
put into the finished sheet parts by kaxl's own package writer, which copies every other part
byte for byte. Only XlsxWriter's public API and its output file are used.

Text goes in as inline strings (never a formula, SPEC §6); the cell formats are added to
styles.xml from the same specifications the XlsxWriter formats are made of
(:data:`DATA_FORMATS`), so a cell looks exactly as if XlsxWriter had written it.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from kaxl.ooxml import rels
from kaxl.ooxml.cellref import column_letters
from kaxl.ooxml.contenttypes import ContentTypes
from kaxl.ooxml.newsheet import CellStyles, Link, each_escaped, render_rows
from kaxl.ooxml.package import Package
from kaxl.ooxml.sheetpatch import dimension_ref, set_dimension_ref
from kaxl.ooxml.styles import Styles
from kaxl.ooxml.workbook import Workbook
from kaxl.ooxml.xmltext import escape_attribute

FONT = "Microsoft YaHei"  # Windows' CJK UI font; LibreOffice falls back to Noto Sans CJK
BASE = {"font_name": FONT, "font_size": 10, "valign": "top"}
# The data cells' formats, as XlsxWriter format properties: the summary makes its XlsxWriter
# formats from these, and :func:`_xf` makes the same cell format in styles.xml.
DATA_FORMATS: dict[str, dict[str, Any]] = {
    "text": BASE, "wrap": {**BASE, "text_wrap": True},
    "number": {**BASE, "num_format": "0.0"}, "int": {**BASE, "num_format": "0"},
    "money": {**BASE, "num_format": "#,##0"}, "pct": {**BASE, "num_format": "0.0%"},
    "ratio": {**BASE, "num_format": "0%"}, "date": {**BASE, "num_format": "yyyy-mm-dd"},
    "link": {**BASE, "font_color": "#0563C1", "underline": 1},
}
MAX_TEXT = 32767  # Excel's limit for one cell
MAX_URL = 255  # Excel's limit for a hyperlink's target


@dataclass
class Block:
    """The data rows of one table: rows ``rows`` from sheet row ``first_row`` (1-based) down."""

    sheet: str
    table: str  # the Excel table over these rows (declared over its header and one row)
    first_row: int
    rows: list[list[Any]]
    formats: list[str]  # each column's key of DATA_FORMATS
    numeric: list[bool]  # numbers stay numbers only in numeric columns (elsewhere: their text)
    links: dict[int, list[str | None]] = field(default_factory=dict)  # column → XlsxWriter-style URL per row
    value_formats: dict[int, dict[str, dict[str, Any]]] = field(default_factory=dict)  # column → {text → format}
    heights: list[float | None] | None = None


def write_blocks(path: str | os.PathLike[str], out: str | os.PathLike[str], blocks: Sequence[Block]) -> None:
    """``out``: the workbook at ``path`` with every block's rows in its sheet (written atomically)."""
    with Package(path) as package:
        types = ContentTypes(package)
        book = Workbook(package, types)
        styles_part = package.find(book.styles_part() or "xl/styles.xml")
        styles = Styles(package.read(styles_part) if styles_part else None)
        for block in blocks:
            entry = book.sheet(block.sheet)
            assert entry is not None and entry.part is not None, block.sheet
            _write_block(package, entry.part, block, styles)
        if styles_part and styles.changed:
            package.write(styles_part, styles.to_bytes())
        package.save(out)


def _write_block(package: Package, part: str, block: Block, styles: Styles) -> None:
    ncols = len(block.formats)
    rows = _typed_rows(block)
    xf = {}
    column_styles = [xf.setdefault(key, _xf(styles, DATA_FORMATS[key])) for key in block.formats]
    by_value = {j: {text: _xf(styles, spec) for text, spec in specs.items()} for j, specs in block.value_formats.items()}
    links = {j: [_link(url) for url in urls] for j, urls in block.links.items()}
    body, found = render_rows(rows, first_row=block.first_row, ncols=ncols, date1904=False, links=links,
                              heights=block.heights, styles=CellStyles(columns=column_styles, by_value=by_value,
                                                                       link=_xf(styles, DATA_FORMATS["link"])))
    sheet_rels = rels.Rels(package, part)
    targets: dict[str, str] = {}
    hyperlinks = []
    # escaped a block at a time (each_escaped: joined, one scan, split), not two escapes per link
    locations = each_escaped([location or "" for _, location, _, _ in found], escape_attribute)
    displays = each_escaped([display for _, _, _, display in found], escape_attribute)
    for (ref, location, target, _), shown_location, shown in zip(found, locations, displays):
        attrs = f'ref="{ref}"'
        if target is not None:
            if target not in targets:
                targets[target] = sheet_rels.add_external(rels.HYPERLINK, target)
            attrs += f' r:id="{targets[target]}"'
        if location:
            attrs += f' location="{shown_location}"'
        if target is None:
            attrs += f' display="{shown}"'
        hyperlinks.append(f"<hyperlink {attrs}/>")
    last = f"{column_letters(max(ncols, 1))}{block.first_row + len(rows) - 1}"
    _widen_table(package, sheet_rels, block.table, last)
    sheet_rels.save()
    frame = package.read(part)  # XlsxWriter's sheet: titles and header only, a few kB
    start = (dimension_ref(frame) or "A1").split(":")[0]
    text = set_dimension_ref(frame, f"{start}:{last}").decode("utf-8")
    close = text.index("</sheetData>")
    head, tail = text[:close], text[close:]
    if hyperlinks:  # in the schema's order: after the conditional formats, before the print setup
        at = re.search(r"<printOptions|<pageMargins|<pageSetup|<drawing|<tableParts|</worksheet>", tail).start()
        tail = tail[:at] + f"<hyperlinks>{''.join(hyperlinks)}</hyperlinks>" + tail[at:]
    package.write(part, b"".join([head.encode("utf-8"), body.encode("utf-8"), tail.encode("utf-8")]))


def _widen_table(package: Package, sheet_rels: rels.Rels, name: str, last: str) -> None:
    """Stretch table ``name`` of this sheet (and its filter) down to cell ``last``."""
    for rel in sheet_rels.by_type(rels.TABLE):
        data = package.read(rel.part).decode("utf-8")
        if f' name="{escape_attribute(name)}"' not in data:
            continue
        data = re.sub(r'(<(?:table|autoFilter)\b[^>]*? ref=")([A-Z]+\d+):[A-Z]+\d+"',
                      lambda m: f'{m.group(1)}{m.group(2)}:{last}"', data, count=2)
        package.write(rel.part, data.encode("utf-8"))
        return
    raise AssertionError(f"no table {name}")


def _typed_rows(block: Block) -> list[list[Any]]:
    """The rows as XlsxWriter's typed writers stored them (the summary wrote every cell through
    them once): a number stays a number in a numeric column or a link/status column; any other
    value but text and a datetime is written as its text. (Text is cut to a cell's limit by the
    renderer.)"""
    rows = block.rows
    columns = list(zip(*rows)) if rows else []
    for j, numeric in enumerate(block.numeric):
        kept = _KEPT_NUMERIC if numeric or j in block.links or j in block.value_formats else _KEPT_TEXT
        if j >= len(columns) or set(map(type, columns[j])) <= kept:
            continue
        if rows is block.rows:
            rows = [list(row) for row in rows]
        for row in rows:
            if row[j] is not None and row[j].__class__ not in kept:
                row[j] = str(row[j])
    return rows


_KEPT_TEXT = frozenset({str, type(None), dt.datetime})
_KEPT_NUMERIC = _KEPT_TEXT | {int, float}


def _link(url: str | None) -> Link | None:
    """An XlsxWriter-style URL ("internal:'Sheet'!A5", "external:..\\台账.xlsx#'Sheet'!F12") as
    (location, relationship target) — the target written as Excel writes a file link."""
    if not url or len(url) > MAX_URL:
        return None
    if url.startswith("internal:"):
        return url[len("internal:"):], None
    if url.startswith("external:"):
        path, _, anchor = url[len("external:"):].partition("#")
        return anchor or None, _file_target(path)
    return None, url


@functools.lru_cache(maxsize=256)  # every finding of a ledger links to the same file
def _file_target(path: str) -> str:
    """A linked file as Excel writes its relationship target: backslashes, a relative path as it
    is and an absolute one as file:///, and the characters Excel escapes in URLs escaped."""
    path = path.replace("/", "\\")
    relative = not (path.startswith("\\\\") or (len(path) > 1 and path[1] == ":"))
    if path.startswith(".\\"):
        path = path[2:]
    if not re.search("%[0-9a-fA-F]{2}", path):
        for char, code in (("%", "%25"), ('"', "%22"), (" ", "%20"), ("<", "%3c"), (">", "%3e"), ("[", "%5b"),
                           ("]", "%5d"), ("^", "%5e"), ("`", "%60"), ("{", "%7b"), ("}", "%7d")):
            path = path.replace(char, code)
    path = path.replace("#", "%23")
    return path if relative else "file:///" + path


def _xf(styles: Styles, spec: dict[str, Any]) -> int:
    """The cell format of XlsxWriter format properties ``spec``, in ``styles``."""
    def rgb(color: str) -> str:
        return {"white": "FFFFFF"}.get(color, color.lstrip("#")).upper()

    font = styles.named_font(spec.get("font_name", FONT), spec.get("font_size", 11), bold=bool(spec.get("bold")),
                             underline=bool(spec.get("underline")),
                             rgb=rgb(spec["font_color"]) if "font_color" in spec else None)
    fill = styles.solid_fill(rgb(spec["bg_color"])) if "bg_color" in spec else 0
    num_fmt = styles.number_format(spec["num_format"]) if "num_format" in spec else 0
    vertical = {"vcenter": "center"}.get(spec.get("valign"), spec.get("valign"))
    return styles.cell_format(font=font, fill=fill, num_fmt=num_fmt, wrap=bool(spec.get("text_wrap")),
                              vertical=vertical)
