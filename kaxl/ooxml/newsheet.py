"""Worksheet XML for the tabs kaxl adds (Findings, Scores, Alerts): written directly, fast.

Text goes in as inline strings (``t="inlineStr"``): the shared-strings part of the user's
workbook stays untouched, and a string cell can never be taken for a formula — a ledger value
such as ``=HYPERLINK(...)`` or ``-5%`` shows as the text it is (SPEC §6). The header row is
bold and frozen; a link column becomes internal hyperlinks (``<hyperlink location=…>``, no
formula, no relationship).
"""

from __future__ import annotations

import datetime as dt
import decimal
import functools
import itertools
import math
import numbers
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from kaxl.ooxml.cellref import MAX_ROW, column_letters, quote_sheet
from kaxl.ooxml.styles import Styles
from kaxl.ooxml.textwidth import display_width
from kaxl.ooxml.xmltext import MAIN_NS, REL_NS, cell_text, escape_attribute, escape_text, needs_cell_escape

MAX_TEXT = 32_767  # Excel's limit for one cell
MAX_HYPERLINKS = 65_530  # Excel's limit per worksheet
HEADER_FILL = "D9E1F2"
LINK_COLOR = "0563C1"
_EPOCH_1900 = dt.date(1899, 12, 30)
_EPOCH_1904 = dt.date(1904, 1, 1)
_FIRST_1900 = dt.date(1900, 3, 1)  # Excel's 1900 leap-year bug makes earlier serials ambiguous
_SAMPLE_ROWS = 500  # rows looked at to size columns when no widths are given


class _Formats:
    """The xfs the new tabs use, added to styles.xml once per run."""

    def __init__(self, styles: Styles) -> None:
        self.header = styles.cell_format(font=styles.font(bold=True), fill=styles.solid_fill(HEADER_FILL),
                                         vertical="center")
        self.date = styles.cell_format(num_fmt=styles.number_format("yyyy-mm-dd"))
        self.datetime = styles.cell_format(num_fmt=styles.number_format("yyyy-mm-dd hh:mm"))
        self.link = styles.cell_format(font=styles.font(underline=True, rgb=LINK_COLOR))


def register_formats(styles: Styles) -> None:
    """Add the new tabs' cell formats to ``styles`` now (rendering later finds the same indices)."""
    _Formats(styles)


def _serial(value: dt.date, date1904: bool) -> float | None:
    """Excel's serial number for a date (None before the epoch: written as text instead)."""
    moment = value if isinstance(value, dt.datetime) else None
    day = value.date() if isinstance(value, dt.datetime) else value
    if date1904:
        if day < _EPOCH_1904:
            return None
        serial: float = (day - _EPOCH_1904).days
    else:
        if day < _FIRST_1900:
            return None
        serial = (day - _EPOCH_1900).days
    if moment is not None:
        serial += (moment.hour * 3600 + moment.minute * 60 + moment.second + moment.microsecond / 1e6) / 86400
    return serial


def _is_missing(value: object) -> bool:
    if value is None:
        return True
    try:
        return bool(value != value)  # NaN, NaT, pd.NA-like
    except (TypeError, ValueError):
        return False


def _width(text: str) -> float:
    return display_width(text)


def _string_cell(ref: str, text: str, style: int) -> str:
    text = cell_text(text[:MAX_TEXT])
    s = f' s="{style}"' if style else ""
    space = ' xml:space="preserve"' if text[:1].isspace() or text[-1:].isspace() or "\n" in text else ""
    return f'<c r="{ref}"{s} t="inlineStr"><is><t{space}>{escape_text(text)}</t></is></c>'


