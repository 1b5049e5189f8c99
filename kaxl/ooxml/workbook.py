"""The workbook part: which sheets exist, where their XML lives, and appending/removing tabs.

The workbook part is found through ``_rels/.rels`` (it is not always ``xl/workbook.xml``), and
each sheet's part through the workbook's rels, so files whose producers chose other part
names work the same as Excel's ``xl/worksheets/sheetN.xml``.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass

from kaxl.errors import LedgerReadError
from kaxl.ooxml import contenttypes, rels
from kaxl.ooxml.contenttypes import ContentTypes
from kaxl.ooxml.package import Package, rels_part
from kaxl.ooxml.rels import Rels
from kaxl.ooxml.xmltext import (
    ATTRS,
    REL_NS,
    attributes,
    decode,
    element_span,
    encode,
    escape_attribute,
    prefix_for,
    root_prefix,
    set_attribute,
    start_tags,
)


@dataclass(frozen=True)
class SheetEntry:
    name: str
    sheet_id: int
    rel_id: str
    part: str | None  # None when the relationship is missing or external
    is_worksheet: bool  # False for chart sheets, dialog sheets, macro sheets


class Workbook:
    """Text of the workbook part plus its relationships, edited in place."""

    def __init__(self, package: Package, types: ContentTypes) -> None:
        self.package = package
        self.types = types
        root = Rels(package, "")
        documents = root.by_type(rels.OFFICE_DOCUMENT)
        if not documents or documents[0].part is None or not package.has(documents[0].part):
            raise LedgerReadError(f"{package.source} 中找不到工作簿部件。", f"{package.source} has no workbook part.",
                                  file=str(package.path))
        self.part = package.find(documents[0].part) or documents[0].part
        self.text, self._codec = decode(package.read(self.part))
        self._original = self.text
        self._p = root_prefix(self.text)
        self.rels = Rels(package, self.part)

    # -- reading -------------------------------------------------------------------------
    def sheets(self) -> list[SheetEntry]:
        span = element_span(self.text, self._p, "sheets")
        if span is None:
            return []
        targets = {r.id: r for r in self.rels.all()}
        entries = []
        for match in start_tags(self.text, self._p, "sheet", span[1], span[2]):
            attrs = attributes(match.group())
            rel_id = next((v for k, v in attrs.items() if k.endswith(":id")), "")
            rel = targets.get(rel_id)
            part = self.package.find(rel.part) if rel is not None and rel.part else None
            is_worksheet = rel is not None and rel.type.rsplit("/", 1)[-1] == "worksheet"
            entries.append(SheetEntry(attrs.get("name", ""), int(attrs.get("sheetId", "0") or 0), rel_id, part,
                                      is_worksheet))
        return entries

    def sheet(self, name: str) -> SheetEntry | None:
        """The sheet titled ``name`` (Excel compares titles case-insensitively)."""
        folded = name.casefold()
        return next((s for s in self.sheets() if s.name.casefold() == folded), None)

    @property
    def date1904(self) -> bool:
        tag = next(start_tags(self.text, self._p, "workbookPr"), None)
        return tag is not None and attributes(tag.group()).get("date1904", "0").lower() in ("1", "true")

    def styles_part(self) -> str | None:
        found = self.rels.by_type(rels.STYLES)
        return found[0].part if found else None

    # -- changing ------------------------------------------------------------------------
    def add_sheet(self, title: str, xml: bytes, *, hidden: bool = False) -> str:
        """Append a worksheet tab holding ``xml`` (``hidden``: not shown as a tab); returns its part name."""
        folder = posixpath.dirname(self.part)
        part = self.package.free_name(posixpath.join(folder, "worksheets", "sheet{}.xml"))
        self.package.write(part, xml)
        self.types.set_override(part, contenttypes.WORKSHEET)
        rel_id = self.rels.add(rels.WORKSHEET, part)
        sheet_id = max((s.sheet_id for s in self.sheets()), default=0) + 1
        prefix = prefix_for(self.text, REL_NS)
        rid_attr = f'{prefix}:id="{rel_id}"' if prefix else f'xmlns:r="{REL_NS}" r:id="{rel_id}"'
        state = ' state="hidden"' if hidden else ""
        element = f'<{self._p}sheet name="{escape_attribute(title)}" sheetId="{sheet_id}"{state} {rid_attr}/>'
        span = element_span(self.text, self._p, "sheets")
        assert span is not None and span[1] != span[2], "a workbook always lists its sheets"
        close = span[2] - len(f"</{self._p}sheets>")
        self.text = self.text[:close] + element + self.text[close:]
        return part

    def remove_sheet(self, name: str) -> bool:
        """Remove the tab ``name``, its part, its rels and everything that pointed at its index."""
        entries = self.sheets()
        index = next((i for i, s in enumerate(entries) if s.name.casefold() == name.casefold()), None)
        if index is None:
            return False
        entry = entries[index]
        span = element_span(self.text, self._p, "sheets")
        assert span is not None
        for match in start_tags(self.text, self._p, "sheet", span[1], span[2]):
            if attributes(match.group()).get("name", "").casefold() == name.casefold():
                end = match.end()
                closing = f"</{self._p}sheet>"
                if not match.group().endswith("/>") and self.text.startswith(closing, end):
                    end += len(closing)
                self.text = self.text[: match.start()] + self.text[end:]
                break
        self.rels.remove(entry.rel_id)
        if entry.part is not None:
            self.package.remove(entry.part)
            self.package.remove(rels_part(entry.part))
            self.types.remove_override(entry.part)
        self._shift_sheet_indexes(index, len(entries) - 1)
        return True

    def _shift_sheet_indexes(self, removed: int, remaining: int) -> None:
        """Sheet-local names and the active tab refer to sheets by position: close the gap."""
        pattern = re.compile(r"<%sdefinedName(?=[\s/>])%s>.*?</%sdefinedName>" % (
            re.escape(self._p), ATTRS, re.escape(self._p)), re.S)
        pieces, last = [], 0
        for match in pattern.finditer(self.text):
            local = attributes(match.group()[: match.group().find(">") + 1]).get("localSheetId")
            if local is None or not local.isdigit() or int(local) < removed:
                continue
            pieces.append(self.text[last: match.start()])
            if int(local) > removed:
                head_end = match.group().find(">") + 1
                pieces.append(set_attribute(match.group()[:head_end], "localSheetId", str(int(local) - 1))
                              + match.group()[head_end:])
            last = match.end()
        pieces.append(self.text[last:])
        self.text = "".join(pieces)
        for name in ("activeTab", "firstSheet"):
            for match in start_tags(self.text, self._p, "workbookView"):
                value = attributes(match.group()).get(name)
                if value is not None and value.isdigit() and int(value) >= removed and int(value) > 0:
                    new = min(int(value) - 1 if int(value) > removed else int(value), max(remaining - 1, 0))
                    if new != int(value):
                        tag = set_attribute(match.group(), name, str(new))
                        self.text = self.text[: match.start()] + tag + self.text[match.end():]
                        break

    def save(self) -> None:
        self.rels.save()
        if self.text != self._original:
            self.package.write(self.part, encode(self.text, self._codec))
