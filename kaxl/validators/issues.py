"""问题与投诉 Issues: ISS-001..003 (SPEC §7; seeds 003 §六(四), 004 §四).

ISS-001 escalates an open issue or complaint by age in two steps of ``issue_escalation_days``
(default 3, 7 calendar days): older than the first, a warning escalated to the project's AM
(``escalation_level`` 1); older than the second, an error escalated to management
(``escalation_level`` 3, the level at which the digest's ladder reaches management, SPEC §3) ·
ISS-002 a complaint is answered within ``complaint_reply_days`` working days (调休 calendar) ·
ISS-003 a resolved issue carries a resolution date that is not before it was raised.

Still ahead (an issue about to reach its first step, a reply not due yet) is an upcoming node.
The issue's 责任人 owns ISS-001/002 (else the AM); the ledger keeper (CO) ISS-003.
"""

from __future__ import annotations

import pandas as pd

from kaxl.sop.engine import RuleContext, RuleOutput, Upcoming
from kaxl.sop.installments import days_en, rows_of
from kaxl.sop.issues import issues
from kaxl.validators._common import as_date, finding, iso, where

NEEDS = ("issues",)
KIND = {"complaint": ("投诉", "complaint"), "issue": ("问题", "issue")}
AM_LEVEL, MANAGEMENT_LEVEL = 1, 3  # the overdue ladder's L1 (AM) and L3 (management)


def run(ctx: RuleContext) -> RuleOutput:
    output = RuleOutput()
    rows = issues(ctx)
    if rows.empty:
        return output
    _escalation(ctx, rows, output)
    _replies(ctx, rows, output)
    output.findings += _resolution(ctx, rows)
    return output


def _what(row: dict) -> tuple[str, str]:
    """问题 WT-0002 / Issue WT-0002. Messages follow it with a space or a bracket (问题 WT-0002 的…),
    as the first wave does with 合同 HT-001 的…, so the id never runs into the Chinese after it."""
    zh, en = KIND.get(row["kind"] or "", ("问题", "issue"))
    ident = row["issue_id"] or "?"
    return f"{zh} {ident}", f"{en.capitalize()} {ident}"


def _escalation(ctx: RuleContext, rows: pd.DataFrame, output: RuleOutput) -> None:
    first, second = (int(v) for v in ctx.settings.issue_escalation_days)
    as_of = pd.Timestamp(ctx.as_of)
    open_ = rows[rows["_open"] & rows["raised_date"].notna()]
    for row in rows_of(open_[open_["_age"] > first]):
        age = int(row["_age"])
        to_management = age > second
        step = second if to_management else first
        zh, en = _what(row)
        if to_management:
            who_zh, who_en, severity, level = "已升级至管理层", "it is escalated to management", "error", MANAGEMENT_LEVEL
        else:
            who_zh, who_en, severity, level = "已升级至销售经理", "it is escalated to the account manager", "warning", AM_LEVEL
        person = row["_owner"]
        output.findings.append(finding(
            ctx, "ISS-001",
            f"{zh}（{row['description']}）于 {iso(row['raised_date'])} 提出，已开放 {age} 天，超过 {step} 天，{who_zh}。"
            f"请{person or '责任人'}尽快解决，解决后填写「解决日期」并将状态改为“已解决”。",
            f"{en} ({row['description']}) was raised on {iso(row['raised_date'])} and has been open {days_en(age)}, "
            f"more than {days_en(step)}: {who_en}. {person or 'The owner'}: resolve it, then fill in the resolved "
            "date and set the status to resolved.",
            key="issues", index=row["_index"], column="status", project_id=row["project_id"], owner_name=person,
            severity=severity, escalation_level=level,
            due_date=as_date(row["raised_date"] + pd.Timedelta(days=step)), days=age - step))
    for row in rows_of(open_[(open_["_age"] >= 0) & (open_["_age"] <= first)]):
        due = row["raised_date"] + pd.Timedelta(days=first)
        left = (due - as_of).days
        zh, en = _what(row)
        output.upcoming.append(Upcoming(
            project_id=row["project_id"], rule="ISS-001", owner_role="AM", owner=row["_owner"],
            due_date=as_date(due), days=-left,
            message_zh=f"{zh} 于 {iso(row['raised_date'])} 提出，{iso(due)} 前未解决将升级至销售经理"
                       f"（{'今天' if left == 0 else f'{left} 天后'}）。",
            message_en=f"{en}, raised on {iso(row['raised_date'])}, is escalated to the account manager if not "
                       f"resolved by {iso(due)} ({'today' if left == 0 else f'in {days_en(left)}'}).",
            cell=where(ctx, "issues", row["_index"], "status")["cell"]))


