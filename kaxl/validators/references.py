"""Cross-sheet checks: references between sheets (SCH-007) and sheets with no data (SCH-012).

References are read from the column definitions (``Column.ref``), so a new foreign key in
:mod:`kaxl.contract.columns` is checked here without code changes.
"""

from __future__ import annotations

from kaxl.contract.columns import SHEETS
from kaxl.contract.findings import Finding, make, quote
from kaxl.reading.ledger import Ledger


def validate_references(ledger: Ledger) -> list[Finding]:
    findings: list[Finding] = []
    for spec in SHEETS:
        frame = ledger.frames[spec.key]
        if frame.empty:
            continue
        for column in spec.columns:
            if column.ref is None:
                continue
            target_sheet, target_col = column.ref
            known = set(ledger.frames[target_sheet][target_col].dropna())
            values = frame[column.key]
            unknown = frame.index[values.notna() & ~values.isin(known)]
            target = next(s for s in SHEETS if s.key == target_sheet)
            for index in unknown:
                raw = quote(ledger.raw_value(spec.key, index, column.key))
                findings.append(make(
                    "SCH-007",
                    f"{column.zh} “{raw}” 在「{target.title}」中不存在。请先在「{target.zh}」登记，或改正编号。",
                    f"{column.en} '{raw}' does not exist in '{target.title}'. Add it there first, or fix the id.",
                    **ledger.locate(spec.key, index, column.key)))
    return findings


def no_data_yet(ledger: Ledger) -> list[Finding]:
    """An info finding for a required sheet that is there but still empty (a fresh template)."""
    findings: list[Finding] = []
    for spec in SHEETS:
        if not spec.required or not ledger.present[spec.key] or not ledger.frames[spec.key].empty:
            continue
        for source in ledger.sources[spec.key]:
            findings.append(make(
                "SCH-012", f"工作表「{source.title}」还没有数据。", f"Sheet '{source.title}' has no data yet.",
                sheet=source.title, row=source.header_row + 1, cell=source.cell(None, source.header_row + 1),
                file=source.file))
    return findings
