"""What kaxl changed in an annotated copy, stored inside the copy so a re-run can undo it.

Where: a Custom XML Data part (``customXml/itemN.xml`` + ``itemPropsN.xml``, related from the
workbook part), the mechanism Office itself provides for application data in a document.
Excel keeps such parts when it saves, shows nothing for them and never prompts a repair;
LibreOffice, openpyxl and calamine ignore them. A very-hidden worksheet was the alternative,
but it would be one more sheet for every reader of the ledger (kaxl's own included) to skip.
The part is found again by its root namespace (:data:`NAMESPACE`), not by its name, because
Excel renumbers customXml parts when it saves.

What: for every marked cell, its style before marking and the style kaxl gave it, whether kaxl
created the cell or its row, and how its note was made (a new note, or text appended to the
user's note — with the user's original ``<comment>`` element, to put back verbatim); for every
sheet, which parts kaxl created (comments, VML, rels) so they can be dropped once empty; and
the titles of the tabs kaxl added.
"""

from __future__ import annotations

import hashlib
import posixpath
from collections.abc import Sequence
from dataclasses import dataclass, field

from kaxl.ooxml import contenttypes, rels
from kaxl.ooxml.contenttypes import ContentTypes
from kaxl.ooxml.guard import parse
from kaxl.ooxml.package import Package, rels_part
from kaxl.ooxml.rels import Rels
from kaxl.ooxml.workbook import Workbook
from kaxl.ooxml.xmltext import escape_attribute, escape_text

NAMESPACE = "urn:kaxl:annotate:1"
ITEM_ID = "{6B1C3A52-7D0E-4C8A-9E1F-4B61A7C0DA5E}"  # fixed: identifies kaxl's data store item
_NS = "{" + NAMESPACE + "}"


def text_hash(text: str) -> str:
    return hashlib.sha1(text.replace("\r\n", "\n").encode("utf-8")).hexdigest()


def text_hashes(texts: Sequence[str]) -> list[str]:
    """:func:`text_hash` of each text (the thousands of notes of a sheet: line ends are looked
    for once in all of them, not once in each)."""
    sha1 = hashlib.sha1
    if "\r" in "".join(texts):
        texts = [text.replace("\r\n", "\n") for text in texts]
    return [sha1(text.encode("utf-8")).hexdigest() for text in texts]


@dataclass
class MarkRecord:
    sheet: str
    cell: str
    original_style: int | None  # s before marking (None: no s attribute)
    style: int  # the xf kaxl gave the cell
    created_cell: bool = False
    created_row: bool = False
    note: str = ""  # "new" | "appended" | "" (no note written)
    note_hash: str = ""  # of the note's plain text as kaxl wrote it
    original_comment: str = ""  # the user's <comment> element before kaxl appended


@dataclass
class SheetParts:
    """Parts kaxl created for one sheet's notes (to drop again once they hold nothing)."""
    comments: bool = False
    vml: bool = False
    rels: bool = False


