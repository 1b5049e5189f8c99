"""The data rows of the summary's big tabs, rendered as worksheet XML a column at a time.

XlsxWriter stores every cell as an object and writes it back out one by one (~12 µs a cell
in all); the 20,000-project summary has a million cells, which made writing it take longer
than reading and checking the ledger. The rows under each tab's header are the same few
shapes (a string, a number, a date serial, each with one format per column), so they are
rendered here as text and handed to XlsxWriter to place inside ``<sheetData>``:
:class:`BlockSheet` is an XlsxWriter worksheet that writes its own cells (title, header)
and then this block. Strings still go through the workbook's shared-string table and every
format is XlsxWriter's own, so the part is what XlsxWriter would have written, minus its
optional ``spans`` hints. Ledger text is only ever a shared string (never a formula).

The shared-string table is written the same way (:class:`TextSharedStrings`: one escape pass
over all strings instead of two regex substitutions and a method call per string) and parts
are deflated by :mod:`kaxl.ooxml.zipcodec` (ISA-L's fast level where installed, else zlib's
level 3, never zlib's default 6), on every core as XlsxWriter hands them over
(:class:`BlockWorkbook`, :class:`_DeflatingZip`): on the 20,000-project summary the packaging
step went from 2.5 s to ~1 s with zlib, for a 15 % larger file.

Hyperlinks go the same way: XlsxWriter parses a ``Url`` object per linked cell and writes
each ``<hyperlink>`` through its generic tag writer (~30 µs a link, 30,000 links to the ledger
on the 20k summary); :class:`BlockSheet` keeps each link as its relationship target and
location — parsed once per linked file — and writes the element as XlsxWriter's
``_write_hyperlinks`` does, with the same relationship ids and the same ``.rels`` entries.

Only private XlsxWriter hooks that have been stable for years are used (``_write_rows``,
``fh``, ``str_table``, ``hyperlinks``, ``_write_hyperlinks``, ``rel_count``,
``external_hyper_links``, ``_escape_attributes``, ``_convert_date_time``, ``_get_packager``,
``_write_shared_strings_file``, ``_write_sst_strings``, ``_write_worksheet_rels_files`` with the
``Relationships`` name in ``xlsxwriter.packager`` and its ``_write_relationships``, the ``ZipFile`` name in
``xlsxwriter.workbook`` with its ``writestr``/``write``/``close``); :func:`supported` checks for them, and the summary falls back to
XlsxWriter's own writers when a future XlsxWriter lacks one.
"""

from __future__ import annotations

import bisect
import contextlib
import datetime as dt
import itertools
import os
import re
import zipfile
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from operator import itemgetter
from typing import Any

import xlsxwriter
import xlsxwriter.packager
import xlsxwriter.workbook
from xlsxwriter.packager import Packager
from xlsxwriter.relationships import PACKAGE_SCHEMA, Relationships
from xlsxwriter.sharedstrings import SharedStrings
from xlsxwriter.utility import xl_col_to_name, xl_range
from xlsxwriter.worksheet import Worksheet

from kaxl.ooxml.package import deflated_entry, write_entries

try:  # the URL parser XlsxWriter's write_url uses (xlsxwriter ≥ 3.2)
    from xlsxwriter.url import Url, UrlTypes
except ImportError:  # pragma: no cover - older XlsxWriter: per-cell path
    Url = UrlTypes = None  # type: ignore[assignment,misc]

MAX_TEXT = 32767
EXCEL_EPOCH = dt.datetime(1899, 12, 30)
_JOIN = "\ue000"  # a private-use character: legal XML, untouched by escaping
# what XlsxWriter's per-string path would change besides &, <, >: control characters and the
# two non-characters, text looking like an _xHHHH_ escape (two searches: each alone scans the
# joined table in C three times faster than one alternation of both)
_CONTROL_CHARACTER = re.compile("[\x00-\x08\x0b-\x1f\ufffe\uffff]")
_ESCAPE_SHAPED = re.compile("_x[0-9a-fA-F]{4}_")


class BlockWorkbook(xlsxwriter.Workbook):
    """An XlsxWriter workbook whose package is written with the faster shared strings and deflate."""

    def _get_packager(self) -> Packager:
        return _TextPackager()

    def _store_workbook(self) -> None:
        with _lent(xlsxwriter.workbook, "ZipFile", _DeflatingZip):
            super()._store_workbook()


