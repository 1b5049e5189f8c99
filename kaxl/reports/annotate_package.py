"""The lossless writer behind `kaxl annotate`: marks, notes and new tabs patched into the package.

:mod:`kaxl.reports.annotate` decides *what* to mark (from the findings); this module only turns
that into :class:`kaxl.ooxml.annotator.Annotator` calls on a copy of the package. The source is
opened read-only and never written; the copy is written atomically by
:meth:`kaxl.ooxml.package.Package.save` (temp file beside it, then ``os.replace``).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from kaxl.errors import KaxlError
from kaxl.ooxml.annotator import Annotator, Mark, Tab
from kaxl.ooxml.cellref import parse_ref
from kaxl.ooxml.package import Package


@dataclass(frozen=True)
class CellMark:
    """Fill ``sheet!cell`` by ``severity`` ("error" / "warning" / "info") and add ``note`` to it."""

    sheet: str
    cell: str
    severity: str
    note: str


@dataclass(frozen=True)
class NewSheet:
    """A tab kaxl adds (and replaces on the next run): a header row and plain values.

    ``link_column``: the column whose text is a cell reference ("'回款台账 Receivables'!F12")
    that becomes an internal hyperlink to that cell.
    """

    title: str
    header: list[str]
    rows: Sequence[Sequence[object]] = field(default_factory=list)
    link_column: int | None = None
    widths: list[float] | None = None


def annotate_package(src: str | os.PathLike[str], dst: str | os.PathLike[str],
                     marks: Sequence[CellMark], new_sheets: Sequence[NewSheet]) -> None:
    """Write ``dst``: ``src`` with ``marks`` applied and ``new_sheets`` added, nothing else changed."""
    src, dst = Path(src), Path(dst)
    if dst.exists() and dst.resolve() == src.resolve():
        raise KaxlError("输出文件不能与台账相同。", "The output cannot be the ledger itself.", file=str(src))
    converted: list[Mark] = []
    for mark in marks:
        try:
            row, col = parse_ref(mark.cell)
        except ValueError:
            raise KaxlError(f"无效的单元格地址：{mark.cell}", f"Invalid cell address: {mark.cell}",
                            file=str(src)) from None
        converted.append(Mark(mark.sheet, row, col, mark.severity, mark.note))
    tabs = [Tab(s.title, list(s.header), s.rows, s.link_column, s.widths) for s in new_sheets]
    with Package(src) as package:
        Annotator(package).run(converted, tabs)
        package.save(dst)
