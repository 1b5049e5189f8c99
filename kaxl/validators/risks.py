"""Risk register 风险登记 (SPEC §3 RSK-001..002): high risks need a response and an owner; reviews happen.

A risk is open unless its status says closed (a blank status is still a live risk). Its level
is likelihood × impact (SPEC §4), high from the ``risk_high`` setting. Review dates are
calendar dates, so these rules need no working-day calendar.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pandas as pd

from kaxl.contract.findings import Finding, make, quote
from kaxl.sop.engine import RuleContext, RuleOutput, Upcoming
from kaxl.sop.installments import days_en, locator, rows_of

KEY = "risks"
UPCOMING_WINDOW_DAYS = 7  # reviews falling due in the coming week go into the digest
Where = Callable[[Any, Any, "str | None"], dict[str, Any]]


def risk_table(ctx: RuleContext) -> pd.DataFrame:
    """Risks with their level, open flag, owner (risk owner or the project's AM) and review timing."""
    frame = ctx.ledger.frames[KEY]
    projects = ctx.ledger.frames["projects"]
    projects = projects[projects["project_id"].notna()].drop_duplicates("project_id").set_index("project_id")
    out = frame.copy()
    out["_index"] = frame.index
    out["level"] = (frame["likelihood"] * frame["impact"]).astype("Int64")
    out["open"] = frame["status"].ne("closed") | frame["status"].isna()
    out["high"] = (out["level"] >= float(ctx.settings.get("risk_high", 15))).fillna(False).astype(bool)
    out["account_manager"] = frame["project_id"].map(projects["account_manager"]) if len(projects) else None
    has_owner = _filled(frame["owner"])
    out["person"] = frame["owner"].where(has_owner, out["account_manager"])
    out["days_until"] = (frame["review_date"] - pd.Timestamp(ctx.as_of)).dt.days.astype("Int64")
    return out


def _filled(values: pd.Series) -> pd.Series:
    """True where a text cell holds something other than whitespace."""
    return values.notna() & values.astype(str).str.strip().ne("")


def run(ctx: RuleContext) -> RuleOutput:
    output = RuleOutput()
    table = risk_table(ctx)
    where = locator(ctx.ledger, KEY)
    if table.empty:
        return output
    no_response = ~_filled(table["response"])
    no_owner = ~_filled(table["owner"])
    unanswered = table["open"] & table["high"] & (no_response | no_owner)
    output.findings += [_rsk001(where, row) for row in _rows(table[unanswered])]
    until = table["days_until"]
    late = table["open"] & until.notna() & (until < 0)
    output.findings += [_rsk002(where, row) for row in _rows(table[late.fillna(False).astype(bool)])]
    soon = table["open"] & until.notna() & (until >= 0) & (until <= UPCOMING_WINDOW_DAYS) & table["project_id"].notna()
    output.upcoming += [_upcoming(where, row) for row in _rows(table[soon.fillna(False).astype(bool)])]
    return output


def _rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return rows_of(frame)


def _name(row: dict[str, Any]) -> tuple[str, str]:
    desc = quote(row["description"]) if row["description"] else ""
    rid = row["risk_id"] or "（无编号）"
    return (f"风险 {rid}「{desc}」" if desc else f"风险 {rid}"), (f"Risk {rid} '{desc}'" if desc else f"Risk {rid}")


def _rsk001(where: Where, row: dict[str, Any]) -> Finding:
    name_zh, name_en = _name(row)
    missing_response = not (row["response"] and str(row["response"]).strip())
    missing_owner = not (row["owner"] and str(row["owner"]).strip())
    gap_zh = "、".join(t for t, m in (("应对措施", missing_response), ("责任人", missing_owner)) if m)
    gap_en = " and no ".join(t for t, m in (("response", missing_response), ("owner", missing_owner)) if m)
    person = row["person"] or "销售经理"
    level = f"{row['likelihood']} × {row['impact']} = {row['level']}"
    column = "response" if missing_response else "owner"
    return make(
        "RSK-001",
        f"{name_zh}为高风险（可能性×影响 {level}），但缺少{gap_zh}。请 {person} 指定责任人并填写「应对措施」。",
        f"{name_en} is a high risk (likelihood × impact {level}) but has no {gap_en}. {person}: name an owner "
        "and write the response.",
        **where(row["_src"], row["_row"], column), project_id=row["project_id"], owner=row["person"])


def _rsk002(where: Where, row: dict[str, Any]) -> Finding:
    name_zh, name_en = _name(row)
    review = pd.Timestamp(row["review_date"]).date()
    days = -int(row["days_until"])
    person = row["person"] or "责任人"
    return make(
        "RSK-002",
        f"{name_zh}的下次复核日期 {review.isoformat()} 已过 {days} 天。请 {person} 复核该风险并更新「下次复核日期」；"
        "风险已消除的请把状态改为「已关闭」。",
        f"{name_en} was due for review on {review.isoformat()}, {days_en(days)} ago. {person}: review it and set the "
        "next review date, or set the status to closed if the risk is gone.",
        **where(row["_src"], row["_row"], "review_date"), project_id=row["project_id"], owner=row["person"],
        due_date=review, days=days)


def _upcoming(where: Where, row: dict[str, Any]) -> Upcoming:
    name_zh, name_en = _name(row)
    review: dt.date = pd.Timestamp(row["review_date"]).date()
    days = int(row["days_until"])
    when_zh = "今天" if days == 0 else f"{days} 天后"
    when_en = "today" if days == 0 else f"in {days_en(days)}"
    cell = where(row["_src"], row["_row"], "review_date")["cell"]
    return Upcoming(
        project_id=row["project_id"], rule="RSK-002", owner_role="AM", owner=row["person"], due_date=review,
        days=-days, message_zh=f"{name_zh}应于 {review.isoformat()}（{when_zh}）复核。",
        message_en=f"{name_en} is due for review on {review.isoformat()} ({when_en}).", cell=cell)
