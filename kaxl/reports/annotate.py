"""`kaxl annotate`: a copy of the ledger with the findings marked on their cells, nothing lost.

This module imports nothing heavy at the top, so the command can check its output path
before the ledger is read (the markup modules come with :func:`annotate_ledger`).

The content (which cells, which notes, which tabs) comes from :mod:`kaxl.reports.marks`; the
bytes are written by the XML-level patcher in :mod:`kaxl.reports.annotate_package`, which
copies every part it does not need to change byte for byte (openpyxl's load/save would drop
sparklines, text boxes, VBA buttons and cached values, so it is never the writer here).
"""

from __future__ import annotations

import os
from pathlib import Path

from kaxl.errors import KaxlError


def default_output(ledger: Path) -> Path:
    """华东台账.xlsx → 华东台账.annotated.xlsx (same extension, so an .xlsm keeps its macros)."""
    return ledger.with_name(f"{ledger.stem}.annotated{ledger.suffix}")


def check_output_path(ledger: Path, out: Path) -> None:
    """The user's ledger is never a write target (SPEC §6), nor is Excel's ~$ lock file."""
    if out.exists() and out.resolve() == ledger.resolve():
        raise KaxlError("输出文件不能与台账相同：kaxl 从不覆盖您的台账。请用 --out 指定另一个文件名。",
                        "The output cannot be the ledger itself: kaxl never overwrites your ledger. "
                        "Choose another name with --out.", file=str(ledger))
    if out.name.startswith("~$"):
        raise KaxlError("不能写入 Excel 的临时锁文件（~$ 开头）。", "Refusing to write Excel's lock file (~$…).",
                        file=str(out))
    if out.suffix.lower() not in (".xlsx", ".xlsm"):
        raise KaxlError(f"输出文件须为 .xlsx 或 .xlsm：{out.name}", f"The output must be .xlsx or .xlsm: {out.name}",
                        file=str(out))
    if ledger.suffix.lower() == ".xlsm" and out.suffix.lower() == ".xlsx":
        raise KaxlError("台账含宏（.xlsm），输出也须为 .xlsm，否则按钮会失效。",
                        "The ledger has macros (.xlsm); the output must be .xlsm too or its buttons break.",
                        file=str(out))


def annotate_ledger(result, ledger: str | os.PathLike[str], out: str | os.PathLike[str]) -> Path:
    """Write ``out``: ``ledger`` plus marks, notes and the Findings / Scores / Alerts tabs."""
    from kaxl.reports import marks as tabs
    from kaxl.reports.annotate_package import CellMark, NewSheet, annotate_package

    ledger, out = Path(ledger), Path(out)
    check_output_path(ledger, out)
    findings = result.findings
    marks = [CellMark(m.sheet, m.cell, m.severity, m.note) for m in tabs.marks_for(findings, ledger)]
    # titles, links and widths (0: fit to the text; messages wrap at 60)
    new_sheets = [NewSheet(tabs.FINDINGS_TITLE, list(tabs.FINDINGS_HEADER), tabs.findings_rows(findings, ledger),
                           link_column=0, widths=[0, 0, 0, 0, 0, 0, 0, 60, 60]),
                  NewSheet(tabs.SCORES_TITLE, *tabs.frame_rows(result.projects, tabs.scores_columns(result.projects))),
                  NewSheet(tabs.ALERTS_TITLE, *tabs.frame_rows(result.alerts, tabs.ALERTS_COLUMNS))]
    annotate_package(ledger, out, marks, new_sheets)
    return out
