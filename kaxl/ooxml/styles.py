"""styles.xml: add cell formats (xf) for the marks and the new tabs, never change existing ones.

Cells share xfs: changing xf 7 to red would paint every cell using it. So a marked cell gets a
*new* xf cloned from its own (same font, border, number format, alignment, protection) with
only the fill replaced. New entries are appended, so existing indexes stay valid, and an xf,
fill, font or number format that already exists with the very same XML is reused instead of
added again — which is also what makes re-annotating a copy leave styles.xml unchanged.
"""

from __future__ import annotations

import re

from kaxl.ooxml.xmltext import (
    ATTRS,
    MAIN_NS,
    attributes,
    decode,
    encode,
    escape_attribute,
    root_prefix,
    set_attribute,
)

_ORDER = ("numFmts", "fonts", "fills", "borders", "cellStyleXfs", "cellXfs")
_CHILD = {"numFmts": "numFmt", "fonts": "font", "fills": "fill", "borders": "border", "cellStyleXfs": "xf",
          "cellXfs": "xf"}
MINIMAL = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    f'<styleSheet xmlns="{MAIN_NS}"><fonts count="1"><font><sz val="11"/><name val="Calibri"/>'
    '<family val="2"/></font></fonts><fills count="2"><fill><patternFill patternType="none"/></fill><fill>'
    '<patternFill patternType="gray125"/></fill></fills><borders count="1"><border><left/><right/><top/>'
    '<bottom/><diagonal/></border></borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" '
    'borderId="0"/></cellStyleXfs><cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" '
    'xfId="0"/></cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    '</styleSheet>')
_FONT_ORDER = ("b", "i", "strike", "condense", "extend", "outline", "shadow", "u", "vertAlign", "sz", "color",
               "name", "family", "charset", "scheme")


class _Section:
    """The children of one collection element (e.g. every <xf> of <cellXfs>), originals first."""

    def __init__(self, text: str, prefix: str, name: str) -> None:
        self.name, self.child = name, _CHILD[name]
        self.items: list[str] = []
        self.added: list[str] = []
        self.index: dict[str, int] = {}
        opening = re.compile(r"<%s%s(?=[\s/>])%s>" % (re.escape(prefix), name, ATTRS)).search(text)
        self.span: tuple[int, int, int] | None = None
        if opening is None:
            return
        if opening.group().endswith("/>"):
            self.span = (opening.start(), opening.end(), opening.end())
            return
        close = text.find(f"</{prefix}{name}>", opening.end())
        self.span = (opening.start(), opening.end(), close + len(f"</{prefix}{name}>"))
        child = re.compile(r"<%s%s(?=[\s/>])%s>" % (re.escape(prefix), self.child, ATTRS))
        end_tag = f"</{prefix}{self.child}>"
        position = opening.end()
        while True:
            match = child.search(text, position, close)
            if match is None:
                break
            end = match.end() if match.group().endswith("/>") else text.find(end_tag, match.end()) + len(end_tag)
            self.items.append(text[match.start(): end])
            position = end
        for i, item in enumerate(self.items):
            self.index.setdefault(item, i)

    def get(self, xml: str) -> int:
        """Index of an item with exactly this XML, appending it if there is none."""
        found = self.index.get(xml)
        if found is None:
            found = len(self.items)
            self.items.append(xml)
            self.added.append(xml)
            self.index[xml] = found
        return found


