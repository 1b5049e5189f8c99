"""Refuse hostile XML before anything reads it.

A spreadsheet part never needs a DOCTYPE; a DOCTYPE with ENTITY declarations is how billion-
laughs and external-entity attacks start. :func:`kaxl.reading.guards.check_workbook_file` already
checks the first 4 KB of every part, but a prolog can be padded with comments beyond that, so
every part this package parses or patches is checked over its whole length here. XML is
case-sensitive and parsers only honour the upper-case keywords, so an exact search is complete.
Both keywords start with "<!", and most sheets hold no "!" at all: one single-byte search
(memchr, far faster than a multi-byte search) clears them, and only a part that has a "!"
somewhere is searched for the keywords themselves.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

import defusedxml.ElementTree as SafeET

from kaxl.errors import LedgerReadError

_FORBIDDEN = (b"<!DOCTYPE", b"<!ENTITY")


def check_part(part: str, data: bytes, source: str | None = None) -> None:
    """Raise :class:`LedgerReadError` if ``data`` declares a DOCTYPE or an entity."""
    if b"!" not in data:
        return
    for marker in _FORBIDDEN:
        if marker in data:
            raise LedgerReadError(
                f"{source or '工作簿'} 的部件 {part} 含有 XML 实体声明（DOCTYPE/ENTITY），出于安全考虑拒绝处理。",
                f"part {part} of {source or 'the workbook'} declares XML entities (DOCTYPE/ENTITY); "
                "refused for safety.",
                file=source,
            )


def parse(part: str, data: bytes, source: str | None = None) -> ET.Element:
    """Parse a small part (workbook, rels, content types) after :func:`check_part`.

    defusedxml refuses DTDs once more, so even a check that was somehow skipped cannot let an
    entity through.
    """
    check_part(part, data, source)
    try:
        return SafeET.fromstring(data)
    except ET.ParseError as exc:
        raise LedgerReadError(
            f"{source or '工作簿'} 的部件 {part} 不是有效的 XML（{exc}），文件可能已损坏。",
            f"part {part} of {source or 'the workbook'} is not valid XML ({exc}); the file may be damaged.",
            file=source,
        ) from None