@contextlib.contextmanager
def _lent(module: Any, name: str, value: Any) -> Iterator[None]:
    """Lend XlsxWriter ``value`` as ``module.name`` (a class it looks up there) for one call."""
    original = getattr(module, name)
    setattr(module, name, value)
    try:
        yield
    finally:
        setattr(module, name, original)


class _DeflatingZip:
    """The ``ZipFile`` XlsxWriter packs through: parts deflated on every core, then one zip written.

    XlsxWriter hands each part to ``writestr`` in turn and ``zipfile`` deflates it there, on
    the main thread, at zlib's default level. Here each part starts deflating (by kaxl's codec,
    like the annotated copy) on a worker thread the moment it arrives — the codec releases the
    GIL — while XlsxWriter encodes the next; :meth:`close` writes the package with the same
    entry writer as the annotated copy (:func:`kaxl.ooxml.package.write_entries`).
    """

    def __init__(self, file, mode: str = "w", compression: int = zipfile.ZIP_DEFLATED,
                 allowZip64: bool = True) -> None:  # noqa: N803 - zipfile.ZipFile's signature
        if mode != "w":
            raise ValueError("kaxl's summary package is only ever written")
        self.file, self.compression = file, compression
        self._pool = ThreadPoolExecutor(max_workers=os.cpu_count() or 1, thread_name_prefix="kaxl-deflate")
        self._parts: list[tuple[str, Future]] = []

    def writestr(self, zinfo_or_arcname: zipfile.ZipInfo | str, data: bytes | str, *_: Any, **__: Any) -> None:
        info = zinfo_or_arcname
        name = info.filename if isinstance(info, zipfile.ZipInfo) else info
        when = info.date_time if isinstance(info, zipfile.ZipInfo) else None
        payload = data.encode("utf-8") if isinstance(data, str) else data
        self._parts.append((name, self._pool.submit(deflated_entry, payload, when)))

    def write(self, filename: str, arcname: str | None = None, *_: Any, **__: Any) -> None:
        with open(filename, "rb") as part:  # XlsxWriter's not-in-memory mode (kaxl uses in_memory)
            self.writestr(arcname or os.path.basename(filename), part.read())

    def close(self) -> None:
        try:
            entries = ((name, future.result()) for name, future in self._parts)
            if hasattr(self.file, "write"):
                write_entries(self.file, entries)
            else:
                with open(self.file, "wb") as out:
                    write_entries(out, entries)
        finally:
            self._pool.shutdown(wait=True, cancel_futures=True)


class TextRelationships(Relationships):
    """A ``.rels`` part written as ``Relationships`` writes it, as one string.

    The 20k summary's Findings tab has ~20,000 links to the ledger, each its own relationship;
    XlsxWriter writes each through its generic tag writer (a regex search per attribute).
    Here each distinct attribute value is escaped once.
    """

    def _write_relationships(self) -> None:
        escaped: dict[str, str] = {}

        def escape(value: str) -> str:
            text = escaped.get(value)
            if text is None:
                text = escaped[value] = self._escape_attributes(value)
            return text

        pieces = [f'<Relationships xmlns="{escape(PACKAGE_SCHEMA)}">']
        for rel_type, target, target_mode in self.relationships:
            mode = f' TargetMode="{escape(target_mode)}"' if target_mode else ""
            pieces.append(f'<Relationship Id="rId{self.id}" Type="{escape(rel_type)}" Target="{escape(target)}"{mode}/>')
            self.id += 1
        pieces.append("</Relationships>")
        self.fh.write("".join(pieces))


class _TextPackager(Packager):
    def _write_worksheet_rels_files(self) -> None:
        with _lent(xlsxwriter.packager, "Relationships", TextRelationships):
            super()._write_worksheet_rels_files()

    def _write_shared_strings_file(self) -> None:
        if not self.workbook.str_table.count:
            return
        sst = TextSharedStrings()
        sst.string_table = self.workbook.str_table
        sst._set_xml_writer(self._filename("xl/sharedStrings.xml"))
        sst._assemble_xml_file()


