"""Cross-sheet checks: references between sheets (SCH-007) and sheets with no data (SCH-012).

References are read from the column definitions (``Column.ref``), so a new foreign key in
:mod:`kaxl.contract.columns` is checked here without code changes.
"""

from __future__ import annotations

import pandas as pd

from kaxl.contract.columns import SHEETS
from kaxl.contract.findings import Finding, make, quote
from kaxl.reading.ledger import Ledger


def validate_references(ledger: Ledger) -> list[Finding]:
    from kaxl.sop.installments import locator

    findings: list[Finding] = []
    known: dict[tuple[str, str], pd.Index] = {}  # several sheets point at projects.project_id: hash it once
    for spec in SHEETS:
        frame = ledger.frames[spec.key]
        if frame.empty:
            continue
        where = None
        for column in spec.columns:
            if column.ref is None:
                continue
            target_sheet, target_col = column.ref
            if column.ref not in known:
                known[column.ref] = pd.Index(ledger.frames[target_sheet][target_col].dropna().unique())
            values = frame[column.key]
            unknown = values.notna().to_numpy() & ~values.isin(known[column.ref]).to_numpy()
            if not unknown.any():
                continue
            target = next(s for s in SHEETS if s.key == target_sheet)
            # arrays and a cached locator, not two DataFrame.at per finding (Ledger.locate)
            where = where or locator(ledger, spec.key)
            positions = unknown.nonzero()[0]
            src, row = frame["_src"].to_numpy()[positions], frame["_row"].to_numpy()[positions]
            raws = ledger.raw[spec.key][column.key].reindex(frame.index[positions]).to_numpy(dtype=object)
            for raw_value, s, r in zip(raws.tolist(), src.tolist(), row.tolist()):
                raw = quote(raw_value)
                findings.append(make(
                    "SCH-007",
                    f"{column.zh} “{raw}” 在「{target.title}」中不存在。请先在「{target.zh}」登记，或改正编号。",
                    f"{column.en} '{raw}' does not exist in '{target.title}'. Add it there first, or fix the id.",
                    **where(s, r, column.key)))
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
