"""[Content_Types].xml: declare the parts we add, drop the ones we remove — one element each."""

from __future__ import annotations

import re

from kaxl.ooxml.package import Package
from kaxl.ooxml.xmltext import ATTRS, attributes, decode, encode, escape_attribute, root_prefix

PART = "[Content_Types].xml"

WORKSHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
COMMENTS = "application/vnd.openxmlformats-officedocument.spreadsheetml.comments+xml"
VML = "application/vnd.openxmlformats-officedocument.vmlDrawing"
STYLES = "application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"
CUSTOM_XML_PROPS = "application/vnd.openxmlformats-officedocument.customXmlProperties+xml"
XML = "application/xml"


class ContentTypes:
    """The text of [Content_Types].xml with Default/Override edits made in place."""

    def __init__(self, package: Package) -> None:
        self.package = package
        self.text, self._codec = decode(package.read(PART))
        self._original = self.text
        self._p = root_prefix(self.text)

    def _elements(self, kind: str):
        return re.finditer(r"<%s%s(?=[\s/>])%s/?>" % (re.escape(self._p), kind, ATTRS), self.text)

    def default(self, extension: str) -> str | None:
        for match in self._elements("Default"):
            attrs = attributes(match.group())
            if attrs.get("Extension", "").lower() == extension.lower():
                return attrs.get("ContentType")
        return None

    def override(self, part: str) -> str | None:
        match = self._find_override(part)
        return attributes(match.group()).get("ContentType") if match else None

    def content_type(self, part: str) -> str | None:
        """What a reader takes ``part`` to be: its Override, else its extension's Default."""
        return self.override(part) or self.default(part.rsplit(".", 1)[-1] if "." in part else "")

    def _find_override(self, part: str):
        wanted = "/" + part.lstrip("/").lower()
        for match in self._elements("Override"):
            if attributes(match.group()).get("PartName", "").lower() == wanted:
                return match
        return None

    def _append(self, element: str) -> None:
        close = self.text.rfind(f"</{self._p}Types>")
        if close < 0:  # <Types .../> with nothing declared
            tag = re.search(r"<%sTypes%s/>" % (re.escape(self._p), ATTRS), self.text)
            assert tag is not None, "no <Types> root"
            opened = tag.group()[:-2] + ">"
            self.text = self.text[: tag.start()] + opened + element + f"</{self._p}Types>" + self.text[tag.end():]
            return
        self.text = self.text[:close] + element + self.text[close:]

    def ensure_default(self, extension: str, content_type: str) -> bool:
        """Declare ``extension`` unless some Default already does; True if one was added."""
        if self.default(extension) is not None:
            return False
        self._append(f'<{self._p}Default Extension="{escape_attribute(extension)}" '
                     f'ContentType="{escape_attribute(content_type)}"/>')
        return True

    def remove_default(self, extension: str) -> None:
        for match in self._elements("Default"):
            if attributes(match.group()).get("Extension", "").lower() == extension.lower():
                self.text = self.text[: match.start()] + self.text[match.end():]
                return

    def set_override(self, part: str, content_type: str) -> None:
        if self.override(part) == content_type:
            return
        self.remove_override(part)
        self._append(f'<{self._p}Override PartName="/{escape_attribute(part.lstrip("/"))}" '
                     f'ContentType="{escape_attribute(content_type)}"/>')

    def remove_override(self, part: str) -> None:
        match = self._find_override(part)
        if match is not None:
            self.text = self.text[: match.start()] + self.text[match.end():]

    def save(self) -> None:
        if self.text != self._original:
            self.package.write(PART, encode(self.text, self._codec))
