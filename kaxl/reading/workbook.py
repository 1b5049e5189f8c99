"""Load a workbook's sheets as grids of Python values: the only place kaxl reads a ledger file.

python-calamine (Rust) does the heavy lifting in one pass per sheet. It reports Excel error
cells and formulas without a cached value as empty, so a light scan of the sheet XML — only
when the XML contains error or formula cells at all — recovers those two facts for SCH-004
and SCH-010.
"""

from __future__ import annotations

import os
import posixpath
import queue
import re
import zipfile
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import python_calamine as pc

from kaxl.errors import LedgerReadError
from kaxl.ooxml import zipcodec
from kaxl.reading.guards import check_workbook_file

PARSE_THREADS = 2  # the benchmark machine has 2 cores; more handles would only add memory
PARALLEL_FROM_BYTES = 4_000_000  # sheet XML below this parses faster than a second handle opens


@dataclass
class RawSheet:
    """One sheet as read: its title, the grid and where the grid sits in the sheet."""

    title: str
    rows: list[list[object]]
    first_row: int  # 0-based sheet row of rows[0]
    first_col: int  # 0-based sheet column of rows[i][0]
    hidden: bool = False
    errors: dict[tuple[int, int], str] = field(default_factory=dict)  # (row0, col0) -> "#N/A"
    uncached_formulas: set[tuple[int, int]] = field(default_factory=set)  # (row0, col0)


Ready = Callable[[RawSheet], None]  # told of each sheet as soon as it is read (on the caller's thread)


def load_workbooks(paths: Sequence[str | os.PathLike[str]] | str | os.PathLike[str],
                   ready: Callable[[str], Ready | None] | None = None) -> list[tuple[str, list[RawSheet]]]:
    """(path, sheets) for every workbook of a portfolio, in order.

    ``ready(path)``, when given, returns the ``ready`` callback of :func:`load_workbook` for
    that workbook (or None)."""
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    return [(str(p), load_workbook(p, ready(str(p)) if ready else None)) for p in paths]


def load_workbook(path: str | os.PathLike[str], ready: Ready | None = None) -> list[RawSheet]:
    """Every worksheet of ``path`` (after the safety checks), in workbook order.

    The XML scan for error cells and uncached formulas runs sheet by sheet in another thread
    while calamine parses (zlib and calamine release the GIL): on a 20,000-project ledger it is
    then almost free instead of half a second after the parse.

    ``ready(sheet)`` is called on the caller's thread with each sheet, complete, as soon as it
    is read (in the order the reads finish): the caller types one sheet while calamine parses
    the next ones, instead of waiting for the whole workbook with one core idle.
    """
    path = Path(path)
    check_workbook_file(path)
    parts, sizes = _sheet_parts_and_sizes(path)
    with ThreadPoolExecutor(max_workers=1) as scanner:
        # largest first, the order the parse threads take them in
        scans = {name: scanner.submit(_scan_part, path, part)
                 for name, part in sorted(parts.items(), key=lambda item: -sizes.get(item[0], 0))}

        def complete(sheet: RawSheet) -> RawSheet:
            scan = scans.get(sheet.title)
            if scan is not None:
                sheet.errors, sheet.uncached_formulas = scan.result()
            if ready is not None:
                ready(sheet)
            return sheet

        return _load_sheets(path, sizes, complete)


def _open(path: Path) -> pc.CalamineWorkbook:
    try:
        return pc.CalamineWorkbook.from_path(str(path))
    except pc.PasswordError:
        raise LedgerReadError(f"无法读取 {path.name}：工作簿设置了密码。", f"Cannot read {path.name}: it is password-protected.",
                              file=str(path)) from None
    except Exception as exc:  # calamine raises several unrelated types for damaged packages
        raise LedgerReadError(f"无法读取 {path.name}：文件已损坏（{exc}）。请在 Excel 中打开并另存后再试。",
                              f"Cannot read {path.name}: the file is damaged ({exc}). Open it in Excel, save a copy and retry.",
                              file=str(path)) from None


def _load_sheets(path: Path, sizes: dict[str, int], complete: Callable[[RawSheet], RawSheet]) -> list[RawSheet]:
    """Every worksheet, parsed by calamine — by two threads when the workbook is large —
    each passed through ``complete`` on this thread as soon as it is read.

    calamine parses without holding the GIL, so on a 2-core machine two workbook handles
    reading different sheets (largest first) take about half the time of one; what
    ``complete`` does with a sheet (the typing) runs beside the parse of the ones after it.
    """
    book = _open(path)
    metas = [m for m in book.sheets_metadata if str(m.typ) == "SheetTypeEnum.WorkSheet" or "WorkSheet" in str(m.typ)]
    workers = min(PARSE_THREADS, len(metas))
    if workers < 2 or sum(sizes.values()) < PARALLEL_FROM_BYTES:
        try:
            return [complete(_read_sheet(book, meta, path)) for meta in metas]
        finally:
            book.close()
    book.close()
    pending = deque(sorted(metas, key=lambda m: -sizes.get(m.name, 0)))
    finished: queue.SimpleQueue[tuple[str, RawSheet | BaseException]] = queue.SimpleQueue()

    def work() -> None:
        try:
            handle = _open(path)
            try:
                while True:
                    try:
                        meta = pending.popleft()  # deque.popleft is atomic: each sheet read once
                    except IndexError:
                        return
                    finished.put((meta.name, _read_sheet(handle, meta, path)))
            finally:
                handle.close()
        except BaseException as exc:  # handed to the caller's thread, which raises it
            finished.put(("", exc))

    read: dict[str, RawSheet] = {}
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for _ in range(workers):
            pool.submit(work)
        try:
            while len(read) < len(metas):
                name, sheet = finished.get()
                if isinstance(sheet, BaseException):
                    raise sheet
                read[name] = complete(sheet)
        except BaseException:
            pending.clear()  # the other thread stops after its current sheet
            raise
    return [read[meta.name] for meta in metas]


