"""How wide text shows in a cell or note box, in narrow-character units (CJK counts 2).

Used to size note boxes and column widths. A character is wide when
``unicodedata.east_asian_width`` says W or F. A 20,000-finding ledger has millions of
characters in its notes, so the width is counted in C rather than character by character:
in UTF-8 the wide characters of the Basic Multilingual Plane (CJK, kana, Hangul, full-width
forms) are exactly 3 bytes, so for text made of ASCII and those, width = length + (UTF-8
bytes − length) / 2. Every other character (a “curly quote”, ×, an emoji) is an exception:
one regex pass finds them, and each is corrected for by its own byte count and width.
"""

from __future__ import annotations

import functools
import re
import unicodedata


def _is_wide(char: str) -> bool:
    return unicodedata.east_asian_width(char) in "WF"


@functools.cache
def _exceptions() -> re.Pattern[str]:
    """Characters that are neither ASCII nor wide 3-byte ones (built on first use: ~20 ms)."""
    ranges: list[list[int]] = []
    for code in range(0x800, 0x10000):
        if 0xD800 <= code <= 0xDFFF or not _is_wide(chr(code)):
            continue
        if ranges and ranges[-1][1] == code - 1:
            ranges[-1][1] = code
        else:
            ranges.append([code, code])
    wide = "".join(re.escape(chr(lo)) if lo == hi else f"{re.escape(chr(lo))}-{re.escape(chr(hi))}" for lo, hi in ranges)
    return re.compile(f"[^\\x00-\\x7f{wide}]")


@functools.lru_cache(maxsize=4096)
def _correction(char: str) -> tuple[int, int]:
    """(UTF-8 bytes beyond one, width beyond one) of an exception character."""
    return len(char.encode("utf-8", "surrogatepass")) - 1, 1 if _is_wide(char) else 0


def display_width(text: str) -> int:
    """Columns ``text`` takes: 2 for wide/full-width characters, 1 for the rest."""
    length = len(text)
    if text.isascii():
        return length
    extra_bytes = extra_width = 0
    for char in _exceptions().findall(text):
        more_bytes, more_width = _correction(char)
        extra_bytes += more_bytes
        extra_width += more_width
    wide_3_byte = (len(text.encode("utf-8", "surrogatepass")) - length - extra_bytes) // 2
    return length + wide_3_byte + extra_width
