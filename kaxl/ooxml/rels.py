"""Relationship parts (``_rels/*.rels``): read, add one, remove one, as text edits."""

from __future__ import annotations

import re
from dataclasses import dataclass

from kaxl.ooxml.package import Package, relative_target, rels_part, resolve_target
from kaxl.ooxml.xmltext import ATTRS, attributes, decode, encode, escape_attribute, root_prefix

_DOC = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
WORKSHEET = _DOC + "worksheet"
COMMENTS = _DOC + "comments"
VML_DRAWING = _DOC + "vmlDrawing"
STYLES = _DOC + "styles"
CUSTOM_XML = _DOC + "customXml"
CUSTOM_XML_PROPS = _DOC + "customXmlProps"
OFFICE_DOCUMENT = _DOC + "officeDocument"
HYPERLINK = _DOC + "hyperlink"
TABLE = _DOC + "table"
_EMPTY = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
          '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"></Relationships>')


@dataclass(frozen=True)
class Relationship:
    id: str
    type: str
    target: str
    external: bool
    part: str | None  # the target as a part name (None for external targets)


class Rels:
    """The relationships *from* one part (``source``), e.g. a worksheet's drawing and comments."""

    def __init__(self, package: Package, source: str) -> None:
        self.package = package
        self.source = source
        self.name = rels_part(source)
        stored = package.find(self.name)
        self.existed = stored is not None
        if stored is not None:
            self.name = stored
            self.text, self._codec = decode(package.read(stored))
        else:
            self.text, self._codec = _EMPTY, "utf-8"
        self._original = self.text
        self._p = root_prefix(self.text)

    def _matches(self):
        return re.finditer(r"<%sRelationship(?=[\s/>])%s>(?:\s*</%sRelationship>)?"
                           % (re.escape(self._p), ATTRS, re.escape(self._p)), self.text)

    def all(self) -> list[Relationship]:
        found = []
        for match in self._matches():
            attrs = attributes(match.group())
            external = attrs.get("TargetMode", "").lower() == "external"
            target = attrs.get("Target", "")
            found.append(Relationship(attrs.get("Id", ""), attrs.get("Type", ""), target, external,
                                      None if external else resolve_target(self.source, target)))
        return found

    def by_type(self, rel_type: str) -> list[Relationship]:
        # Strict-conformance files use purl.oclc.org type URIs; compare on the last segment too.
        tail = rel_type.rsplit("/", 1)[-1]
        return [r for r in self.all() if r.type == rel_type or (r.type.rsplit("/", 1)[-1] == tail
                                                                 and "purl.oclc.org" in r.type)]

    def by_id(self, rel_id: str) -> Relationship | None:
        return next((r for r in self.all() if r.id == rel_id), None)

    def add(self, rel_type: str, part: str) -> str:
        """Relate ``part`` (a part name) and return the new, unused rId."""
        return self._append(rel_type, relative_target(self.source, part), "")

    def add_external(self, rel_type: str, target: str) -> str:
        """Relate an external ``target`` (a file or URL, as written) and return the new rId."""
        return self._append(rel_type, target, ' TargetMode="External"')

    def _append(self, rel_type: str, target: str, mode: str) -> str:
        used = {r.id for r in self.all()}
        numbers = [int(m.group(1)) for i in used if (m := re.fullmatch(r"rId(\d+)", i))]
        n = max(numbers, default=0) + 1
        while f"rId{n}" in used:
            n += 1
        rel_id = f"rId{n}"
        element = (f'<{self._p}Relationship Id="{rel_id}" Type="{escape_attribute(rel_type)}" '
                   f'Target="{escape_attribute(target)}"{mode}/>')
        close = self.text.rfind(f"</{self._p}Relationships>")
        if close < 0:
            tag = re.search(r"<%sRelationships%s/>" % (re.escape(self._p), ATTRS), self.text)
            assert tag is not None, "no <Relationships> root"
            self.text = (self.text[: tag.start()] + tag.group()[:-2] + ">" + element
                         + f"</{self._p}Relationships>" + self.text[tag.end():])
        else:
            self.text = self.text[:close] + element + self.text[close:]
        return rel_id

    def remove(self, rel_id: str) -> None:
        for match in self._matches():
            if attributes(match.group()).get("Id") == rel_id:
                self.text = self.text[: match.start()] + self.text[match.end():]
                return

    def save(self, *, drop_if_empty: bool = False) -> None:
        """Write back if changed; with ``drop_if_empty`` a rels part left empty is removed."""
        if drop_if_empty and not self.all():
            self.package.remove(self.name)
            return
        if self.text != self._original:
            self.package.write(self.name, encode(self.text, self._codec))
