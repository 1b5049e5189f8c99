"""Schema rules SCH-003/005/006/008, derived from the one column definition.

The checks are declarative — required, closed choices, min/max, unique, unique together, all
read from :mod:`kaxl.columns` — and run as one vectorised pass per column over the portfolio
frame, so uniqueness holds across all the ledgers of a portfolio and every problem is reported
at once. (They used to run through pandera; its import alone cost 0.3 s of every Excel-button
press and its validation ~1.5 s on a 20,000-project ledger, for the same failures.)

Semantics, as pandera had them: a missing value is only SCH-003 (required columns) and never
fails a choice or range check; duplicates are reported on every occurrence after the first,
missing values never count as duplicates of each other, and a composite key is duplicated when
all its parts repeat (a row whose parts are all missing is not reported).
"""

from __future__ import annotations

import pandas as pd

from kaxl.columns import SHEETS, Sheet
from kaxl.findings import Finding, make, quote
from kaxl.ledger import Ledger


def validate_schema(ledger: Ledger) -> list[Finding]:
    """SCH-003/005/006/008 for every sheet, plus the conditional SCH-003 of lost projects."""
    findings: list[Finding] = []
    for spec in SHEETS:
        frame = ledger.frames[spec.key]
        if frame.empty:
            continue
        failed = failures(spec, frame)
        if failed:
            cells = _Cells(ledger, spec.key)
            findings.extend(_message(ledger, spec, rule_id, index, key, cells) for rule_id, index, key in failed)
    findings.extend(_lost_reason(ledger))
    return findings


class _Cells:
    """Where a row's cell is and what was typed in it, from arrays and a cached locator.

    ``Ledger.locate``/``raw_value`` cost two ``DataFrame.at`` each per finding, which added up
    on a large ledger with thousands of schema failures.
    """

    def __init__(self, ledger: Ledger, key: str) -> None:
        from kaxl.installments import locator

        frame, self.raw = ledger.frames[key], ledger.raw[key]
        self.position = {label: pos for pos, label in enumerate(frame.index)}
        self.src, self.row = frame["_src"].to_numpy(), frame["_row"].to_numpy()
        self.where = locator(ledger, key)
        self.raw_positions = {label: pos for pos, label in enumerate(self.raw.index)}
        self.raw_columns: dict[str, object] = {}

    def locate(self, index: int, column: str) -> dict[str, object]:
        pos = self.position[index]
        return self.where(self.src[pos], self.row[pos], column)

    def raw_value(self, index: int, column: str) -> object:
        if column not in self.raw_columns:  # one array per column, not a pandas lookup per cell
            self.raw_columns[column] = self.raw[column].to_numpy(dtype=object)
        return self.raw_columns[column][self.raw_positions[index]]


def failures(spec: Sheet, frame: pd.DataFrame) -> list[tuple[str, int, str]]:
    """(rule, row label, column key) of every schema failure of one sheet, each at most once.

    In the order pandera reported them (composite keys first, then per column: empty, duplicate,
    choice, min, max), so the findings list reads the same as before.
    """
    out: list[tuple[str, int, str]] = []
    if spec.unique_together and all(key in frame.columns for key in spec.unique_together):
        subset = list(spec.unique_together)
        repeated = frame.duplicated(subset=subset, keep="first").to_numpy(dtype=bool)
        some_value = frame[subset].notna().any(axis=1).to_numpy(dtype=bool)
        out += _rows("SCH-006", frame.index[repeated & some_value], subset[0])
    for column in spec.columns:
        if column.key not in frame.columns:
            continue
        values = frame[column.key]
        present = values.notna().to_numpy(dtype=bool)
        if column.required:
            out += _rows("SCH-003", frame.index[~present], column.key)
        if column.unique:
            kept = frame.loc[present, [column.key, "_src"]] if spec.per_file else values[present]
            out += _rows("SCH-006", kept.index[kept.duplicated(keep="first").to_numpy(dtype=bool)], column.key)
        if column.choices and not column.open_choices:
            allowed = values.isin(list(column.choice_keys)).to_numpy(dtype=bool)
            out += _rows("SCH-005", frame.index[present & ~allowed], column.key)
        if column.min is None and column.max is None:
            continue
        numbers = values.astype("Float64") if values.dtype == object else values
        if column.min is not None:
            out += _rows("SCH-008", frame.index[present & (numbers < column.min).fillna(False).to_numpy(dtype=bool)],
                         column.key)
        if column.max is not None:
            out += _rows("SCH-008", frame.index[present & (numbers > column.max).fillna(False).to_numpy(dtype=bool)],
                         column.key)
    return list(dict.fromkeys(out))


def _rows(rule_id: str, index: pd.Index, key: str) -> list[tuple[str, int, str]]:
    return [(rule_id, int(i), key) for i in index]


def _message(ledger: Ledger, spec: Sheet, rule_id: str, index: int, key: str, cells: _Cells) -> Finding:
    column = spec.column(key)
    where = cells.locate(index, key)
    raw = quote(cells.raw_value(index, key))
    if rule_id == "SCH-003":
        zh = f"必填项「{column.zh}」为空，请填写。"
        en = f"Required value '{column.en}' is empty; fill it in."
    elif rule_id == "SCH-005":
        allowed_zh = "、".join(c.zh for c in column.choices)
        allowed_en = ", ".join(f"{c.key} ({c.zh})" for c in column.choices)
        zh = f"{column.zh} “{raw}” 不在允许的选项中，请从下拉列表选择：{allowed_zh}。"
        en = f"{column.en} '{raw}' is not an allowed value; pick one of: {allowed_en}."
    elif rule_id == "SCH-008":
        bounds_zh = _bounds(column.min, column.max, "不小于", "不大于", "且")
        bounds_en = _bounds(column.min, column.max, "at least", "at most", "and")
        zh = f"{column.zh} {raw} 超出范围，应{bounds_zh}。"
        en = f"{column.en} {raw} is out of range; it must be {bounds_en}."
    else:  # SCH-006
        if spec.unique_together:
            other = spec.column(spec.unique_together[1])
            other_raw = quote(cells.raw_value(index, other.key))
            zh = f"{column.zh} “{raw}” 的{other.zh} {other_raw} 重复出现，请删除重复行或改正编号。"
            en = f"{column.en} '{raw}' {other.en} {other_raw} appears more than once; remove the duplicate or fix it."
        else:
            zh = f"{column.zh} “{raw}” 重复出现（每个编号只能出现一次），请删除重复行或改正编号。"
            en = f"{column.en} '{raw}' appears more than once (each must be unique); remove the duplicate or fix it."
    return make(rule_id, zh, en, **where)


def _bounds(low: float | None, high: float | None, ge: str, le: str, joiner: str) -> str:
    parts = []
    if low is not None:
        parts.append(f"{ge} {low:g}")
    if high is not None:
        parts.append(f"{le} {high:g}")
    return f" {joiner} ".join(parts)


def _lost_reason(ledger: Ledger) -> list[Finding]:
    """SPEC §2: lost_reason is required when a project is lost."""
    projects = ledger.frames["projects"]
    missing = projects.index[(projects["status"] == "lost") & projects["lost_reason"].isna()]
    return [make("SCH-003", "项目状态为“输单”，必须填写「输单原因」，便于复盘。",
                 "The project is lost: 'Lost reason' is required, for the review.",
                 **ledger.locate("projects", i, "lost_reason")) for i in missing]