class TextSharedStrings(SharedStrings):
    """The shared-string table, every entry written as plain text.

    XlsxWriter's writer runs two regex substitutions, a whitespace regex and an escape per
    string, and writes a string that starts with ``<r>`` and ends with ``</r>`` unescaped, as
    rich text. kaxl writes no rich text, and a ledger value shaped like that must stay text
    (SPEC §6), so every entry is escaped here: ``&<>`` in one pass over the joined text, the
    rare string that needs more (a control character, text shaped like ``_xHHHH_``) alone, and
    the entries written with one join between the few that need ``xml:space="preserve"``.
    """

    def _write_sst_strings(self) -> None:
        strings = self.string_table.string_array
        blob = _JOIN.join(strings)
        if not strings or blob.count(_JOIN) != len(strings) - 1:  # a string holds the joining character
            texts = [self._escaped(s) for s in strings]
        else:
            texts = blob.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").split(_JOIN)
            # the few strings that need more than &<> (a control character, text shaped like an
            # _xHHHH_ escape) are escaped one by one, as XlsxWriter escapes every string
            for i in _containing(strings, itertools.chain(_CONTROL_CHARACTER.finditer(blob),
                                                          _ESCAPE_SHAPED.finditer(blob))):
                texts[i] = self._escaped(strings[i])
        # = XlsxWriter's _preserve_whitespace (regexes ^\s and \s$) of each escaped string, without
        # two regex calls per string; the strings between those are written with one join
        preserve = [i for i, t in enumerate(texts) if t[:1].isspace() or t[-1:].isspace()]
        pieces, done = [], 0
        for i in [*preserve, len(texts)]:
            if i > done:
                pieces.append(f'<si><t>{"</t></si><si><t>".join(texts[done:i])}</t></si>')
            if i < len(texts):
                pieces.append(f'<si><t xml:space="preserve">{texts[i]}</t></si>')
            done = i + 1
        self.fh.write("".join(pieces))

    def _escaped(self, string: str) -> str:
        """One string as XlsxWriter's ``_write_si`` escapes it."""
        return self._escape_data(self._escape_control_characters(string))


class BlockSheet(Worksheet):
    """An XlsxWriter worksheet that appends pre-rendered ``<row>`` XML after its own rows."""

    def __init__(self) -> None:
        super().__init__()
        self.kaxl_rows: list[str] = []
        # (row, col, target as given, relationship target or None for an in-workbook link, location, text)
        self.kaxl_links: list[tuple[int, int, str, str | None, str, str]] = []

    def add_table(self, first_row: int, first_col: int, last_row: int, last_col: int,  # type: ignore[override]
                  options: dict | None = None):
        """One table over the whole tab, without XlsxWriter's cell-by-cell overlap bookkeeping.

        ``Worksheet.add_table`` checks and records every cell of the range against earlier
        tables and merges (a million dict entries, ~1 s, on the 20k summary). A block tab has
        one table and no merged cells, so the table is added over its header and first row and
        then given its real range; if this XlsxWriter stores tables differently, the ordinary
        call is made instead.
        """
        if self.tables or self.merged_cells or last_row <= first_row + 1:
            return super().add_table(first_row, first_col, last_row, last_col, options)
        result = super().add_table(first_row, first_col, first_row + 1, last_col, options)
        table = self.tables[-1] if self.tables else {}
        small = xl_range(first_row, first_col, first_row + 1, last_col)
        if result not in (None, 0) or table.get("range") != small or table.get("a_range") != small:
            if self.tables and table.get("range") == small:
                self.tables.pop()
            self.table_cells.clear()
            return super().add_table(first_row, first_col, last_row, last_col, options)
        full = xl_range(first_row, first_col, last_row, last_col)
        table["range"] = table["a_range"] = full
        if table.get("autofilter"):
            table["autofilter"] = full
        self._check_dimensions(last_row, last_col)
        return result

    def _write_rows(self) -> None:
        super()._write_rows()
        if self.kaxl_rows:
            self.fh.write("".join(self.kaxl_rows))

    def links_as_urls(self) -> None:
        """Hand the block's links to XlsxWriter as the Url objects write_url would have stored."""
        for row, col, target, _, _, text in self.kaxl_links:
            url = Url(target)
            url._text = text
            self.hyperlinks[row][col] = url
        self.kaxl_links = []

    def _write_hyperlinks(self) -> None:
        """The ``<hyperlinks>`` element as ``Worksheet._write_hyperlinks`` writes it: in row then
        column order, an ``r:id`` per link to another file (numbered on from ``rel_count``, its
        target added to ``external_hyper_links`` for the packager), ``location`` and
        ``display`` for a link inside the workbook."""
        if not self.kaxl_links:
            return super()._write_hyperlinks()
        if self.hyperlinks:  # cells linked through write_url as well: XlsxWriter orders them all
            self.links_as_urls()
            return super()._write_hyperlinks()
        escape = self._escape_attributes
        letters: dict[int, str] = {}
        pieces = ["<hyperlinks>"]
        for row, col, _, relationship, location, text in sorted(self.kaxl_links, key=itemgetter(0, 1)):
            letter = letters.get(col) or letters.setdefault(col, xl_col_to_name(col))
            if relationship is not None:
                self.rel_count += 1
                anchor = f' location="{escape(location)}"' if location else ""
                pieces.append(f'<hyperlink ref="{letter}{row + 1}" r:id="rId{self.rel_count}"{anchor}/>')
                self.external_hyper_links.append(["/hyperlink", relationship, "External"])
            else:
                pieces.append(f'<hyperlink ref="{letter}{row + 1}" location="{escape(location)}" '
                              f'display="{escape(text)}"/>')
        pieces.append("</hyperlinks>")
        self.fh.write("".join(pieces))


