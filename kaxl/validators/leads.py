"""线索登记 Leads: LEA-001..003 (SPEC §7; seed 002 表1 and 003 §四).

LEA-001 a lead is screened within ``lead_screen_days`` calendar days (48 h) of registering ·
LEA-002 a lead marked converted names its project · LEA-003 a project that came from a lead
does not move past Initiation before its KA admission is approved (准入审批).

The lead's owner (负责人, an account manager) owns every finding. A lead not linked to a known
project has no alert row (alerts are per project); its screening still due shows in the owner's
digest (线索 Leads section) and the summary's 线索 Leads tab.
"""

from __future__ import annotations

import pandas as pd

from kaxl.contract.columns import STAGE_ORDER
from kaxl.sop.engine import RuleContext, RuleOutput, Upcoming
from kaxl.sop.installments import days_en, rows_of
from kaxl.sop.nodes import projects_indexed
from kaxl.validators._common import LIVE, as_date, finding, iso, owner, where

NEEDS = ("leads",)


def run(ctx: RuleContext) -> RuleOutput:
    output = RuleOutput()
    leads = ctx.ledger.frames["leads"].copy(deep=False)  # copy-on-write: a new frame, data shared until written
    if leads.empty:
        return output
    projects = projects_indexed(ctx)
    leads["_index"] = leads.index
    known = leads["project_id"].isin(projects.index)
    # the project a finding is about: only one that exists (an unknown id is SCH-007's business)
    leads["_pid"] = leads["project_id"].where(known, None)
    _screening(ctx, leads, output)
    output.findings += _unlinked(ctx, leads)
    output.findings += _admission(ctx, leads[known], projects)
    return output


def lead_owner(ctx: RuleContext, row: dict) -> str | None:
    """The lead's 负责人, else the AM of its project."""
    return row["owner"] or owner(ctx, row["_pid"], "AM")


def _label(row: dict) -> tuple[str, str]:
    lead = row["lead_id"] or "?"
    customer = row["customer"]
    return (f"线索 {lead}（{customer}）" if customer else f"线索 {lead}",
            f"Lead {lead} ({customer})" if customer else f"Lead {lead}")


def _screening(ctx: RuleContext, leads: pd.DataFrame, output: RuleOutput) -> None:
    days = int(ctx.settings.lead_screen_days)
    as_of = pd.Timestamp(ctx.as_of)
    leads = leads[leads["registered_date"].notna()].copy(deep=False)
    leads["_due"] = leads["registered_date"] + pd.Timedelta(days=days)
    screened = leads["screened_date"]
    rule_zh, rule_en = f"登记后 {days} 天内（48小时）", f"{days_en(days)} after registering (48 h)"
    late = leads[screened.notna() & (screened > leads["_due"])]
    for row in rows_of(late):
        over = (row["screened_date"] - row["_due"]).days
        zh, en = _label(row)
        person = lead_owner(ctx, row)
        output.findings.append(finding(
            ctx, "LEA-001",
            f"{zh} 于 {iso(row['registered_date'])} 登记，应在 {iso(row['_due'])} 前初筛（{rule_zh}），"
            f"实际初筛日期 {iso(row['screened_date'])}，晚 {over} 天。请负责人登记后 48 小时内完成初筛与分级。",
            f"{en} was registered on {iso(row['registered_date'])} and due for screening by {iso(row['_due'])} "
            f"({rule_en}), but was screened on {iso(row['screened_date'])}, {days_en(over)} late. "
            "Screen and grade new leads within 48 hours.",
            key="leads", index=row["_index"], column="screened_date", project_id=row["_pid"], owner_name=person,
            due_date=as_date(row["_due"]), days=over, node_state="late"))
    missing = leads[screened.isna() & (leads["_due"] < as_of)]
    for row in rows_of(missing):
        over = (as_of - row["_due"]).days
        zh, en = _label(row)
        person = lead_owner(ctx, row)
        output.findings.append(finding(
            ctx, "LEA-001",
            f"{zh} 于 {iso(row['registered_date'])} 登记，应在 {iso(row['_due'])} 前初筛（{rule_zh}），"
            f"至今没有初筛日期，已逾期 {over} 天。请{person or '负责人'}完成初筛，填写「初筛日期」「分级」和「处理结果」。",
            f"{en} was registered on {iso(row['registered_date'])} and due for screening by {iso(row['_due'])} "
            f"({rule_en}); it has no screening date, {days_en(over)} overdue. {person or 'The owner'}: screen it "
            "and fill in the screened date, grade and result.",
            key="leads", index=row["_index"], column="screened_date", project_id=row["_pid"], owner_name=person,
            due_date=as_date(row["_due"]), days=over, node_state="missing"))
    # Still ahead: an upcoming node. Alerts are per project, so only a lead linked to one gets a
    # row there; the others are listed in the owner's digest and the summary (see module doc).
    ahead = leads[screened.isna() & (leads["_due"] >= as_of) & leads["_pid"].notna()]
    for row in rows_of(ahead):
        left = (row["_due"] - as_of).days
        zh, en = _label(row)
        when_zh = "今天到期" if left == 0 else f"{left} 天后到期"
        when_en = "due today" if left == 0 else f"due in {days_en(left)}"
        output.upcoming.append(Upcoming(
            project_id=row["_pid"], rule="LEA-001", owner_role="AM", owner=lead_owner(ctx, row),
            due_date=as_date(row["_due"]), days=-left,
            message_zh=f"{zh} 须在 {iso(row['_due'])} 前完成初筛（{rule_zh}），{when_zh}。",
            message_en=f"{en} must be screened by {iso(row['_due'])} ({rule_en}), {when_en}.",
            cell=where(ctx, "leads", row["_index"], "screened_date")["cell"]))


