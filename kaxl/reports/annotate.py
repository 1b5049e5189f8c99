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
from kaxl.gcpause import paused_gc


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
    ledger, out = Path(ledger), Path(out)
    check_output_path(ledger, out)
    with paused_gc():  # hundreds of thousands of strings, none cyclic: no collector passes over
        _annotate(result.findings, ledger, out, lambda: (_tab_contents(result), None))  # the check's heap
    return out


def annotate_findings(checked, ledger: str | os.PathLike[str], out: str | os.PathLike[str], *,
                      with_result: bool = True):
    """:func:`annotate_ledger` from the check's first half (:func:`kaxl.engine.check_findings`):
    the second half — scores, receivables, KPIs, alerts — is computed beside the marking of the
    cells (by a forked child, when there is one), which needs only the findings. Returns the
    written path and the whole :class:`~kaxl.engine.CheckResult` — or None instead of it with
    ``with_result=False``, for a caller that needs only the findings it already has (`kaxl
    annotate` prints their counts): the child then sends back only the tabs, not the computed
    tables (half a second of pickling on a 20,000-project ledger)."""
    from kaxl import engine

    ledger, out = Path(ledger), Path(out)
    check_output_path(ledger, out)

    def contents():
        values, alerts = engine.computed_values(checked), engine.check_alerts(checked)
        # the computed tables go back, not the ledger: the caller has it, and it is large to send
        return _tab_contents(engine.assemble(checked, values, alerts)), (values, alerts) if with_result else None

    with paused_gc():
        computed = _annotate(checked.findings, ledger, out, contents)
    return out, engine.assemble(checked, *computed) if with_result else None


def _tab_contents(result) -> list[tuple[list[str], list[list[object]]] | None]:
    """The computed tabs' (header, rows); None for the Findings tab, whose rows are given."""
    from kaxl.reports import marks as tabs

    return [None, tabs.frame_rows(result.projects, tabs.SCORES_COLUMNS),
            tabs.frame_rows(result.alerts, tabs.ALERTS_COLUMNS)]


def _annotate(findings, ledger: Path, out: Path, contents) -> object:
    from kaxl.reports import marks as tabs
    from kaxl.reports.annotate_package import CellMark, NewSheet, annotate_package

    marks = [CellMark(m.sheet, m.cell, m.severity, m.note) for m in tabs.marks_for(findings, ledger)]
    # titles, links and widths (0: fit to the text; messages wrap at 60). The Findings tab's rows
    # are here (drawn in pieces by both processes once each is done with the rest, see
    # Annotator._add_tabs); Scores and Alerts come from ``contents``.
    new_sheets = [NewSheet(tabs.FINDINGS_TITLE, list(tabs.FINDINGS_HEADER), tabs.findings_rows(findings, ledger),
                           link_column=0, widths=[0, 0, 0, 0, 0, 0, 0, 60, 60], beside=False),
                  NewSheet(tabs.SCORES_TITLE, []), NewSheet(tabs.ALERTS_TITLE, [])]
    return annotate_package(ledger, out, marks, new_sheets, contents)