def render(title: str, header: Sequence[str], rows: Sequence[Sequence[object]], styles: Styles, *,
           date1904: bool, link_column: int | None = None, widths: Sequence[float] | None = None,
           link_target: Callable[[str], str | None] = lambda text: text) -> bytes:
    """The worksheet part for one new tab.

    ``link_target`` turns a link-column text into a hyperlink location (or None for no link),
    so the caller can check it names a sheet that exists.
    """
    if len(rows) + 1 > MAX_ROW:
        raise ValueError(f"{title}: {len(rows)} rows do not fit in one worksheet")
    formats = _Formats(styles)
    ncols = column_count(header, rows)
    letters = [column_letters(i + 1) for i in range(max(ncols, 1))]
    cells = [_string_cell(f"{letters[i]}1", str(h), formats.header) for i, h in enumerate(header)]
    links: dict[int, list[Link | None]] = {}
    if link_column is not None:
        column = [row[link_column] if link_column < len(row) else None for row in rows]
        links[link_column] = [(link_target(v), None) if v.__class__ is str and v else None for v in column]
    body, found = render_rows(rows, first_row=2, ncols=ncols, date1904=date1904, links=links,
                              styles=CellStyles(date=formats.date, datetime=formats.datetime, link=formats.link))
    locations = each_escaped([location or "" for _, location, _, _ in found], escape_attribute)
    displays = each_escaped([display for _, _, _, display in found], lambda text: escape_attribute(cell_text(text)))
    hyperlinks = [f'<hyperlink ref="{ref}" location="{location}" display="{display}"/>'
                  for (ref, _, _, _), location, display in zip(found, locations, displays)]
    last = f"{letters[max(ncols, 1) - 1]}{len(rows) + 1}"
    return _document([f'<row r="1">{"".join(cells)}</row>', body], hyperlinks,
                     _columns(header, rows, widths, ncols), f"A1:{last}")


def each_escaped(texts: list[str], escape: Callable[[str], str]) -> list[str]:
    """``[escape(t) for t in texts]``, done to the texts joined when that is the same: every
    escape here is character-wise and leaves the joining character alone, and nothing in the
    joined text needs Excel's _xHHHH_ escape (which is not)."""
    blob = _JOIN.join(texts)
    if blob.count(_JOIN) == len(texts) - 1 and not needs_cell_escape(blob):
        return escape(blob).split(_JOIN) if texts else []
    return [escape(text) for text in texts]


def column_count(header: Sequence[str], rows: Sequence[Sequence[object]]) -> int:
    """The columns of a new tab: its header's or its longest row's, whichever is more."""
    return max(len(header), max((len(r) for r in rows), default=0))


@dataclass(frozen=True)
class CellStyles:
    """Which xf each cell of :func:`render_rows` gets (0: the workbook's Normal style)."""

    columns: Sequence[int] = ()  # each column's cells (the summary's number formats, fonts)
    date: int = 0  # a date value, where its column has no style of its own
    datetime: int = 0  # a date with a time, likewise
    link: int = 0  # a cell that carries a hyperlink
    by_value: Mapping[int, Mapping[str, int]] = field(default_factory=dict)  # column → {text → xf}


Link = tuple["str | None", "str | None"]  # (location in a workbook, external target): one may be None
Hyperlink = tuple[str, "str | None", "str | None", str]  # (cell ref, location, target, displayed text)


