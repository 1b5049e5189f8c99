"""Cutting a message into parts that fit a vendor's size limit, between items.

A part is as many whole blocks as fit, measured the way the vendor measures (UTF-8 bytes of
the markdown content for WeCom, of the whole JSON body for DingTalk and Feishu — JSON escaping
and the signature count), with room kept for the part number "（12/12）". A heading never ends
a part: it moves to the next one with its first item. Only a single line longer than a whole
message is cut inside, at a character (never a byte of a multibyte character) with "…".
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

ELLIPSIS = "…"

Measure = Callable[[Sequence[str]], int]  # bytes of a part holding these block texts


def split(blocks: Sequence[tuple[str, bool]], measure: Measure, limit: int) -> list[list[str]]:
    """``blocks`` = (rendered text, is_heading) in order → the block texts of each part."""
    parts: list[list[str]] = []
    current: list[str] = []
    heading_tail = 0  # how many headings end ``current``
    for text, heading in blocks:
        if measure([*current, text]) <= limit:
            current.append(text)
            heading_tail = heading_tail + 1 if heading else 0
            continue
        carried: list[str] = []
        if heading_tail and heading_tail < len(current):
            carried, current = current[-heading_tail:], current[:-heading_tail]
        if current:
            parts.append(current)
        current = carried
        if measure([*current, text]) <= limit:
            current.append(text)
            heading_tail = heading_tail + 1 if heading else 0
            continue
        for piece in _cut(text, measure, limit):
            if measure([*current, piece]) > limit and current:
                parts.append(current)
                current = []
            current.append(piece)
        heading_tail = 0
    if current:
        parts.append(current)
    return parts


def _cut(text: str, measure: Measure, limit: int) -> list[str]:
    """A block too big for any part: whole lines together while they fit; a line too long is shortened."""
    pieces: list[str] = []
    chunk = ""
    for line in text.split("\n"):
        candidate = f"{chunk}\n{line}" if chunk else line
        if measure([candidate]) <= limit:
            chunk = candidate
            continue
        if chunk:
            pieces.append(chunk)
        chunk = line if measure([line]) <= limit else shorten(line, lambda s: measure([s]) <= limit)
    if chunk:
        pieces.append(chunk)
    return pieces


def shorten(line: str, fits: Callable[[str], bool]) -> str:
    """The longest prefix of ``line`` (whole characters) that fits with "…" after it (binary search)."""
    low, high = 0, len(line)
    while low < high:
        middle = (low + high + 1) // 2
        if fits(line[:middle] + ELLIPSIS):
            low = middle
        else:
            high = middle - 1
    return line[:low] + ELLIPSIS


def utf8_size(text: str) -> int:
    return len(text.encode("utf-8"))