def _replies(ctx: RuleContext, rows: pd.DataFrame, output: RuleOutput) -> None:
    days = int(ctx.settings.complaint_reply_days)
    as_of = pd.Timestamp(ctx.as_of)
    complaints = rows[rows["_complaint"] & rows["_reply_due"].notna()]
    if complaints.empty:
        return
    rule_zh, rule_en = f"提出后 {days} 个工作日内", f"within {days} working days"
    replied = complaints["replied_date"]
    late = complaints[replied.notna() & (replied > complaints["_reply_due"])].copy(deep=False)
    if not late.empty:
        late["_late"] = ctx.calendar.between_series(late["_reply_due"], late["replied_date"])
    for row in rows_of(late):
        over = row["_late"]
        zh, en = _what(row)
        late_zh = f"，晚 {over} 个工作日" if over is not None else ""
        late_en = f", {days_en(over).replace('day', 'working day')} late" if over is not None else ""
        output.findings.append(finding(
            ctx, "ISS-002",
            f"{zh} 于 {iso(row['raised_date'])} 提出，应不晚于 {iso(row['_reply_due'])} 回复客户（{rule_zh}），"
            f"实际回复日期 {iso(row['replied_date'])}{late_zh}。投诉须在 {days} 个工作日内答复客户。",
            f"{en} was raised on {iso(row['raised_date'])} and needed a reply by {iso(row['_reply_due'])} ({rule_en}) "
            f"but was answered on {iso(row['replied_date'])}{late_en}. Answer complaints within {days} working days.",
            key="issues", index=row["_index"], column="replied_date", project_id=row["project_id"],
            owner_name=row["_owner"], due_date=as_date(row["_reply_due"]), days=over, node_state="late"))
    missing = complaints[replied.isna() & (complaints["_reply_due"] < as_of)]
    for row in rows_of(missing):
        over = ctx.calendar.workdays_between(as_date(row["_reply_due"]), ctx.as_of)
        zh, en = _what(row)
        over_zh = f"，已逾期 {over} 个工作日" if over is not None else ""
        over_en = f", {days_en(over).replace('day', 'working day')} overdue" if over is not None else ""
        person = row["_owner"]
        output.findings.append(finding(
            ctx, "ISS-002",
            f"{zh} 于 {iso(row['raised_date'])} 提出，应不晚于 {iso(row['_reply_due'])} 回复客户（{rule_zh}），"
            f"至今没有回复日期{over_zh}。请{person or '责任人'}立即答复客户，并填写「回复客户日期」。",
            f"{en} was raised on {iso(row['raised_date'])} and needed a reply by {iso(row['_reply_due'])} ({rule_en}); "
            f"it has no reply date{over_en}. {person or 'The owner'}: answer the customer now and fill in the date.",
            key="issues", index=row["_index"], column="replied_date", project_id=row["project_id"],
            owner_name=person, due_date=as_date(row["_reply_due"]), days=over, node_state="missing"))
    for row in rows_of(complaints[replied.isna() & (complaints["_reply_due"] >= as_of)]):
        left = ctx.calendar.workdays_between(ctx.as_of, as_date(row["_reply_due"]))
        if left is None:
            continue
        zh, en = _what(row)
        when_zh = "今天到期" if left == 0 else f"还有 {left} 个工作日"
        when_en = "due today" if left == 0 else f"due in {days_en(left).replace('day', 'working day')}"
        output.upcoming.append(Upcoming(
            project_id=row["project_id"], rule="ISS-002", owner_role="AM", owner=row["_owner"],
            due_date=as_date(row["_reply_due"]), days=-left,
            message_zh=f"{zh} 须在 {iso(row['_reply_due'])} 前回复客户（{rule_zh}），{when_zh}。",
            message_en=f"{en} must be answered by {iso(row['_reply_due'])} ({rule_en}), {when_en}.",
            cell=where(ctx, "issues", row["_index"], "replied_date")["cell"]))


def _resolution(ctx: RuleContext, rows: pd.DataFrame) -> list:
    findings = []
    undated = rows[rows["status"].eq("resolved") & rows["resolved_date"].isna()]
    for row in rows_of(undated):
        zh, en = _what(row)
        findings.append(finding(
            ctx, "ISS-003",
            f"{zh} 的状态为“已解决”，但没有解决日期。请填写「解决日期」；如尚未解决，请把状态改回“开放”。",
            f"{en} is marked resolved but has no resolved date. Fill it in, or set the status back to open.",
            key="issues", index=row["_index"], column="resolved_date", project_id=row["project_id"]))
    early = rows[rows["resolved_date"].notna() & rows["raised_date"].notna() & (rows["resolved_date"] < rows["raised_date"])]
    for row in rows_of(early):
        zh, en = _what(row)
        findings.append(finding(
            ctx, "ISS-003",
            f"{zh} 的解决日期 {iso(row['resolved_date'])} 早于提出日期 {iso(row['raised_date'])}。请改正其中一个日期。",
            f"{en}'s resolved date {iso(row['resolved_date'])} is before it was raised on {iso(row['raised_date'])}. "
            "Correct one of the dates.",
            key="issues", index=row["_index"], column="resolved_date", project_id=row["project_id"]))
    return findings
