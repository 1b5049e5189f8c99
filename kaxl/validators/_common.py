"""Shared pieces of the project-side SOP rules: owners, cell locations, deadline findings.

Rules select offending rows with pandas masks; these helpers turn the selected rows into
findings (or upcoming nodes) with the owner, the cell and messages in both languages.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

import pandas as pd

from kaxl.contract.columns import ROLE_COLUMNS
from kaxl.contract.findings import Finding, make
from kaxl.contract.rules import rule
from kaxl.sop.engine import RuleContext, RuleOutput, Upcoming
from kaxl.sop.installments import days_en, locator, rows_of
from kaxl.sop.nodes import label, node_table, project_rows

LIVE = frozenset({"active"})  # SPEC §2: rules about nodes not yet done fire for active projects
# After signing, a won project is still being delivered: its contract nodes are still owed.
LIVE_AFTER_SIGNING = frozenset({"active", "won"})


def owners(ctx: RuleContext, role: str) -> dict[Any, str | None]:
    """project_id → the person in the column of ``role`` (``ROLE_COLUMNS``), a blank cell falling
    back to the AM; built once per role per run, as a plain dict because rules look owners up
    once per finding and pandas scalar access is slow."""

    def build(ctx: RuleContext) -> dict[Any, str | None]:
        projects = project_rows(ctx)
        am = [name if isinstance(name, str) else None for name in projects["account_manager"].to_numpy(dtype=object)]
        column = ROLE_COLUMNS[role]
        if column == "account_manager":
            names = am
        else:
            names = [name if isinstance(name, str) else fallback
                     for name, fallback in zip(projects[column].to_numpy(dtype=object), am)]
        return dict(zip(projects["project_id"].to_numpy(dtype=object), names))

    return ctx.shared(f"owners:{role}", build)


def owner(ctx: RuleContext, project_id: Any, role: str) -> str | None:
    if not isinstance(project_id, str) or role not in ROLE_COLUMNS:
        return None
    return owners(ctx, role).get(project_id)


def where(ctx: RuleContext, key: str, index: Any, column: str | None) -> dict[str, Any]:
    """sheet/row/column/cell/file of one cell, by the row label in ``ledger.frames[key]``
    (frames have a RangeIndex, so the label is the position in the cached arrays)."""

    def build(ctx: RuleContext) -> tuple[Any, Any, Any]:
        frame = ctx.ledger.frames[key]  # Python lists: an item is a plain int, no numpy scalar per finding
        return frame["_src"].to_numpy().tolist(), frame["_row"].to_numpy().tolist(), locator(ctx.ledger, key)

    src, row, finder = ctx.shared(f"where:{key}", build)
    position = int(index)
    return finder(src[position], row[position], column)


def iso(value: Any) -> str:
    if type(value) is dt.datetime or type(value) is pd.Timestamp:  # what rows_of gives: no new Timestamp per message
        return value.date().isoformat()
    return pd.Timestamp(value).date().isoformat()


def as_date(value: Any) -> dt.date | None:
    if type(value) is dt.datetime or type(value) is pd.Timestamp:
        return value.date()
    return None if value is None or pd.isna(value) else pd.Timestamp(value).date()


def finding(ctx: RuleContext, rule_id: str, zh: str, en: str, *, key: str, index: Any, column: str | None,
            project_id: Any, role: str | None = None, owner_name: str | None = None, **fields: Any) -> Finding:
    role = role or rule(rule_id).owner_role
    return make(rule_id, zh, en, **where(ctx, key, index, column), project_id=project_id,
                owner_role=role, owner=owner_name or owner(ctx, project_id, role), **fields)


# ------------------------------------------------------------------------------ deadline rules


def deadline_rule(ctx: RuleContext, rule_id: str, node: str, rule_zh: str, rule_en: str, fix_zh: str, fix_en: str,
                  live: Iterable[str] = LIVE) -> RuleOutput:
    """Findings for a node done late (any status) or missing past its deadline (live projects),
    and upcoming alerts for live projects whose deadline is still ahead.

    rule_zh/rule_en describe the deadline, e.g. "投标前5个工作日" / "5 working days before the bid".
    """
    output = RuleOutput()
    nodes = node_table(ctx)
    nodes = nodes[(nodes["node"] == node) & nodes["_due_known"]]
    if nodes.empty:
        return output
    as_of = pd.Timestamp(ctx.as_of)
    live = set(live)
    name_zh, name_en = label(node, "zh"), label(node, "en")
    late = nodes[nodes["on_time"].eq(False).fillna(False).astype(bool)]
    for row in rows_of(late, ("late_workdays", "due_date", "done_date", "_sheet", "_index", "_done_col",
                              "project_id", "contract_id")):
        days = int(row['late_workdays']) if pd.notna(row['late_workdays']) else None
        late_zh = f"，晚 {days} 个工作日" if days is not None else ""
        late_en = f", {days_en(days).replace('day', 'working day')} late" if days is not None else " (late)"
        output.findings.append(finding(
            ctx, rule_id,
            f"{name_zh}应不晚于 {iso(row['due_date'])}（{rule_zh}），实际 {iso(row['done_date'])}{late_zh}。{fix_zh}",
            f"The {name_en} was due by {iso(row['due_date'])} ({rule_en}) but is dated {iso(row['done_date'])}{late_en}. "
            f"{fix_en}",
            key=row['_sheet'], index=row['_index'], column=row['_done_col'], project_id=row['project_id'],
            due_date=as_date(row['due_date']), days=days, contract_id=row['contract_id'], node_state="late"))
    pending = nodes[nodes["done_date"].isna() & nodes["status"].isin(live)]
    for row in rows_of(pending, ("due_date", "_sheet", "_index", "_done_col", "project_id", "contract_id",
                                 "owner_role")):
        due = as_date(row['due_date'])
        if row['due_date'] < as_of:
            days = ctx.calendar.workdays_between(due, ctx.as_of)
            over_zh = f"，已逾期 {days} 个工作日" if days is not None else ""
            over_en = f", {days_en(days).replace('day', 'working day')} overdue" if days is not None else ""
            output.findings.append(finding(
                ctx, rule_id,
                f"缺少{name_zh}：应不晚于 {due.isoformat()}（{rule_zh}）完成{over_zh}。{fix_zh}",
                f"No {name_en} yet: it was due by {due.isoformat()} ({rule_en}){over_en}. {fix_en}",
                key=row['_sheet'], index=row['_index'], column=row['_done_col'], project_id=row['project_id'],
                due_date=due, days=days, contract_id=row['contract_id'], node_state="missing"))
        else:
            ahead = ctx.calendar.workdays_between(ctx.as_of, due)
            if ahead is None:
                continue
            when_zh = "今天到期" if ahead == 0 else f"{ahead} 个工作日后到期"
            when_en = "due today" if ahead == 0 else f"due in {days_en(ahead).replace('day', 'working day')}"
            cell = where(ctx, row['_sheet'], row['_index'], row['_done_col'])["cell"]
            role = row['owner_role']
            output.upcoming.append(Upcoming(
                project_id=row['project_id'], rule=rule_id, owner_role=role, owner=owner(ctx, row['project_id'], role),
                due_date=due, days=-ahead,
                message_zh=f"{name_zh}须在 {due.isoformat()} 前完成（{rule_zh}），{when_zh}。",
                message_en=f"The {name_en} must be done by {due.isoformat()} ({rule_en}), {when_en}.",
                cell=cell, contract_id=row['contract_id']))
    return output
