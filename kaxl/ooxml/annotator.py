"""Mark cells, write notes and add tabs in an open :class:`Package` — undoing a previous run first.

One run does, per marked sheet, a single streaming pass over the sheet XML whose callback both
restores the cells the previous run marked (from :mod:`kaxl.ooxml.record`) and marks this
run's cells; then the sheet's notes (comments + VML) are undone and redone the same way; then
kaxl's previous tabs are replaced. Undo is exact when nothing was edited in between, so
annotating an annotated copy gives the same parts as annotating the original once; when the
user did edit the copy, their edits win (a cell whose style they changed is left alone, a note
whose text they changed is kept).
"""

from __future__ import annotations

import posixpath
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from kaxl.errors import KaxlError
from kaxl.ooxml import contenttypes, record, rels
from kaxl.ooxml.cellref import make_ref, parse_ref
from kaxl.ooxml.comments import Comments, plain_text
from kaxl.ooxml.contenttypes import ContentTypes
from kaxl.ooxml.newsheet import locator, register_formats, render
from kaxl.ooxml.package import Package, iter_parts
from kaxl.ooxml.record import MarkRecord, Record, SheetParts, text_hash, text_hashes
from kaxl.ooxml.rels import Rels
from kaxl.ooxml.sheetpatch import (
    CellInfo,
    Edit,
    RowInfo,
    Splice,
    dimension_ref,
    legacy_drawing_id,
    legacy_drawing_insertion,
    legacy_drawing_removal,
    patch_cells,
    set_dimension_ref,
    splice,
)
from kaxl.ooxml.styles import Styles
from kaxl.ooxml.vml import Vml, blocks_of
from kaxl.ooxml.workbook import SheetEntry, Workbook

FILLS = {"error": "FFC7CE", "warning": "FFEB9C", "info": "DDEBF7"}


@dataclass(frozen=True)
class Mark:
    """One cell to mark, already validated: 1-based row/col, one severity, the full note."""
    sheet: str
    row: int
    col: int
    severity: str
    note: str


@dataclass(frozen=True)
class Tab:
    title: str
    header: list[str]
    rows: Sequence[Sequence[object]]
    link_column: int | None
    widths: list[float] | None


class Annotator:
    def __init__(self, package: Package) -> None:
        self.package = package
        self.types = ContentTypes(package)
        self.book = Workbook(package, self.types)
        styles_part = self.book.styles_part()
        self.styles_part = package.find(styles_part) if styles_part else None
        self.styles = Styles(package.read(self.styles_part) if self.styles_part else None)
        self.previous = record.load(package, self.book)
        self.record = Record(vml_default=self.previous.vml_default)

    def run(self, marks: list[Mark], tabs: list[Tab]) -> None:
        """Mark ``marks`` and add ``tabs`` (replacing the marks and tabs of a previous run)."""
        record.remove(self.package, self.book, self.types)
        for title in self.previous.sheets:
            self.book.remove_sheet(title)
        self._mark(marks)
        self._add_tabs(tabs)
        if self.styles.changed:
            self._save_styles()
        if self.record.marks or self.record.sheets or self.record.parts or self.record.dimensions:
            record.save(self.package, self.book, self.types, self.record)
        if not self._any_vml() and self.record.vml_default:
            self.types.remove_default("vml")
            self.record.vml_default = False
        self.book.save()
        self.types.save()

    # -- marks and notes -----------------------------------------------------------------
    def _mark(self, marks: list[Mark]) -> None:
        entries = {s.name.casefold(): s for s in self.book.sheets()}
        wanted: dict[str, dict[tuple[int, int], Mark]] = defaultdict(dict)
        for mark in marks:
            entry = entries.get(mark.sheet.casefold())
            if entry is None or not entry.is_worksheet or entry.part is None:
                raise KaxlError(f"工作簿中没有名为“{mark.sheet}”的工作表，无法标注 {make_ref(mark.row, mark.col)}。",
                                f"The workbook has no worksheet named '{mark.sheet}' to mark "
                                f"{make_ref(mark.row, mark.col)} on.", file=str(self.package.path))
            wanted[entry.name][(mark.row, mark.col)] = mark
        earlier: dict[str, dict[tuple[int, int], MarkRecord]] = defaultdict(dict)
        for rec in self.previous.marks:
            entry = entries.get(rec.sheet.casefold())
            if entry is not None and entry.part is not None:
                try:
                    earlier[entry.name][parse_ref(rec.cell)] = rec
                except ValueError:
                    continue
        parts = {k.casefold(): v for k, v in self.previous.parts.items()}
        touched = [entry for entry in self.book.sheets()  # workbook order keeps the record deterministic
                   if entry.name in wanted or entry.name in earlier or entry.name.casefold() in parts]
        for n, entry in enumerate(touched):
            if n + 1 < len(touched):  # the next sheet inflates while this one is patched
                self.package.read_ahead(touched[n + 1].part)
            sheet = _SheetAnnotator(self, entry, earlier.get(entry.name, {}), wanted.get(entry.name, {}),
                                    parts.get(entry.name.casefold(), SheetParts()))
            sheet.run()

    def _any_vml(self) -> bool:
        return any(True for _ in iter_parts(self.package, ".vml"))

    def taken_vml_blocks(self) -> set[int]:
        return {b for part in iter_parts(self.package, ".vml") for b in blocks_of(self.package.read(part))}

    # -- new tabs ------------------------------------------------------------------------
    def _add_tabs(self, tabs: list[Tab]) -> None:
        register_formats(self.styles)
        names = [s.name for s in self.book.sheets()]
        for tab in tabs:
            title = _free_title(tab.title, names)
            names.append(title)
            xml = render(title, tab.header, tab.rows, self.styles, date1904=self.book.date1904,
                         link_column=tab.link_column, widths=tab.widths, link_target=locator(names))
            self.book.add_sheet(title, xml)
            self.record.sheets.append(title)

    def _save_styles(self) -> None:
        if self.styles_part is None:
            folder = posixpath.dirname(self.book.part)
            self.styles_part = posixpath.join(folder, "styles.xml")
            self.book.rels.add(rels.STYLES, self.styles_part)
            self.types.set_override(self.styles_part, contenttypes.STYLES)
        self.package.write(self.styles_part, self.styles.to_bytes())