def _containing(strings: Sequence[str], matches: Iterator[re.Match]) -> set[int]:
    """Which of ``strings`` the ``matches`` over ``_JOIN.join(strings)`` start in."""
    found: set[int] = set()
    starts: list[int] | None = None
    for match in matches:
        if starts is None:  # where each string starts in the joined text, once there is a match
            starts = [0, *itertools.accumulate(len(s) + 1 for s in strings)]
        found.add(bisect.bisect_right(starts, match.start()) - 1)
    return found


def supported() -> bool:
    """Whether this XlsxWriter has the hooks :class:`BlockSheet` relies on."""
    return (Url is not None and hasattr(UrlTypes, "INTERNAL")
            and all(hasattr(Worksheet, name) for name in ("_write_rows", "_check_dimensions", "_convert_date_time",
                                                           "_write_hyperlinks", "_escape_attributes"))
            and hasattr(xlsxwriter.Workbook, "_get_packager") and hasattr(xlsxwriter.Workbook, "_store_workbook")
            and hasattr(xlsxwriter.workbook, "ZipFile") and hasattr(Packager, "_write_shared_strings_file")
            and hasattr(SharedStrings, "_write_sst_strings") and hasattr(Packager, "_write_worksheet_rels_files")
            and getattr(xlsxwriter.packager, "Relationships", None) is Relationships
            and all(hasattr(Relationships, name) for name in ("_write_relationships", "_escape_attributes")))


def _serial(value: dt.datetime | dt.date) -> float:
    if not isinstance(value, dt.datetime):
        value = dt.datetime(value.year, value.month, value.day)
    delta = value.replace(tzinfo=None) - EXCEL_EPOCH
    return delta.days + delta.seconds / 86400 + delta.microseconds / 86_400_000_000


