"""Schema rules SCH-003/005/006/008: a pandera schema per sheet, derived from the one column
definition, run lazily so every problem of every sheet is reported at once.

:func:`schema_for` turns a :class:`kaxl.contract.columns.Sheet` into a ``pandera.DataFrameSchema`` —
required → not nullable, closed choices → ``isin``, min/max → ``ge``/``le``, unique and unique
together with duplicates reported after their first occurrence. Nothing here lists a column:
a column added to :mod:`kaxl.contract.columns` is validated without touching this module. The reader
has already typed every value, so the schema does not coerce; it only judges.

:func:`failures` maps pandera's failure cases to (rule, row, column). The semantics the tests
pin: a missing value is only SCH-003 (required columns) and never fails a choice or range check;
duplicates are reported on every occurrence after the first, missing values never duplicate
each other, and a composite key is duplicated when all its parts repeat. Per-file tabs
(contacts, settings, calendar) are unique within each file of a portfolio.

pandera is imported on first use, not with the package: the Excel buttons' ``import kaxl.macros``
stays light.
"""

from __future__ import annotations

import functools

import pandas as pd

from kaxl.contract.columns import SHEETS, Sheet
from kaxl.contract.findings import Finding, make, quote
from kaxl.reading.ledger import Ledger


def validate_schema(ledger: Ledger) -> list[Finding]:
    """SCH-003/005/006/008 for every sheet, plus the conditional SCH-003 of lost projects."""
    findings: list[Finding] = []
    for spec in SHEETS:
        frame = ledger.frames[spec.key]
        if frame.empty:
            continue
        failed = _without_missing_columns(ledger, spec.key, frame, failures(spec, frame))
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
        from kaxl.sop.installments import locator

        frame, self.raw = ledger.frames[key], ledger.raw[key]
        # Index.get_loc, not a {label: position} dict of every row: the frames have a RangeIndex,
        # where get_loc is arithmetic, and a sheet of 100k rows may have a handful of failures
        self.index, self.raw_index = frame.index, self.raw.index
        self.src, self.row = frame["_src"].to_numpy(), frame["_row"].to_numpy()
        self.where = locator(ledger, key)
        self.raw_columns: dict[str, object] = {}

    def locate(self, index: int, column: str) -> dict[str, object]:
        pos = self.index.get_loc(index)
        return self.where(self.src[pos], self.row[pos], column)

    def raw_value(self, index: int, column: str) -> object:
        if column not in self.raw_columns:  # one array per column, not a pandas lookup per cell
            self.raw_columns[column] = self.raw[column].to_numpy(dtype=object)
        return self.raw_columns[column][self.raw_index.get_loc(index)]


RULE_ORDER = {"SCH-003": 0, "SCH-006": 1, "SCH-005": 2, "SCH-008-min": 3, "SCH-008-max": 4}


@functools.cache
def schema_for(spec: Sheet):  # -> pandera.pandas.DataFrameSchema (imported lazily)
    """The pandera schema of one sheet, from its column definitions."""
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
            nullable=not column.required, required=False, checks=checks,
            unique=column.unique and not spec.per_file, report_duplicates="exclude_first")
    together = list(spec.unique_together) or None
    if spec.per_file:  # the same key in two files of a portfolio is not a duplicate
        keys = [c.key for c in spec.columns if c.unique]
        together = [*keys, "_src"] if keys else together
    return pa.DataFrameSchema(columns, unique=together, report_duplicates="exclude_first", strict=False,
                              coerce=False, name=spec.key)


def failures(spec: Sheet, frame: pd.DataFrame) -> list[tuple[str, int, str]]:
    """(rule, row label, column key) of every schema failure of one sheet, each at most once.

    Composite keys first, then column by column (empty, duplicate, choice, min, max), each in
    row order: the findings list reads the same on every run.
    """
    import pandera.pandas as pa

    schema = schema_for(spec)
    checked = frame[[c for c in (*schema.columns, "_src") if c in frame.columns]]
    try:
        schema.validate(checked, lazy=True, inplace=True)  # checked is our own copy: no second one
    except pa.errors.SchemaErrors as errors:
        cases = errors.failure_cases
    else:
        return []
    cases = cases[cases["index"].notna()]
    composite: list[tuple[str, int, str]] = []
    per_column: list[tuple[int, int, int, str, str]] = []
    order = {c.key: i for i, c in enumerate(spec.columns)}
    first_key = (list(spec.unique_together) or [c.key for c in spec.columns if c.unique] or [None])[0]
    for check, column, index in zip(cases["check"], cases["column"], cases["index"]):
        check = str(check)
        if check == "multiple_fields_uniqueness":
            composite.append(("SCH-006", int(index), first_key))
            continue
        if column not in order:
            continue
        if check == "not_nullable":
            rule, kind = "SCH-003", "SCH-003"
        elif check == "field_uniqueness":
            rule, kind = "SCH-006", "SCH-006"
        elif check.startswith("isin"):
            rule, kind = "SCH-005", "SCH-005"
        elif check.startswith("greater_than_or_equal_to"):
            rule, kind = "SCH-008", "SCH-008-min"
        elif check.startswith("less_than_or_equal_to"):
            rule, kind = "SCH-008", "SCH-008-max"
        else:  # pragma: no cover - a check kaxl does not declare
            continue
        per_column.append((order[column], RULE_ORDER[kind], frame.index.get_loc(index), rule, column))
    composite.sort(key=lambda item: frame.index.get_loc(item[1]))
    out = composite + [(rule, int(frame.index[position]), column)
                       for _c, _r, position, rule, column in sorted(per_column)]
    return list(dict.fromkeys(out))


def _without_missing_columns(ledger: Ledger, key: str, frame: pd.DataFrame,
                             failed: list[tuple[str, int, str]]) -> list[tuple[str, int, str]]:
    """Drop SCH-003 on columns a file's sheet does not have: SCH-002 already says the column is
    missing, once, on the header row — one finding per problem, not one per row."""
    sources = ledger.sources[key]
    absent = {i for i, source in enumerate(sources) if any(c not in source.headers for _, _, c in failed)}
    if not absent:
        return failed
    src = frame["_src"]
    return [(rule, index, column) for rule, index, column in failed
            if rule != "SCH-003" or column in sources[int(src.at[index])].headers]


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


def prepare_schemas() -> None:
    """Build every sheet's schema and let pandera register its backends (first ``validate``)."""
    import pandera.pandas as pa

    for spec in SHEETS:
        schema_for(spec)
    pa.DataFrameSchema({}).validate(pd.DataFrame())
