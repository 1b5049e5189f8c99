"""``kaxl snapshot --backfill FOLDER``: the history from the dated copies people already keep.

Each workbook in the folder is a copy of the ledger as it was on a day: the date written in its
name (台账_2026-11-09.xlsx, 台账20261109.xlsx, 2026.11.09 台账.xlsx), else the day the file was
last modified (shown, and confirmed by the user, because a copy touched later has a wrong one).
Copies of the same day form one portfolio snapshot (华东_2026-11-09.xlsx + 华北_2026-11-09.xlsx),
checked as of that day; a ledger set is named by the files without their dates, so the backfilled
snapshots and the live ledger's own runs are one history.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from kaxl.history.dated import date_in_name

LEDGER_SUFFIXES = (".xlsx", ".xlsm")


@dataclass(frozen=True)
class Copy:
    """One dated copy: its file, its as-of date, and whether the date came from the name."""

    path: Path
    day: dt.date
    from_name: bool


def ledger_copies(folder: Path, timezone: str = "Asia/Shanghai") -> list[Copy]:
    """The workbooks of ``folder`` (not its subfolders) with their dates, oldest first.

    Left out: Excel's lock files (~$…), kaxl's own annotated copies and hidden files.
    """
    zone = ZoneInfo(timezone)
    out = []
    for path in sorted(folder.iterdir()):
        name = path.name
        if (not path.is_file() or path.suffix.lower() not in LEDGER_SUFFIXES or name.startswith(("~$", "."))
                or ".annotated." in name):
            continue
        day = date_in_name(name)
        if day is not None:
            out.append(Copy(path, day, True))
        else:
            modified = dt.datetime.fromtimestamp(path.stat().st_mtime, tz=dt.timezone.utc).astimezone(zone)
            out.append(Copy(path, modified.date(), False))
    return sorted(out, key=lambda c: (c.day, c.path.name))


def by_day(copies: Iterable[Copy]) -> list[tuple[dt.date, list[Copy]]]:
    """The copies grouped by as-of date, oldest first: each group is one snapshot."""
    groups: dict[dt.date, list[Copy]] = {}
    for copy in copies:
        groups.setdefault(copy.day, []).append(copy)
    return sorted(groups.items())