@dataclass
class Record:
    marks: list[MarkRecord] = field(default_factory=list)
    parts: dict[str, SheetParts] = field(default_factory=dict)
    sheets: list[str] = field(default_factory=list)
    vml_default: bool = False  # kaxl added the Default for .vml in [Content_Types].xml
    # sheet -> (<dimension ref> before kaxl widened it for a cell it created, the ref kaxl wrote)
    dimensions: dict[str, tuple[str, str]] = field(default_factory=dict)

    def to_xml(self) -> bytes:
        out = ['<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n',
               f'<annotations xmlns="{NAMESPACE}" version="1"'
               + (' vmlDefault="1"' if self.vml_default else "") + ">"]
        for title in self.sheets:
            out.append(f'<addedSheet name="{escape_attribute(title)}"/>')
        for sheet, parts in self.parts.items():
            out.append(f'<sheetParts sheet="{escape_attribute(sheet)}" comments="{int(parts.comments)}" '
                       f'vml="{int(parts.vml)}" rels="{int(parts.rels)}"/>')
        for sheet, (before, written) in self.dimensions.items():
            out.append(f'<dimension sheet="{escape_attribute(sheet)}" original="{escape_attribute(before)}" '
                       f'written="{escape_attribute(written)}"/>')
        for m in self.marks:
            attrs = (f'sheet="{escape_attribute(m.sheet)}" cell="{m.cell}" style="{m.style}"'
                     + ("" if m.original_style is None else f' originalStyle="{m.original_style}"')
                     + (' createdCell="1"' if m.created_cell else "") + (' createdRow="1"' if m.created_row else "")
                     + (f' note="{m.note}" noteHash="{m.note_hash}"' if m.note else ""))
            if m.original_comment:
                out.append(f"<mark {attrs}>{escape_text(m.original_comment).replace(chr(13), '&#13;')}</mark>")
            else:
                out.append(f"<mark {attrs}/>")
        out.append("</annotations>")
        return "".join(out).encode("utf-8")

    @classmethod
    def from_xml(cls, part: str, data: bytes, source: str) -> Record:
        root = parse(part, data, source)
        record = cls(vml_default=root.get("vmlDefault") == "1")
        for element in root:
            if element.tag == _NS + "addedSheet":
                record.sheets.append(element.get("name", ""))
            elif element.tag == _NS + "sheetParts":
                record.parts[element.get("sheet", "")] = SheetParts(
                    element.get("comments") == "1", element.get("vml") == "1", element.get("rels") == "1")
            elif element.tag == _NS + "dimension":
                record.dimensions[element.get("sheet", "")] = (element.get("original", ""), element.get("written", ""))
            elif element.tag == _NS + "mark":
                try:
                    record.marks.append(MarkRecord(
                        element.get("sheet", ""), element.get("cell", ""),
                        int(element.get("originalStyle")) if element.get("originalStyle") is not None else None,
                        int(element.get("style", "-1")), element.get("createdCell") == "1",
                        element.get("createdRow") == "1", element.get("note", ""), element.get("noteHash", ""),
                        element.text or ""))
                except ValueError:
                    continue  # a damaged entry only means that cell is not restored
        return record


@dataclass
class _Stored:
    item: str
    relationship: str


def _find(package: Package, workbook: Workbook) -> _Stored | None:
    for rel in workbook.rels.by_type(rels.CUSTOM_XML):
        if rel.part is None or not package.has(rel.part):
            continue
        head = package.read(rel.part)[:4096]
        if NAMESPACE.encode() in head:
            return _Stored(package.find(rel.part) or rel.part, rel.id)
    return None


def load(package: Package, workbook: Workbook) -> Record:
    """The record of a previous annotate (empty for a ledger kaxl never annotated)."""
    stored = _find(package, workbook)
    if stored is None:
        return Record()
    return Record.from_xml(stored.item, package.read(stored.item), package.source)


def remove(package: Package, workbook: Workbook, types: ContentTypes) -> None:
    """Drop the previous record's parts (item, its properties, their relationships)."""
    stored = _find(package, workbook)
    if stored is None:
        return
    item_rels = Rels(package, stored.item)
    for rel in item_rels.all():
        if rel.part is not None:
            package.remove(rel.part)
            types.remove_override(rel.part)
    package.remove(item_rels.name)
    package.remove(stored.item)
    types.remove_override(stored.item)
    workbook.rels.remove(stored.relationship)


def save(package: Package, workbook: Workbook, types: ContentTypes, record: Record) -> None:
    """Store ``record`` as a new Custom XML Data part of the workbook."""
    item = package.free_name("customXml/item{}.xml")
    props = posixpath.join(posixpath.dirname(item), "itemProps" + posixpath.basename(item)[4:])
    package.write(item, record.to_xml())
    package.write(props, (
        '<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n'
        f'<ds:datastoreItem ds:itemID="{ITEM_ID}" '
        'xmlns:ds="http://schemas.openxmlformats.org/officeDocument/2006/customXml"><ds:schemaRefs>'
        f'<ds:schemaRef ds:uri="{NAMESPACE}"/></ds:schemaRefs></ds:datastoreItem>').encode())
    item_rels = Rels(package, item)
    item_rels.add(rels.CUSTOM_XML_PROPS, props)
    item_rels.save()
    assert item_rels.name == rels_part(item)
    types.set_override(props, contenttypes.CUSTOM_XML_PROPS)
    if types.content_type(item) != contenttypes.XML:
        types.set_override(item, contenttypes.XML)
    workbook.rels.add(rels.CUSTOM_XML, item)