class Styles:
    """styles.xml as text, with appended fonts/fills/numFmts/xfs written back on :meth:`to_bytes`."""

    def __init__(self, data: bytes | None) -> None:
        self.text, self._codec = decode(data) if data is not None else (MINIMAL, "utf-8")
        self._p = root_prefix(self.text)
        self._sections = {name: _Section(self.text, self._p, name) for name in _ORDER}
        # (base xf, rgb) -> filled xf: sections only ever grow, so an answer stays right, and a
        # big ledger asks the same few dozen questions for its 20,000 marked cells
        self._filled: dict[tuple[int, str], int] = {}

    @property
    def changed(self) -> bool:
        return any(section.added for section in self._sections.values())

    def xf_count(self) -> int:
        return len(self._sections["cellXfs"].items)

    def _xf(self, index: int) -> str:
        items = self._sections["cellXfs"].items
        if 0 <= index < len(items):
            return items[index]
        return items[0] if items else f'<{self._p}xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'

    def fill_of(self, xf_index: int) -> str | None:
        """The fill XML an xf uses (to recognise the fills kaxl painted)."""
        fill_id = attributes(self._xf(xf_index)).get("fillId", "0")
        fills = self._sections["fills"].items
        return fills[int(fill_id)] if fill_id.isdigit() and int(fill_id) < len(fills) else None

    def solid_fill(self, rgb: str) -> int:
        p = self._p
        return self._sections["fills"].get(
            f'<{p}fill><{p}patternFill patternType="solid"><{p}fgColor rgb="FF{rgb}"/><{p}bgColor indexed="64"/>'
            f'</{p}patternFill></{p}fill>')

    def solid_fill_xml(self, rgb: str) -> str:
        return self._sections["fills"].items[self.solid_fill(rgb)]

    def with_fill(self, base: int, rgb: str) -> int:
        """An xf like ``base`` (font, border, number format, alignment...) but filled with ``rgb``."""
        known = self._filled.get((base, rgb))
        if known is None:
            known = self._filled[(base, rgb)] = self._with_fill(base, rgb)
        return known

    def _with_fill(self, base: int, rgb: str) -> int:
        xf = self._xf(base)
        head_end = xf.find(">") + 1
        head = xf[:head_end]
        head = set_attribute(head, "fillId", str(self.solid_fill(rgb)))
        head = set_attribute(head, "applyFill", "1")
        return self._sections["cellXfs"].get(head + xf[head_end:])

    def font(self, *, bold: bool = False, underline: bool = False, rgb: str | None = None) -> int:
        """A font like the workbook's default font (font 0) with the given emphasis."""
        fonts = self._sections["fonts"].items
        base = fonts[0] if fonts else f"<{self._p}font/>"
        children = {k: v for k, v in _font_children(base, self._p).items()
                    if k in ("sz", "color", "name", "family", "charset", "scheme")}
        if bold:
            children["b"] = f"<{self._p}b/>"
        if underline:
            children["u"] = f"<{self._p}u/>"
        if rgb is not None:
            children["color"] = f'<{self._p}color rgb="FF{rgb}"/>'
        body = "".join(children[name] for name in _FONT_ORDER if name in children)
        return self._sections["fonts"].get(f"<{self._p}font>{body}</{self._p}font>")

    def named_font(self, name: str, size: float, *, bold: bool = False, underline: bool = False,
                   rgb: str | None = None) -> int:
        """A font of its own face and size (the summary's Microsoft YaHei 10), written as XlsxWriter
        writes one, so the same font already in the part is reused."""
        p = self._p
        color = f'<{p}color rgb="FF{rgb}"/>' if rgb else f'<{p}color theme="1"/>'
        body = (f"<{p}b/>" if bold else "") + (f"<{p}u/>" if underline else "") + (
            f'<{p}sz val="{size:g}"/>{color}<{p}name val="{escape_attribute(name)}"/><{p}family val="2"/>')
        return self._sections["fonts"].get(f"<{p}font>{body}</{p}font>")

    def number_format(self, code: str) -> int:
        section = self._sections["numFmts"]
        for item in section.items:
            attrs = attributes(item)
            if attrs.get("formatCode") == code and attrs.get("numFmtId", "").isdigit():
                return int(attrs["numFmtId"])
        used = [int(a["numFmtId"]) for a in map(attributes, section.items) if a.get("numFmtId", "").isdigit()]
        number = max([163, *used]) + 1
        section.get(f'<{self._p}numFmt numFmtId="{number}" formatCode="{escape_attribute(code)}"/>')
        return number

    def cell_format(self, *, font: int = 0, fill: int = 0, num_fmt: int = 0, wrap: bool = False,
                    vertical: str | None = None) -> int:
        """An xf for cells kaxl writes itself (the new tabs), built on the Normal style."""
        p = self._p
        head = f'<{p}xf numFmtId="{num_fmt}" fontId="{font}" fillId="{fill}" borderId="0" xfId="0"'
        for flag, used in (("applyNumberFormat", num_fmt), ("applyFont", font), ("applyFill", fill)):
            if used:
                head += f' {flag}="1"'
        if not (wrap or vertical):
            return self._sections["cellXfs"].get(head + "/>")
        alignment = f"<{p}alignment" + (f' vertical="{vertical}"' if vertical else "") + (
            ' wrapText="1"' if wrap else "") + "/>"
        return self._sections["cellXfs"].get(f'{head} applyAlignment="1">{alignment}</{p}xf>')

    def to_bytes(self) -> bytes:
        """The styles part with every appended item inserted and each changed count updated."""
        text = self.text
        # Edit from the end of the part backwards so earlier spans stay valid.
        sections = sorted((s for s in self._sections.values() if s.added),
                          key=lambda s: s.span[0] if s.span else self._insert_at(s.name), reverse=True)
        for section in sections:
            added = "".join(section.added)
            if section.span is None:
                at = self._insert_at(section.name)
                element = f'<{self._p}{section.name} count="{len(section.items)}">{added}</{self._p}{section.name}>'
                text = text[:at] + element + text[at:]
                continue
            start, head_end, end = section.span
            head = set_attribute(text[start:head_end], "count", str(len(section.items)))
            if head_end == end:  # <numFmts count="0"/>
                head = head[:-2].rstrip() + ">"
                text = text[:start] + head + added + f"</{self._p}{section.name}>" + text[end:]
            else:
                close = end - len(f"</{self._p}{section.name}>")
                text = text[:start] + head + text[head_end:close] + added + text[close:]
        return encode(text, self._codec)

    def _insert_at(self, name: str) -> int:
        """Where a missing collection goes: after the nearest earlier one, else after the root tag."""
        for earlier in reversed(_ORDER[: _ORDER.index(name)]):
            span = self._sections[earlier].span
            if span is not None:
                return span[2]
        root = re.compile(r"<%sstyleSheet(?=[\s/>])%s>" % (re.escape(self._p), ATTRS)).search(self.text)
        assert root is not None, "styles.xml without <styleSheet>"
        return root.end()


def _font_children(font: str, prefix: str) -> dict[str, str]:
    """The child elements of a <font> (all empty elements in practice), keyed by local name."""
    return {m.group(1): m.group(0) for m in re.finditer(r"<%s(\w+)(?=[\s/>])%s/>" % (re.escape(prefix), ATTRS),
                                                        font)}