def render_rows(rows: Sequence[Sequence[object]], *, first_row: int, ncols: int, date1904: bool,
                styles: CellStyles = CellStyles(), links: Mapping[int, Sequence[Link | None]] | None = None,
                heights: Sequence[float | None] | None = None) -> tuple[str, list[Hyperlink]]:
    """The ``<row>`` elements of ``rows`` (sheet rows ``first_row`` on) and their hyperlinks.

    ``links[column][n]``: the link of row ``n`` in that column, if any (at most Excel's 65,530
    per sheet); ``heights[n]``: row ``n``'s height in points (None: the default). Text goes in
    as inline strings (never a formula); numbers, booleans and dates as values. Rendered a
    column at a time (:func:`_plain_column`), then each row joined in one C-level call per row.
    """
    letters = [column_letters(i + 1) for i in range(max(ncols, 1))]
    found: list[Hyperlink] = []
    links = links or {}
    row_numbers = [str(first_row + n) for n in range(len(rows))]
    rendered: list[list[str]] = []
    for i, column in enumerate(itertools.zip_longest(*rows)):
        letter = letters[i]
        style = styles.columns[i] if i < len(styles.columns) else 0
        if i in links or i in styles.by_value:
            targets = links.get(i) or ()
            values = styles.by_value.get(i) or {}
            rendered.append([_special_cell(letter + number, value, style, styles, date1904,
                                           targets[n] if n < len(targets) else None, values, found)
                             for n, (value, number) in enumerate(zip(column, row_numbers))])
            continue
        rendered += _plain_column(column, letter, row_numbers, style, styles, date1904)
    heads = [f'<row r="{number}">' if not height else f'<row r="{number}" ht="{height:g}" customHeight="1">'
             for number, height in zip(row_numbers, heights or itertools.repeat(None))]
    if not rendered:
        return "".join(f"{head}</row>" for head in heads), found
    return "".join(map("".join, zip(heads, *rendered, itertools.repeat("</row>")))), found


_NONE = type(None)


def _plain_column(column: Sequence[object], letter: str, numbers: list[str], style: int, styles: CellStyles,
                  date1904: bool) -> list[Sequence[str]]:
    """One column without links or value styles, as pieces that each row joins in order.

    A column of one type without gaps (the tabs' columns mostly are: text, whole numbers,
    dates) becomes five pieces — the reference's letter, the row numbers, what comes between,
    the values' text, the close — that the row join puts together, so no cell's text is built
    on its own (half the time of formatting each cell). A one-type column with gaps gets one
    comprehension without per-cell type tests ("" for a gap); a mixed one tests the common
    types inline and sends the rest through :func:`_value_cell`.
    """
    cell = f'<c r="{letter}'
    s = f'" s="{style}' if style else ""
    kinds = set(map(type, column))
    kinds.discard(_NONE)
    whole = None not in column
    if kinds == {str}:
        if whole:
            texts = _escaped_texts(column, bare=True, texts_only=True)
            if texts:  # none needs xml:space: <t> goes into the pieces around them
                return _pieces(cell, numbers, f'{s}" t="inlineStr"><is><t>', texts, "</t></is></c>")
            return _pieces(cell, numbers, f'{s}" t="inlineStr"><is>', _escaped_texts(column), "</is></c>")
        texts = _escaped_texts(column)
        each = iter(texts)
        return [["" if value is None else f'{cell}{number}{s}" t="inlineStr"><is>{next(each)}</is></c>'
                 for value, number in zip(column, numbers)]]
    if kinds == {int}:
        if whole:
            return _pieces(cell, numbers, f'{s}"><v>', list(map(str, column)), "</v></c>")
        return [["" if value is None else f'{cell}{number}{s}"><v>{value}</v></c>'
                 for value, number in zip(column, numbers)]]
    if kinds == {dt.date} and min(v for v in column if v is not None) >= (_EPOCH_1904 if date1904 else _FIRST_1900):
        # what _date_cell writes for a date with a serial: the column's style, else the date format
        base = (_EPOCH_1904 if date1904 else _EPOCH_1900).toordinal()
        shown = style or styles.date
        s = f'" s="{shown}' if shown else ""
        if whole:
            return _pieces(cell, numbers, f'{s}"><v>', [str(v.toordinal() - base) for v in column], "</v></c>")  # type: ignore[attr-defined]
        return [["" if value is None else f'{cell}{number}{s}"><v>{value.toordinal() - base}</v></c>'  # type: ignore[attr-defined]
                 for value, number in zip(column, numbers)]]
    if kinds == {float} and whole and all(map(math.isfinite, column)):  # type: ignore[arg-type]
        return _pieces(cell, numbers, f'{s}"><v>', list(map(repr, column)), "</v></c>")
    # str, int and finite float (x - x == 0 is false only for inf and NaN) inline,
    # everything else through _value_cell
    texts = iter(_escaped_texts(column))
    return [[
        "" if value is None
        else f'{cell}{number}{s}" t="inlineStr"><is>{next(texts)}</is></c>' if value.__class__ is str
        else f'{cell}{number}{s}"><v>{value}</v></c>' if value.__class__ is int
        else f'{cell}{number}{s}"><v>{value!r}</v></c>' if value.__class__ is float and value - value == 0
        else _value_cell(letter + number, value, style, styles, date1904)
        for value, number in zip(column, numbers)]]