def write_block(ws: BlockSheet, first_row: int, rows: Sequence[Sequence[Any]], formats: Sequence[Any],
                numeric: Sequence[bool], *, heights: Sequence[float | None] | None = None,
                links: dict[int, Sequence[str | None]] | None = None, link_format: Any = None,
                rag_columns: Sequence[int] = (), rag_formats: dict[str, Any] | None = None,
                max_url: int = 255) -> None:
    """Render ``rows`` (0-based sheet row ``first_row`` on) into ``ws``'s block.

    Same rules as the per-cell writer in :mod:`kaxl.reports.summary`: strings as shared
    strings (cut at Excel's 32,767), numbers in numeric columns as numbers, datetimes as
    date serials, anything else as its text; ``links[col][n]`` makes that cell a hyperlink
    (XlsxWriter's own URL handling, so relative file links are written as write_url would);
    ``rag_columns`` cells whose text names a RAG status take that status's format.
    """
    if not rows:
        return
    table = ws.str_table
    sst = table._get_shared_string_index
    # Strings of the plain columns are indexed inline: ``known.setdefault(text, len(known))`` is
    # what ``_get_shared_string_index`` does (a new string gets the next index) in two C calls
    # instead of a Python method call per cell; the count is added up per column. Only while the
    # table is XlsxWriter's dict with one entry per index (it is until the workbook closes).
    known = table.string_table
    inline = isinstance(known, dict) and table.unique_count == len(known)
    add = known.setdefault if inline else (lambda text, _next: sst(text))
    convert = ws._convert_date_time  # as write_datetime: the workbook's epoch and time-zone rule
    ncols = max(len(r) for r in rows)
    letters = [xl_col_to_name(j) for j in range(ncols)]
    styles = [_style(f) for f in formats]
    link_style = _style(link_format)
    rag = {text: _style(fmt) for text, fmt in (rag_formats or {}).items()}
    links = links or {}
    special = set(links) | set(rag_columns)
    numbers = [str(first_row + 1 + n) for n in range(len(rows))]
    values = list(zip(*(row if len(row) == ncols else [*row, *[None] * (ncols - len(row))] for row in rows)))
    columns: list[list[str]] = []
    for j in range(ncols):
        letter, style, is_numeric = letters[j], styles[j], numeric[j]
        cells: list[str] = []
        append = cells.append
        if j in special:
            targets = links.get(j)
            parsed: dict[str, str] = {}
            for n, row in enumerate(rows):
                value = row[j] if j < len(row) else None
                if value is None:
                    append("")
                    continue
                ref = letter + numbers[n]
                target = targets[n] if targets is not None else None
                if target and len(target) <= max_url and isinstance(value, str) and ws.hlink_count < 65530:
                    ws.hlink_count += 1
                    ws.kaxl_links.append((first_row + n, j, target, *_link(target, parsed), value[:MAX_TEXT]))
                    append(f'<c r="{ref}"{link_style} t="s"><v>{sst(value[:MAX_TEXT])}</v></c>')
                elif isinstance(value, str) and value in rag:
                    append(f'<c r="{ref}"{rag[value]} t="s"><v>{sst(value)}</v></c>')
                else:
                    append(_cell(ref, value, style, is_numeric, sst, convert))
            columns.append(cells)
            continue
        # one comprehension per column; strings and floats (nearly every cell) inline
        start, as_text, as_number = f'<c r="{letter}', f'"{style} t="s"><v>', f'"{style}><v>'
        columns.append([
            "" if value is None
            else f"{start}{number}{as_text}{add(value if len(value) <= MAX_TEXT else value[:MAX_TEXT], len(known))}</v></c>"
            if value.__class__ is str
            else f"{start}{number}{as_number}{value:.16G}</v></c>" if is_numeric and value.__class__ is float
            else _cell(letter + number, value, style, is_numeric, sst, convert)
            for value, number in zip(values[j], numbers)])
        if inline:
            table.count += list(map(type, values[j])).count(str)
            table.unique_count = len(known)
    heights = heights or [None] * len(rows)
    out = ws.kaxl_rows
    for n, cells in enumerate(zip(*columns)):
        height = heights[n]
        opening = f'<row r="{numbers[n]}" ht="{height:g}" customHeight="1">' if height else f'<row r="{numbers[n]}">'
        out.append(opening + "".join(cells) + "</row>")
    ws._check_dimensions(first_row + len(rows) - 1, ncols - 1)


def _link(target: str, parsed: dict[str, str]) -> tuple[str | None, str]:
    r"""(relationship target, location) of a hyperlink to ``target``, as ``Url(target)`` gives them.

    The relationship target is None for a link inside the workbook (``internal:'Sheet'!A5``,
    whose location is the rest of the text, as Url takes it). A finding links
    ``external:file#'Sheet'!F12``: the file part is parsed once per file and the anchor taken
    verbatim — as Url does after ``/`` → ``\``, which no sheet name or cell address contains.
    Anything else is parsed; a target Url refuses raises its ValueError here, as write_url would.
    """
    if target.startswith("internal:"):
        return None, target[len("internal:"):]
    head, sep, anchor = target.partition("#")
    simple = sep and target.startswith("external:") and "/" not in anchor
    relationship = parsed.get(head) if simple else None
    if relationship is None:
        url = Url(target)
        if url._link_type not in (UrlTypes.URL, UrlTypes.EXTERNAL):
            return None, url._link
        relationship = url._target()
        if simple and url._anchor == anchor:
            parsed[head] = relationship
        return relationship, url._anchor
    return relationship, anchor


def _cell(ref: str, value: Any, style: str, is_numeric: bool, sst, convert) -> str:
    if isinstance(value, bool):
        return f'<c r="{ref}"{style} t="s"><v>{sst(str(value))}</v></c>'
    if is_numeric and isinstance(value, (int, float)):
        return f'<c r="{ref}"{style}><v>{value:.16G}</v></c>'
    if isinstance(value, (dt.datetime, dt.date)):
        return f'<c r="{ref}"{style}><v>{_serial(value):.16G}</v></c>'
    return f'<c r="{ref}"{style} t="s"><v>{sst(str(value)[:MAX_TEXT])}</v></c>'


def _style(cell_format: Any) -> str:
    """The ``s`` attribute of a format (registering it with the workbook, as a cell write does)."""
    if cell_format is None:
        return ""
    index = cell_format._get_xf_index()
    return f' s="{index}"' if index else ""
