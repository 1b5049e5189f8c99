"""Schema rules SCH-003/005/006/008 with pandera, built from the one column definition.

The schemas are declarative (pandera describes *what* a sheet must look like, derived from
:mod:`kaxl.columns`); this module only turns pandera's failure table into findings that name
the cell and quote the value. Validation is lazy, so every problem is reported at once, and it
runs on the portfolio frame, so uniqueness holds across all the ledgers of a portfolio.
"""

from __future__ import annotations

from functools import cache

import pandas as pd

from kaxl.columns import SHEETS, Sheet
from kaxl.findings import Finding, make, quote
from kaxl.ledger import Ledger

_UNIQUE_CHECKS = ("field_uniqueness", "multiple_fields_uniqueness")


@cache
def schema_for(spec: Sheet):  # -> pandera.DataFrameSchema (imported lazily: pandera is slow to import)
    """The pandera schema of one sheet, derived from its column definitions."""
    import pandera.pandas as pa

    columns = {}
    for column in spec.columns:
        checks = []
        if column.choices and not column.open_choices:
            checks.append(pa.Check.isin(list(column.choice_keys)))
        if column.min is not None:
            checks.append(pa.Check.ge(column.min))
        if column.max is not None:
            checks.append(pa.Check.le(column.max))
        columns[column.key] = pa.Column(
            None, checks=checks, nullable=not column.required, unique=column.unique,
            report_duplicates="exclude_first", required=False, coerce=False)
    return pa.DataFrameSchema(
        columns, strict=False, unique=list(spec.unique_together) or None, report_duplicates="exclude_first",
        name=spec.key)


def _rule_for(check: str) -> str | None:
    if check == "not_nullable":
        return "SCH-003"
    if check.startswith("isin"):
        return "SCH-005"
    if check.startswith(("greater_than", "less_than", "in_range")):
        return "SCH-008"
    if check in _UNIQUE_CHECKS:
        return "SCH-006"
    return None


def validate_schema(ledger: Ledger) -> list[Finding]:
    """SCH-003/005/006/008 for every sheet, plus the conditional SCH-003 of lost projects."""
    import pandera.errors as pe

    findings: list[Finding] = []
    for spec in SHEETS:
        frame = ledger.frames[spec.key]
        if frame.empty:
            continue
        try:
            schema_for(spec).validate(frame, lazy=True)
        except pe.SchemaErrors as errors:
            findings.extend(_to_findings(ledger, spec, errors.failure_cases))
    findings.extend(_lost_reason(ledger))
    return findings


def _to_findings(ledger: Ledger, spec: Sheet, failures: pd.DataFrame) -> list[Finding]:
    findings: list[Finding] = []
    seen: set[tuple[str, int, str]] = set()
    for failure in failures.itertuples(index=False):
        rule_id = _rule_for(str(failure.check))
        if rule_id is None or failure.index is None or pd.isna(failure.index):
            continue
        index = int(failure.index)
        column_key = str(failure.column)
        if failure.check == "multiple_fields_uniqueness":
            column_key = spec.unique_together[0]
        if (rule_id, index, column_key) in seen:
            continue
        seen.add((rule_id, index, column_key))
        findings.append(_message(ledger, spec, rule_id, index, column_key))
    return findings


def _message(ledger: Ledger, spec: Sheet, rule_id: str, index: int, key: str) -> Finding:
    column = spec.column(key)
    where = ledger.locate(spec.key, index, key)
    raw = quote(ledger.raw_value(spec.key, index, key))
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
            other_raw = quote(ledger.raw_value(spec.key, index, other.key))
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
