"""Small, exact text operations on XML: read a start tag's attributes, change one, escape text.

Parts are edited as text so that everything the producer wrote around an edit (namespace
prefixes, attribute order, mc:Ignorable content, unknown extensions) survives unchanged; an
ElementTree round trip would rename prefixes and reorder declarations.
"""

from __future__ import annotations

import html
import re

# A start tag's attribute list; quoted values may legally contain ">".
ATTRS = r"""(?:[^>"']|"[^"]*"|'[^']*')*"""
_ATTR = re.compile(r"""([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_ROOT = re.compile(r"<([\w.-]+:)?([\w.-]+)[\s/>]")
_NS_DECL = r"""\sxmlns:([\w.-]+)\s*=\s*["']{uri}["']"""
_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")  # one class: one scan
_EXCEL_ESCAPE = re.compile(r"_(x[0-9A-Fa-f]{4}_)")


def needs_cell_escape(text: str) -> bool:
    """Whether :func:`cell_text` would change ``text``.

    One character-class scan plus a substring test (the ``_xHHHH_`` regex only when ``_x``
    occurs): ~3× faster than one regex with both alternatives, which matters on the joined
    text of a whole column (megabytes on a large ledger).
    """
    return _ILLEGAL_XML.search(text) is not None or ("_x" in text and _EXCEL_ESCAPE.search(text) is not None)

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def decode(data: bytes) -> tuple[str, str]:
    """Text of a part and the codec to encode it back with (UTF-8 unless it has a UTF-16 BOM)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "utf-16"
    return data.decode("utf-8"), "utf-8"


def encode(text: str, codec: str) -> bytes:
    return text.encode(codec)


def attributes(tag: str) -> dict[str, str]:
    """Attributes of one start tag, values unescaped."""
    return {m.group(1): html.unescape(m.group(2) if m.group(2) is not None else m.group(3))
            for m in _ATTR.finditer(tag)}


def set_attribute(tag: str, name: str, value: str | None) -> str:
    """``tag`` with attribute ``name`` set to ``value`` (escaped here), or removed if None.

    An existing attribute is replaced in place, a new one goes just before the tag's end, so
    a diff of the part shows exactly one changed attribute.
    """
    pattern = re.compile(r"""\s%s\s*=\s*(?:"[^"]*"|'[^']*')""" % re.escape(name))
    match = pattern.search(tag)
    if value is None:
        return tag if match is None else tag[: match.start()] + tag[match.end():]
    new = f' {name}="{escape_attribute(value)}"'
    if match is not None:
        return tag[: match.start()] + new + tag[match.end():]
    end = len(tag) - (2 if tag.endswith("/>") else 1)
    return tag[:end] + new + tag[end:]


def root_prefix(text: str) -> str:
    """The namespace prefix of the root element ("" or e.g. "x:"), after the prolog."""
    position = 0
    while True:
        start = text.find("<", position)
        if start < 0:
            return ""
        if text.startswith("<?", start):
            position = text.find("?>", start) + 2
        elif text.startswith("<!--", start):
            position = text.find("-->", start) + 3
        else:
            match = _ROOT.match(text, start)
            return (match.group(1) or "") if match else ""


def prefix_for(text: str, uri: str) -> str | None:
    """The prefix (without colon) declared for namespace ``uri`` in ``text``, if any."""
    match = re.search(_NS_DECL.format(uri=re.escape(uri)), text)
    return match.group(1) if match else None


def escape_text(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def escape_attribute(value: str) -> str:
    return escape_text(value).replace('"', "&quot;").replace("\n", "&#10;").replace("\r", "&#13;").replace(
        "\t", "&#9;")


def cell_text(value: str) -> str:
    """User text made safe for a SpreadsheetML string, as Excel itself stores it.

    Characters XML 1.0 cannot carry (control characters, lone surrogates) are written with
    Excel's ``_xHHHH_`` escape, and a literal ``_xHHHH_`` in the text is protected as
    ``_x005F_xHHHH_`` so Excel does not decode it into something the user never typed.
    """
    if not needs_cell_escape(value):  # nearly all text: one scan, no copies
        return value
    value = _EXCEL_ESCAPE.sub(r"_x005F_\1", value)
    return _ILLEGAL_XML.sub(lambda m: f"_x{ord(m.group()):04X}_", value)


def element_span(text: str, prefix: str, name: str, start: int = 0) -> tuple[int, int, int] | None:
    """(start, end of start tag, end) of the first ``<prefix:name>`` element from ``start``.

    For a self-closing element the second and third numbers are equal. Not for elements that
    nest inside themselves (none of the ones this package looks for do).
    """
    match = re.compile(r"<%s%s(?=[\s/>])%s>" % (re.escape(prefix), re.escape(name), ATTRS)).search(text, start)
    if match is None:
        return None
    if match.group().endswith("/>"):
        return match.start(), match.end(), match.end()
    close = text.find(f"</{prefix}{name}>", match.end())
    if close < 0:
        return None
    return match.start(), match.end(), close + len(f"</{prefix}{name}>")


def start_tags(text: str, prefix: str, name: str, start: int = 0, end: int | None = None):
    """Every ``<prefix:name ...>`` start tag between ``start`` and ``end`` (regex matches)."""
    pattern = re.compile(r"<%s%s(?=[\s/>])%s>" % (re.escape(prefix), re.escape(name), ATTRS))
    return pattern.finditer(text, start, len(text) if end is None else end)