def _free_title(title: str, names: list[str]) -> str:
    """``title``, or "title (2)"… if the user has a tab of that name kaxl did not make."""
    taken = {name.casefold() for name in names}
    candidate, n = title, 2
    while candidate.casefold() in taken:
        suffix = f" ({n})"
        candidate = title[: 31 - len(suffix)] + suffix
        n += 1
    return candidate


def _widened(ref: str | None, cells: list[tuple[int, int]]) -> str | None:
    """``ref`` (a <dimension> like "A1:H4") grown to cover ``cells`` kaxl created."""
    if ref is None or not cells:
        return ref
    try:
        corners = [parse_ref(part) for part in ref.split(":")]
    except ValueError:
        return ref
    rows = [r for r, _ in corners] + [r for r, _ in cells]
    cols = [c for _, c in corners] + [c for _, c in cells]
    return f"{make_ref(min(rows), min(cols))}:{make_ref(max(rows), max(cols))}"


class _SheetAnnotator:
    """Undo the previous marks of one sheet and apply this run's, cells then notes."""

    def __init__(self, owner: Annotator, entry: SheetEntry, earlier: dict[tuple[int, int], MarkRecord],
                 wanted: dict[tuple[int, int], Mark], parts: SheetParts) -> None:
        assert entry.part is not None
        self.owner, self.entry, self.earlier, self.wanted = owner, entry, earlier, wanted
        self.package: Package = owner.package
        self.types: ContentTypes = owner.types
        self.styles: Styles = owner.styles
        self.previous_parts = parts
        self.part = entry.part
        self.records: dict[tuple[int, int], MarkRecord] = {}

    def run(self) -> None:
        data = self.package.read(self.part)
        original = data
        earlier_dimension = self.owner.previous.dimensions.get(self.entry.name)
        if earlier_dimension and dimension_ref(data) == earlier_dimension[1]:  # untouched since: undo it
            data = set_dimension_ref(data, earlier_dimension[0])
        before = dimension_ref(data)
        # notes first: their parts are written now, and the sheet's one edit for them (its
        # <legacyDrawing>) goes into the patch's single copy of the sheet
        tail_edit, noted = self._notes(data)
        targets = set(self.earlier) | set(self.wanted)
        if targets:
            drop = {row for (row, _), rec in self.earlier.items() if rec.created_row}
            data = patch_cells(data, sorted(targets), self._decide, drop, tail_splice=tail_edit)
        elif tail_edit is not None:
            data = splice(data, *tail_edit)
        for key, (note, original_comment, note_hash) in noted.items():
            rec = self.records[key]
            rec.note, rec.original_comment, rec.note_hash = note, original_comment, note_hash
        after = _widened(before, [key for key, rec in self.records.items() if rec.created_cell])
        if before is not None and after is not None and after != before:
            data = set_dimension_ref(data, after)
            self.owner.record.dimensions[self.entry.name] = (before, after)
        if data != original:
            self.package.write(self.part, data)
        for key in sorted(self.records):
            self.owner.record.marks.append(self.records[key])

    def _decide(self, row: int, col: int, cell: CellInfo, row_info: RowInfo) -> Edit | None:
        earlier = self.earlier.get((row, col))
        mark = self.wanted.get((row, col))
        ours = earlier is not None and cell.exists and cell.style == earlier.style
        existed = not earlier.created_cell if ours else cell.exists
        original = earlier.original_style if ours else cell.style
        if mark is None:
            if not ours:
                return None
            if not existed:
                return Edit(delete=True) if cell.empty else Edit(style=cell.inherited or None)
            return Edit(style=original)
        base = (original if original is not None else 0) if existed else cell.inherited
        style = self.styles.with_fill(base, FILLS[mark.severity])
        created_row = not row_info.exists or (earlier is not None and earlier.created_row and row_info.bare)
        self.records[(row, col)] = MarkRecord(self.entry.name, make_ref(row, col), original if existed else None,
                                              style, created_cell=not existed, created_row=created_row)
        return Edit(style=style)

    # -- notes ---------------------------------------------------------------------------
    def _notes(self, data: bytes) -> tuple[Splice | None, dict[tuple[int, int], tuple[str, str, str]]]:
        """Write the sheet's comments and VML parts for this run's marks; return the sheet's own
        edit (its <legacyDrawing> added or removed, if either) and, per marked cell, what its
        record keeps of the note: (new / appended, the user's original comment or "", text hash)."""
        tail_edit: Splice | None = None
        sheet_rels = Rels(self.package, self.part)
        comment_rels = sheet_rels.by_type(rels.COMMENTS)
        comments_rel = comment_rels[0] if comment_rels and comment_rels[0].part else None
        comments_part = self.package.find(comments_rel.part) if comments_rel else None
        comments = Comments(self.package.read(comments_part) if comments_part else None)
        legacy_id = legacy_drawing_id(data)
        vml_rel = sheet_rels.by_id(legacy_id) if legacy_id else None
        vml_part = self.package.find(vml_rel.part) if vml_rel and vml_rel.part else None
        vml = Vml(self.package.read(vml_part), set()) if vml_part else None

        drop_shapes: set[tuple[int, int]] = set()
        for (row, col), earlier in sorted(self.earlier.items()):
            ref = make_ref(row, col)
            current = comments.get(ref)
            if current is None or not earlier.note:
                continue
            if earlier.note == "new" and text_hash(plain_text(current)) == earlier.note_hash:
                comments.remove(ref)
                drop_shapes.add((row, col))
            elif earlier.note == "appended":
                matches = text_hash(plain_text(current)) == earlier.note_hash and earlier.original_comment
                comments.put(ref, earlier.original_comment if matches else Comments.strip_separated(current))
        new_notes: list[tuple[int, int, str]] = []
        new_refs: list[tuple[str, str]] = []
        noted: dict[tuple[int, int], tuple[str, str, str]] = {}
        for (row, col), mark in sorted(self.wanted.items()):
            ref = make_ref(row, col)
            current = comments.get(ref)
            if current is not None:
                written = comments.appended(current, mark.note)
                comments.put(ref, written)
                noted[(row, col)] = ("appended", current, text_hash(plain_text(written)))
            else:  # the new notes are written together below (they go after every existing one)
                new_notes.append((row, col, mark.note))
                new_refs.append((ref, mark.note))
        # what a new note shows is known without parsing it back; its cell may hold an orphan box
        for (row, col, _), digest in zip(new_notes, text_hashes(comments.add_new(new_refs))):
            noted[(row, col)] = ("new", "", digest)
            drop_shapes.add((row, col))

        parts = SheetParts()
        if vml is None and new_notes:
            vml = Vml(None, self.owner.taken_vml_blocks())
        if vml is not None:
            vml.remove_notes(drop_shapes)
            vml.add_notes(new_notes)
        # comments part
        if comments_part is not None:
            if len(comments) == 0 and self.previous_parts.comments:
                self.package.remove(comments_part)
                self.types.remove_override(comments_part)
                assert comments_rel is not None
                sheet_rels.remove(comments_rel.id)
            else:
                parts.comments = self.previous_parts.comments
                if comments.changed:
                    self.package.write(comments_part, comments.to_bytes())
        elif len(comments):
            folder = posixpath.dirname(self.owner.book.part)
            comments_part = self.package.free_name(posixpath.join(folder, "comments{}.xml"))
            self.package.write(comments_part, comments.to_bytes())
            self.types.set_override(comments_part, contenttypes.COMMENTS)
            sheet_rels.add(rels.COMMENTS, comments_part)
            parts.comments = True
        # VML part
        if vml is not None:
            if vml_part is not None and vml.shapes() == 0 and self.previous_parts.vml:
                self.package.remove(vml_part)
                assert legacy_id is not None
                sheet_rels.remove(legacy_id)
                tail_edit = legacy_drawing_removal(data, legacy_id)
            elif vml_part is not None:
                parts.vml = self.previous_parts.vml
                if vml.changed:
                    self.package.write(vml_part, vml.to_bytes())
            elif vml.shapes():
                folder = posixpath.dirname(self.owner.book.part)
                vml_part = self.package.free_name(posixpath.join(folder, "drawings", "vmlDrawing{}.vml"))
                self.package.write(vml_part, vml.to_bytes())
                if self.types.content_type(vml_part) != contenttypes.VML and self.types.ensure_default(
                        "vml", contenttypes.VML):
                    self.owner.record.vml_default = True
                tail_edit = legacy_drawing_insertion(data, sheet_rels.add(rels.VML_DRAWING, vml_part))
                parts.vml = True
        # the sheet's rels part
        created_rels = not sheet_rels.existed or self.previous_parts.rels
        parts.rels = created_rels and bool(sheet_rels.all())
        sheet_rels.save(drop_if_empty=created_rels)
        if parts.comments or parts.vml or parts.rels:
            self.owner.record.parts[self.entry.name] = parts
        return tail_edit, noted