def _pieces(cell: str, numbers: list[str], middle: str, values: list[str], close: str) -> list[Sequence[str]]:
    """A gapless column as the pieces of each of its cells: ``cell`` + row number + ``middle``
    + value + ``close`` is the cell's XML once the row join puts them side by side."""
    return [itertools.repeat(cell), numbers, itertools.repeat(middle), values, itertools.repeat(close)]  # type: ignore[list-item]


_JOIN = "\ue000"  # a private-use character: legal XML, untouched by escaping


def _escaped_texts(column: Sequence[object], *, bare: bool = False, texts_only: bool = False) -> list[str]:
    """The <t> element of each str of ``column``, in order (other values have none).

    What :func:`_string_cell` does to one text, done to the whole column at once: joined,
    checked for characters needing Excel's _xHHHH_ escape in one scan, escaped with three
    replaces, and — when no text needs ``xml:space`` (no line break, no space at either end:
    ``str.strip`` hands back the very same object then, so the check is a list comparison) —
    wrapped in ``<t>`` by one more replace before the split. Falls back to one text at a time
    when the check finds something (or a text holds the joining character).

    ``bare``: the texts escaped but not wrapped when none needs ``xml:space`` (the caller
    writes ``<t>`` and ``</t>`` around them); an empty list when one does. ``texts_only``:
    every value of ``column`` is a str.
    """
    strings = list(column) if texts_only else [value for value in column if value.__class__ is str]
    if strings and max(map(len, strings)) > MAX_TEXT:
        strings = [value[:MAX_TEXT] for value in strings]
    blob = _JOIN.join(strings)
    if strings and blob.count(_JOIN) == len(strings) - 1 and not needs_cell_escape(blob):
        if "\n" not in blob and list(map(str.strip, strings)) == strings:
            if bare:
                return escape_text(blob).split(_JOIN)
            return ("<t>" + escape_text(blob).replace(_JOIN, "</t>" + _JOIN + "<t>") + "</t>").split(_JOIN)
        if bare:
            return []
        texts = escape_text(blob).split(_JOIN)
    elif bare:
        return []
    else:
        texts = [escape_text(cell_text(text)) for text in strings]
    return [f'<t xml:space="preserve">{text}</t>' if text[:1].isspace() or text[-1:].isspace() or "\n" in text
            else f"<t>{text}</t>" for text in texts]


def _value_cell(ref: str, value: object, style: int, styles: CellStyles, date1904: bool) -> str:
    """One cell ("" for a missing value)."""
    s = f' s="{style}"' if style else ""
    cls = value.__class__
    if cls is int:  # the common types first: the numbers.* ABC checks below cost ~1 µs each
        return f'<c r="{ref}"{s}><v>{value}</v></c>'
    if cls is float and math.isfinite(value):
        return f'<c r="{ref}"{s}><v>{value!r}</v></c>'
    if cls is str:
        return _string_cell(ref, value, style)
    if _is_missing(value):
        return ""
    if isinstance(value, bool):
        return f'<c r="{ref}"{s} t="b"><v>{int(value)}</v></c>'
    if isinstance(value, numbers.Integral):
        return f'<c r="{ref}"{s}><v>{int(value)}</v></c>'
    if isinstance(value, (numbers.Real, decimal.Decimal)):
        number = float(value)
        return f'<c r="{ref}"{s}><v>{number!r}</v></c>' if math.isfinite(number) else _string_cell(ref, str(value), style)
    if isinstance(value, dt.date):
        return _date_cell(ref, value, style, styles, date1904)
    return _string_cell(ref, str(value), style)