def _read_sheet(book: pc.CalamineWorkbook, meta, path: Path) -> RawSheet:
    try:
        sheet = book.get_sheet_by_name(meta.name)
        rows = sheet.to_python(skip_empty_area=True)
        start = sheet.start or (0, 0)
    except Exception as exc:
        raise LedgerReadError(f"无法读取 {path.name} 的工作表「{meta.name}」：{exc}",
                              f"Cannot read sheet '{meta.name}' of {path.name}: {exc}", file=str(path)) from None
    return RawSheet(meta.name, rows, start[0], start[1], "Visible" not in str(meta.visible))


_CELL_OPEN = re.compile(rb'<c\s[^>]*?r="([A-Z]{1,3})(\d+)"[^>]*?(/?)>')
_ERROR_CELL = re.compile(rb'<c\s[^>]*?r="([A-Z]{1,3})(\d+)"[^>]*?t="e"[^>]*>\s*(?:<f[^>]*?(?:/>|>.*?</f>)\s*)?<v>(#[^<]*)</v>', re.S)
_SHEET_ENTRY = re.compile(rb'<sheet\b[^>]*?name="([^"]*)"[^>]*?r:id="([^"]*)"|<sheet\b[^>]*?r:id="([^"]*)"[^>]*?name="([^"]*)"')
_FORMULA_TAG = re.compile(rb"<f[ >/]")
_REL = re.compile(rb'<Relationship\b[^>]*?Id="([^"]*)"[^>]*?Target="([^"]*)"|<Relationship\b[^>]*?Target="([^"]*)"[^>]*?Id="([^"]*)"')


def _col_index(letters: bytes) -> int:
    index = 0
    for ch in letters:
        index = index * 26 + ch - 64
    return index - 1


def _unescape(text: bytes) -> str:
    return (text.decode("utf-8").replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"')
            .replace("&apos;", "'").replace("&amp;", "&"))


def _sheet_parts(archive: zipfile.ZipFile) -> dict[str, str]:
    """Sheet title → its XML part in the package (only parts that exist)."""
    try:
        workbook_xml = archive.read("xl/workbook.xml")
        rels_xml = archive.read("xl/_rels/workbook.xml.rels")
    except KeyError:
        return {}
    targets = {}
    for m in _REL.finditer(rels_xml):
        rid, target = (m.group(1), m.group(2)) if m.group(1) else (m.group(4), m.group(3))
        targets[rid.decode()] = target.decode()
    names = set(archive.namelist())
    parts: dict[str, str] = {}
    for m in _SHEET_ENTRY.finditer(workbook_xml):
        name, rid = (m.group(1), m.group(2)) if m.group(1) else (m.group(4), m.group(3))
        target = targets.get(rid.decode())
        if not target:
            continue
        part = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
        if part in names:
            parts[_unescape(name)] = part
    return parts


def _sheet_parts_and_sizes(path: Path) -> tuple[dict[str, str], dict[str, int]]:
    """Sheet title → its XML part, and → the part's uncompressed size (from the zip directory)."""
    try:
        with zipfile.ZipFile(path) as archive:
            parts = _sheet_parts(archive)
            return parts, {name: archive.getinfo(part).file_size for name, part in parts.items()}
    except (zipfile.BadZipFile, OSError, KeyError):
        return {}, {}


def _scan_part(path: Path, part: str) -> tuple[dict[tuple[int, int], str], set[tuple[int, int]]]:
    """Excel error cells and formula cells that carry no cached value, of one sheet part."""
    data = zipcodec.read_part(path, part)  # ISA-L inflates twice as fast as zlib, where installed
    # every error value starts with "#" (#N/A, #DIV/0!…): one memchr rules errors out in most
    # sheets, 30× faster than looking for t="e" (these scans hold the GIL the typing needs)
    if (b"#" not in data or b't="e"' not in data) and b"<f" not in data:
        return {}, set()
    return _scan_sheet(data)


def _scan_sheet(data: bytes) -> tuple[dict[tuple[int, int], str], set[tuple[int, int]]]:
    errors: dict[tuple[int, int], str] = {}
    uncached: set[tuple[int, int]] = set()
    at = data.find(b't="e"')
    while at >= 0:  # visit error cells only: a regex tried at every cell took 0.4 s on 250k cells
        start = data.rfind(b"<c", 0, at)  # the tag holding it (no "<" inside a tag)
        own = start >= 0 and data.find(b">", start, at) < 0  # the t="e" is that tag's attribute
        m = _ERROR_CELL.match(data, start) if own else None
        if m is not None:
            errors[(int(m.group(2)) - 1, _col_index(m.group(1)))] = m.group(3).decode("utf-8", "replace")
        at = data.find(b't="e"', at + 5)
    position = 0
    while True:  # visit formula cells only: big sheets hold few formulas, if any
        found = _FORMULA_TAG.search(data, position)
        if found is None:
            break
        start = data.rfind(b"<c ", 0, found.start())
        end = data.find(b"</c>", found.end())
        if start < 0 or end < 0:
            break
        opening = _CELL_OPEN.match(data, start)
        body = data[found.start():end]
        value = re.search(rb"<v>([^<]*)</v>", body)
        if opening and (value is None or (value.group(1) == b"" and b't="str"' not in opening.group(0))):
            uncached.add((int(opening.group(2)) - 1, _col_index(opening.group(1))))
        position = end
    return errors, uncached
