"""Dates in file names: the dated copies people already keep (台账_2026-11-09.xlsx, 20261109).

Two uses: ``kaxl snapshot --backfill`` takes a copy's as-of date from its name, and a ledger
set is named by its files *without* the date, so 台账_2026-11-09.xlsx, 台账_2026-11-16.xlsx and
the live 台账.xlsx are one ledger's history rather than three.
"""

from __future__ import annotations

import datetime as dt
import re

# 2026-11-09, 2026_11_09, 2026.11.09, 20261109 (one separator, the same twice), 2026年11月9日
_DATE = re.compile(r"(?<!\d)(20\d{2})([-_.]?)(\d{2})\2(\d{2})(?!\d)|(?<!\d)(20\d{2})年(\d{1,2})月(\d{1,2})日?")
_EMPTY_BRACKETS = re.compile(r"\(\s*\)|（\s*）|\[\s*\]|【\s*】")
_EDGE = " _-.·"


def _match(name: str) -> tuple[re.Match[str], dt.date] | None:
    for match in _DATE.finditer(name):
        parts = (match.group(1, 3, 4) if match.group(1) else match.group(5, 6, 7))
        try:
            return match, dt.date(*(int(p) for p in parts))
        except ValueError:
            continue
    return None


def date_in_name(name: str) -> dt.date | None:
    """The date written in a file name, or None (an impossible date such as 20261340 is none)."""
    found = _match(name)
    return found[1] if found else None


def undated_name(name: str) -> str:
    """The file name without its date and the separator beside it: 台账_2026-11-09.xlsx → 台账.xlsx.

    A name that is nothing but a date keeps it (2026-11-09.xlsx stays what it is).
    """
    found = _match(name)
    if found is None:
        return name
    match = found[0]
    stem, dot, suffix = name.rpartition(".")
    if not dot or match.start() >= len(stem):
        stem, suffix = name, ""
    head, tail = stem[:match.start()].rstrip(_EDGE), stem[match.end():].lstrip(_EDGE)
    joined = _EMPTY_BRACKETS.sub("", head + (" " if head and tail else "") + tail).strip(_EDGE)
    if not joined:
        return name
    return f"{joined}.{suffix}" if suffix else joined