def _special_cell(ref: str, value: object, style: int, styles: CellStyles, date1904: bool, link: Link | None,
                  by_value: Mapping[str, int], found: list[Hyperlink]) -> str:
    """A cell of a column with hyperlinks or value-dependent styles."""
    if value is None:
        return ""
    if value.__class__ is str:
        text = value[:MAX_TEXT]
        if link is not None and (link[0] or link[1]) and len(found) < MAX_HYPERLINKS:
            found.append((ref, link[0], link[1], text))
            return _string_cell(ref, text, styles.link)
        return _string_cell(ref, text, by_value.get(value, style))
    return _value_cell(ref, value, style, styles, date1904)


def _date_cell(ref: str, value: dt.date, style: int, styles: CellStyles, date1904: bool) -> str:
    serial = _serial(value, date1904)
    if serial is None:
        return _string_cell(ref, value.isoformat(), style)
    timed = isinstance(value, dt.datetime) and serial != int(serial)
    style = style or (styles.datetime if timed else styles.date)
    s = f' s="{style}"' if style else ""
    return f'<c r="{ref}"{s}><v>{serial!r}</v></c>' if timed else f'<c r="{ref}"{s}><v>{int(serial)}</v></c>'


def _columns(header: Sequence[str], rows: Sequence[Sequence[object]], widths: Sequence[float] | None,
             ncols: int) -> str:
    sizes: list[float] = []
    for i in range(ncols):
        if widths is not None and i < len(widths) and widths[i]:
            sizes.append(float(widths[i]))
            continue
        sample = [header[i] if i < len(header) else ""] + [r[i] for r in rows[:_SAMPLE_ROWS] if i < len(r)]
        longest = max((_width(str(v)) for v in sample if not _is_missing(v)), default=8)
        sizes.append(min(max(longest + 2, 8), 60))
    return "".join(f'<col min="{i + 1}" max="{i + 1}" width="{w:g}" customWidth="1"/>' for i, w in enumerate(sizes))


def _document(rows: list[str], links: list[str], cols: str, dimension: str) -> bytes:
    parts = [
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n',
        f'<worksheet xmlns="{MAIN_NS}" xmlns:r="{REL_NS}">',
        f'<dimension ref="{dimension}"/>',
        '<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" '
        'state="frozen"/><selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView></sheetViews>',
        '<sheetFormatPr defaultRowHeight="15"/>',
        f"<cols>{cols}</cols>" if cols else "",
        "<sheetData>", *rows, "</sheetData>",
        f"<hyperlinks>{''.join(links)}</hyperlinks>" if links else "",
        '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>',
        "</worksheet>",
    ]
    # each piece encoded, then the bytes joined: joining the text first would copy a tab's
    # rows once more, at two or four bytes a character (they hold Chinese)
    return b"".join([part.encode("utf-8") for part in parts])


def locator(titles: Sequence[str]) -> Callable[[str], str | None]:
    """A function giving a link-column text's hyperlink location inside a workbook of
    ``titles``, or None (the titles folded once for all the links of a tab).

    "'回款台账 Receivables'!F12" is used as it is (a leading "=" dropped); a bare sheet title
    links to its A1; anything naming no sheet of the workbook gets no link (a dead link in
    Excel shows an error when clicked).
    """
    folded = {t.casefold(): t for t in titles}
    return functools.partial(_location, folded=folded)


def _location(text: str, folded: dict[str, str]) -> str | None:
    text = text.strip().lstrip("=")
    if "!" in text:
        sheet = text.rsplit("!", 1)[0]
        if sheet.startswith("'") and sheet.endswith("'") and len(sheet) >= 2:
            sheet = sheet[1:-1].replace("''", "'")
        return text if sheet.casefold() in folded else None
    if text.casefold() in folded:
        return f"{quote_sheet(folded[text.casefold()])}!A1"
    return None
