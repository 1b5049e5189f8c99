"""What an annotated ledger shows, independent of how it is written.

Both writers — the CLI's lossless XML patcher (`kaxl annotate`) and the Excel button that
writes through Excel itself (`kaxl.macros.validate`) — take their content from here, so the
two never disagree about which cell is marked, what its note says or what the tabs hold.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from kaxl.contract.findings import SEVERITY_ORDER, SEVERITY_ZH, Finding

FINDINGS_TITLE = "校验结果 Findings"
SCORES_TITLE = "评分 Scores"
ALERTS_TITLE = "预警 Alerts"
NOTE_HEADER = "kaxl 校验 Validate"


@dataclass(frozen=True)
class Mark:
    sheet: str
    cell: str  # "F12"
    severity: str  # worst severity on the cell
    note: str


def split_cell(reference: str) -> tuple[str, str]:
    """"'回款台账 Receivables'!F12" → ("回款台账 Receivables", "F12")."""
    sheet, address = reference.rsplit("!", 1)
    if sheet.startswith("'") and sheet.endswith("'"):
        sheet = sheet[1:-1].replace("''", "'")
    return sheet, address


def in_file(path: str | Path) -> Callable[[Finding], bool]:
    """Whether a finding is about ``path`` (a finding naming no file is about every file).

    Decided once per distinct file name, not per finding: 30,000 findings name one or two
    files, and comparing resolved paths costs microseconds each."""
    target = _resolved(str(path))
    verdicts: dict[object, bool] = {None: True}

    def about(finding: Finding) -> bool:
        verdict = verdicts.get(finding.file)
        if verdict is None:
            verdict = verdicts[finding.file] = _resolved(str(finding.file)) == target
        return verdict

    return about


@functools.lru_cache(maxsize=64)
def _resolved(path: str) -> Path:
    """A path resolved once: 20,000 findings name the same one or two files, and each
    ``Path.resolve`` is a round of system calls (seconds in total on a big ledger)."""
    return Path(path).resolve()


_CELL_END = re.compile(r"![A-Z]{1,3}\d+$")


def marks_for(findings: list[Finding], path: str | Path) -> list[Mark]:
    """One mark per cell of ``path``: worst severity wins, every message goes into the note."""
    by_cell: dict[tuple[str, str], list[Finding]] = defaultdict(list)
    about = in_file(path)
    for finding in findings:
        if finding.cell and about(finding) and _CELL_END.search(finding.cell):
            by_cell[split_cell(finding.cell)].append(finding)
    marks: list[Mark] = []
    for (sheet, cell), items in by_cell.items():
        items.sort(key=lambda f: (SEVERITY_ORDER[f.severity], f.rule))
        lines = [NOTE_HEADER]
        for f in items:
            lines.append(f"[{SEVERITY_ZH[f.severity]} {f.severity}] {f.rule} {f.message_zh}")
            lines.append(f"    {f.message_en}")
        marks.append(Mark(sheet, cell, items[0].severity, "\n".join(lines)))
    marks.sort(key=lambda m: (m.sheet, _row_col(m.cell)))
    return marks


def _row_col(cell: str) -> tuple[int, str]:
    match = re.match(r"([A-Z]+)(\d+)", cell)
    return (int(match.group(2)), match.group(1).rjust(3)) if match else (0, cell)


FINDINGS_HEADER = ["单元格 Cell", "级别 Severity", "规则 Rule", "项目 Project", "负责人 Owner", "角色 Role",
                   "截止 Due", "说明 Message", "Message (EN)", "工作表 Sheet", "行 Row", "列 Column"]


def findings_rows(findings: list[Finding], path: str | Path | None = None) -> list[list[object]]:
    """Rows of the Findings tab; the first column is the in-workbook link target."""
    rows = []
    about = in_file(path) if path is not None else None
    for f in findings:
        if about is not None and not about(f):
            continue
        rows.append([f.cell or f.sheet or "", f"{SEVERITY_ZH[f.severity]} {f.severity}", f.rule, f.project_id,
                     f.owner, f.owner_role, f.due_date, f.message_zh, f.message_en, f.sheet, f.row, f.column])
    return rows


SCORES_COLUMNS = [
    ("project_id", "项目编号 Project ID"), ("customer", "客户名称 Customer"), ("account_manager", "销售经理 AM"),
    ("stage", "阶段 Stage"), ("status", "状态 Status"), ("qualification_score", "资质评分 Qualification"),
    ("grade", "计算分级 Grade"), ("process_points", "流程得分 Process points"), ("process_max", "满分 Max"),
    ("process_pct", "流程得分率 Process %"), ("coverage", "关键人覆盖 Coverage"), ("next_node", "下一节点 Next node"),
    ("next_due", "节点截止 Next due"), ("days_in_stage", "本阶段天数 Days in stage"), ("risk_level", "风险 Risk"),
]


def scores_columns(projects: pd.DataFrame) -> list[tuple[str, str]]:
    """The Scores tab's columns: the first-wave ones, then each SPEC §7 value (the value
    modules' ``LABELS``) that holds something — a workbook without those sheets gets the tab
    it always had, not a row of empty columns."""
    import importlib

    from kaxl.sop.enrich import VALUE_MODULES

    extra = [(key, label) for name in VALUE_MODULES for key, label in importlib.import_module(name).LABELS.items()
             if key in projects.columns and projects[key].notna().any()]
    return SCORES_COLUMNS + extra


ALERTS_COLUMNS = [
    ("severity", "级别 Severity"), ("kind", "类型 Kind"), ("rule", "规则 Rule"), ("project_id", "项目 Project"),
    ("customer", "客户 Customer"), ("owner", "负责人 Owner"), ("owner_role", "角色 Role"), ("due_date", "截止 Due"),
    ("days", "天数 Days"), ("escalation_level", "升级 Level"), ("contract_id", "合同 Contract"),
    ("installment", "期次 Installment"), ("amount", "金额 Amount"), ("message_zh", "说明 Message"),
    ("message_en", "Message (EN)"), ("cell", "单元格 Cell"),
]


def frame_rows(frame: pd.DataFrame, columns: list[tuple[str, str]]) -> tuple[list[str], list[tuple[object, ...]]]:
    """Header and plain-Python rows of the columns ``frame`` has (missing columns left out).

    Rows are the tuples ``zip`` makes: both writers only read them, and a list per row would
    be one more copy of every cell."""
    present = [(key, title) for key, title in columns if key in frame.columns]
    header = [title for _, title in present]
    if frame.empty:
        return header, []
    values = [_column_values(frame[key]) for key, _ in present]
    return header, list(zip(*values))


def _column_values(series: pd.Series) -> list[object]:
    """One column as cell values, converted a column at a time (the tabs have ~20k rows each):
    dates as ``datetime.date``, missing as None, numpy scalars as Python numbers."""
    from kaxl.reports.jsonout import numeric_values, plain

    numbers = numeric_values(series)
    if numbers is not None:
        return numbers
    dtype = series.dtype
    if isinstance(dtype, np.dtype) and dtype.kind == "M":  # numpy floors to the day, NaT → None, in C
        return series.to_numpy().astype("datetime64[D]").astype(object).tolist()
    if isinstance(dtype, pd.api.extensions.ExtensionDtype) and dtype.kind in "iub":
        return series.to_numpy(dtype=object, na_value=None).tolist()  # Int64, boolean: Python ints / bools
    objects = series.to_numpy(dtype=object)
    missing = pd.isna(objects)  # what plain() turns into None, found for the whole column at once
    return [None if gone else (_cellable(v) if len(v) == 10 else v) if v.__class__ is str
            else v if v.__class__ is dt.date else _cellable(plain(v))  # a date: what plain + _cellable give
            for v, gone in zip(objects, missing)]


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _cellable(value: object) -> object:
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        return dt.date.fromisoformat(value)
    return value