def _unlinked(ctx: RuleContext, leads: pd.DataFrame) -> list:
    converted = leads[leads["result"].eq("converted") & leads["project_id"].isna()]
    findings = []
    for row in rows_of(converted):
        zh, en = _label(row)
        findings.append(finding(
            ctx, "LEA-002",
            f"{zh} 的处理结果为“转立项”，但没有填写项目编号。请填写它转成的项目编号（须在「项目台账」中存在）。",
            f"{en} is marked converted but names no project. Enter the project ID it became (as in Projects).",
            key="leads", index=row["_index"], column="project_id", project_id=None, owner_name=lead_owner(ctx, row)))
    return findings


def _admission(ctx: RuleContext, leads: pd.DataFrame, projects: pd.DataFrame) -> list:
    """One finding per project past Initiation whose converted lead(s) have no admission approval."""
    converted = leads[leads["result"].eq("converted")]
    if converted.empty:
        return []
    admitted = set(leads.loc[leads["admission_approved"].notna(), "project_id"])
    stage = converted["project_id"].map(projects["stage_no"])
    status = converted["project_id"].map(projects["status"])
    past = stage.gt(STAGE_ORDER["initiation"]).fillna(False).astype(bool) & status.isin(LIVE)
    open_ = converted[past & ~converted["project_id"].isin(admitted)].drop_duplicates("project_id")
    findings = []
    for row in rows_of(open_.assign(_stage=open_["project_id"].map(projects["stage"]))):
        zh, en = _label(row)
        pid = row["project_id"]
        applied_zh = f"准入申请于 {iso(row['admission_applied'])} 提交，尚未审批" if row["admission_applied"] else "没有准入申请"
        applied_en = (f"admission was applied for on {iso(row['admission_applied'])} but not approved"
                      if row["admission_applied"] else "no admission was applied for")
        findings.append(finding(
            ctx, "LEA-003",
            f"{zh} 已转为项目 {pid}，项目已推进到「{_stage_zh(row['_stage'])}」，但{applied_zh}。"
            "KA 须经准入审批后才能投入资源：请提交《大客户准入申请表》，审批后填写「准入审批日期」和「准入审批人」。",
            f"{en} became project {pid}, which has moved on to {row['_stage']}, but {applied_en}. A KA needs its "
            "admission approved before it gets resources: apply, and record the approval date and approver.",
            key="leads", index=row["_index"], column="admission_approved", project_id=pid,
            owner_name=lead_owner(ctx, row)))
    return findings


def _stage_zh(stage: object) -> str:
    from kaxl.contract.columns import sheet

    choices = {c.key: c.zh for c in sheet("projects").column("stage").choices}
    return choices.get(str(stage), str(stage))
