"""交付里程碑 Delivery: DEL-001..006 (SPEC §7; seeds 001 §(四), 002 §(五), 004).

DEL-001 a milestone not done once its planned date has passed · DEL-002 the plan confirmed by
the client ``delivery_confirm_days`` working days before it (调休 calendar) · DEL-003 a contract
in delivery reports weekly — one finding per contract, on its first open milestone · DEL-004 a
milestone done carries the three-party sign-off · DEL-005 a cost overrun beyond
``overrun_tolerance`` has a change request · DEL-006 the 验收款 installment is not invoiced or
collected before the contract's 验收 acceptance milestone is signed off.

A deadline still ahead (a milestone within :data:`UPCOMING_DAYS`, a plan to confirm, the next
weekly report) is an upcoming node, never a finding. Milestones of an unknown contract are
SCH-007's, not judged here. The delivery manager owns DEL-001..004 (the milestone's 交付经理,
else the project's, else the AM), the AM DEL-005, the ledger keeper (CO) DEL-006.
"""

from __future__ import annotations

import pandas as pd

from kaxl.sop.delivery import milestone_label, milestones
from kaxl.sop.engine import RuleContext, RuleOutput, Upcoming
from kaxl.sop.installments import days_en, rows_of, yuan
from kaxl.validators._common import as_date, finding, iso, owner, where

NEEDS = ("delivery",)
UPCOMING_DAYS = 14  # a milestone due within two weeks is an upcoming node (the DM's digest)


def run(ctx: RuleContext) -> RuleOutput:
    output = RuleOutput()
    rows = milestones(ctx)
    if rows.empty:
        return output
    _overdue(ctx, rows, output)
    _confirmation(ctx, rows, output)
    _reports(ctx, rows, output)
    output.findings += _signoff(ctx, rows)
    output.findings += _overrun(ctx, rows)
    output.findings += _acceptance_payment(ctx, rows)
    return output


# The columns every message of a milestone reads (each rule adds its dates): rows_of converts only these.
READ = ("milestone", "contract_id", "project_id", "_index", "_owner")


def _what(row: dict) -> tuple[str, str]:
    name = milestone_label(row["milestone"]) or "?"
    return f"合同 {row['contract_id']} 的里程碑「{name}」", f"Milestone '{name}' of contract {row['contract_id']}"


def _when(left: int, unit_zh: str = "天", unit_en: str = "day") -> tuple[str, str]:
    if left == 0:
        return "今天到期", "due today"
    return f"{left} {unit_zh}后到期", f"due in {days_en(left).replace('day', unit_en)}"


# ------------------------------------------------------------------------------ DEL-001 overdue


def _overdue(ctx: RuleContext, rows: pd.DataFrame, output: RuleOutput) -> None:
    as_of = pd.Timestamp(ctx.as_of)
    open_ = rows[~rows["_done"] & rows["planned_date"].notna()]
    for row in rows_of(open_[open_["planned_date"] < as_of], (*READ, "planned_date")):
        late = (as_of - row["planned_date"]).days
        zh, en = _what(row)
        output.findings.append(finding(
            ctx, "DEL-001",
            f"{zh}计划 {iso(row['planned_date'])} 完成，至今没有完成日期，已延期 {late} 天。"
            "请交付经理说明原因、与客户确认新的计划，完成后填写「完成日期」。",
            f"{en} was planned for {iso(row['planned_date'])} and has no actual date, {days_en(late)} late. "
            "The delivery manager should agree a recovery plan with the client and fill in the actual date when done.",
            key="delivery", index=row["_index"], column="actual_date", project_id=row["project_id"],
            owner_name=row["_owner"], due_date=as_date(row["planned_date"]), days=late,
            contract_id=row["contract_id"], node_state="missing"))
    soon = open_[(open_["planned_date"] >= as_of) & (open_["planned_date"] <= as_of + pd.Timedelta(days=UPCOMING_DAYS))]
    for row in rows_of(soon, (*READ, "planned_date")):
        left = (row["planned_date"] - as_of).days
        zh, en = _what(row)
        when_zh, when_en = _when(left)
        output.upcoming.append(Upcoming(
            project_id=row["project_id"], rule="DEL-001", owner_role="DM", owner=row["_owner"],
            due_date=as_date(row["planned_date"]), days=-left,
            message_zh=f"{zh}计划 {iso(row['planned_date'])} 完成，{when_zh}。",
            message_en=f"{en} is planned for {iso(row['planned_date'])}, {when_en}.",
            cell=where(ctx, "delivery", row["_index"], "actual_date")["cell"], contract_id=row["contract_id"]))


# ------------------------------------------------------------------------------ DEL-002 plan confirmed


def _confirmation(ctx: RuleContext, rows: pd.DataFrame, output: RuleOutput) -> None:
    days = int(ctx.settings.delivery_confirm_days)
    as_of = pd.Timestamp(ctx.as_of)
    rows = rows[rows["planned_date"].notna()].copy()
    if rows.empty:
        return
    rows["_due"] = ctx.calendar.shift_series(rows["planned_date"], -days)
    rows = rows[rows["_due"].notna()]  # a year no calendar knows: CAL-001 says so
    confirmed = rows["plan_confirmed"]
    rule_zh, rule_en = f"计划日期前 {days} 个工作日", f"{days} working days before the planned date"
    late = rows[confirmed.notna() & (confirmed > rows["_due"])].copy()
    if not late.empty:
        late["_late"] = ctx.calendar.between_series(late["_due"], late["plan_confirmed"])
    for row in rows_of(late, (*READ, "planned_date", "_due", "plan_confirmed", "_late")):
        over = row["_late"]
        zh, en = _what(row)
        late_zh = f"，晚 {over} 个工作日" if over is not None else ""
        late_en = f", {days_en(over).replace('day', 'working day')} late" if over is not None else ""
        output.findings.append(finding(
            ctx, "DEL-002",
            f"{zh}（计划 {iso(row['planned_date'])}）应不晚于 {iso(row['_due'])} 经客户确认（{rule_zh}），"
            f"实际确认日期 {iso(row['plan_confirmed'])}{late_zh}。请今后提前与客户确认里程碑计划。",
            f"{en} (planned {iso(row['planned_date'])}) needed the client's confirmation by {iso(row['_due'])} "
            f"({rule_en}) but was confirmed on {iso(row['plan_confirmed'])}{late_en}. Confirm milestone plans earlier.",
            key="delivery", index=row["_index"], column="plan_confirmed", project_id=row["project_id"],
            owner_name=row["_owner"], due_date=as_date(row["_due"]), days=over, contract_id=row["contract_id"],
            node_state="late"))
    missing = rows[confirmed.isna() & (rows["_due"] < as_of)]
    for row in rows_of(missing, (*READ, "planned_date", "_due")):
        over = ctx.calendar.workdays_between(as_date(row["_due"]), ctx.as_of)
        zh, en = _what(row)
        over_zh = f"，已逾期 {over} 个工作日" if over is not None else ""
        over_en = f", {days_en(over).replace('day', 'working day')} overdue" if over is not None else ""
        output.findings.append(finding(
            ctx, "DEL-002",
            f"{zh}（计划 {iso(row['planned_date'])}）没有客户确认日期：应不晚于 {iso(row['_due'])} 经客户确认"
            f"（{rule_zh}）{over_zh}。请与客户书面确认计划并填写「客户确认日期」。",
            f"{en} (planned {iso(row['planned_date'])}) has no client confirmation: it was due by {iso(row['_due'])} "
            f"({rule_en}){over_en}. Get the plan confirmed in writing and fill in the confirmation date.",
            key="delivery", index=row["_index"], column="plan_confirmed", project_id=row["project_id"],
            owner_name=row["_owner"], due_date=as_date(row["_due"]), days=over, contract_id=row["contract_id"],
            node_state="missing"))
    ahead = rows[confirmed.isna() & (rows["_due"] >= as_of) & (rows["_due"] <= as_of + pd.Timedelta(days=UPCOMING_DAYS))]
    for row in rows_of(ahead, (*READ, "_due")):
        left = ctx.calendar.workdays_between(ctx.as_of, as_date(row["_due"]))
        if left is None:
            continue
        zh, en = _what(row)
        when_zh, when_en = _when(left, "个工作日", "working day")
        output.upcoming.append(Upcoming(
            project_id=row["project_id"], rule="DEL-002", owner_role="DM", owner=row["_owner"],
            due_date=as_date(row["_due"]), days=-left,
            message_zh=f"{zh}须在 {iso(row['_due'])} 前经客户确认（{rule_zh}），{when_zh}。",
            message_en=f"{en} needs the client's confirmation by {iso(row['_due'])} ({rule_en}), {when_en}.",
            cell=where(ctx, "delivery", row["_index"], "plan_confirmed")["cell"], contract_id=row["contract_id"]))


# ------------------------------------------------------------------------------ DEL-003 weekly report


def _reports(ctx: RuleContext, rows: pd.DataFrame, output: RuleOutput) -> None:
    """One finding per contract in delivery, on its first open milestone's 最近周报日期 cell."""
    days = int(ctx.settings.delivery_report_days)
    as_of = pd.Timestamp(ctx.as_of)
    signed = rows[rows["signed_date"].notna() & (rows["signed_date"] <= as_of)]
    open_ = signed[~signed["_done"]]
    if open_.empty:
        return
    first = open_.sort_values(["planned_date", "_index"], kind="stable", na_position="last") \
        .drop_duplicates("contract_id").set_index("contract_id")
    reported = signed[signed["last_report"].notna() & (signed["last_report"] <= as_of)] \
        .groupby("contract_id")["last_report"].max()
    first["_last"] = reported.reindex(first.index)
    first["_since"] = first["_last"].where(first["_last"].notna(), first["signed_date"])
    first["_due"] = first["_since"] + pd.Timedelta(days=days)
    first["contract_id"] = first.index
    for row in rows_of(first[first["_due"] < as_of], (*READ, "_due", "_since", "_last", "signed_date")):
        over = (as_of - row["_due"]).days
        since = (as_of - row["_since"]).days
        if row["_last"] is not None:
            seen_zh = f"最近一份交付周报是 {iso(row['_last'])}，已 {since} 天"
            seen_en = f"its last weekly delivery report is dated {iso(row['_last'])}, {days_en(since)} ago"
        else:
            seen_zh = f"自 {iso(row['signed_date'])} 签约以来没有交付周报（{since} 天）"
            seen_en = f"it has had no weekly delivery report since signing on {iso(row['signed_date'])} ({days_en(since)})"
        output.findings.append(finding(
            ctx, "DEL-003",
            f"合同 {row['contract_id']} 正在交付，须每 {days} 天提交交付周报，但{seen_zh}。"
            "请交付经理提交本周交付周报，并更新「最近周报日期」。",
            f"Contract {row['contract_id']} is in delivery and must report every {days_en(days)}, but {seen_en}. "
            "The delivery manager should send this week's report and update the last report date.",
            key="delivery", index=row["_index"], column="last_report", project_id=row["project_id"],
            owner_name=row["_owner"], due_date=as_date(row["_due"]), days=over, contract_id=row["contract_id"]))
    for row in rows_of(first[first["_due"] >= as_of], (*READ, "_due")):
        left = (row["_due"] - as_of).days
        when_zh, when_en = _when(left)
        output.upcoming.append(Upcoming(
            project_id=row["project_id"], rule="DEL-003", owner_role="DM", owner=row["_owner"],
            due_date=as_date(row["_due"]), days=-left,
            message_zh=f"合同 {row['contract_id']} 的下一份交付周报须在 {iso(row['_due'])} 前提交（每 {days} 天），{when_zh}。",
            message_en=f"Contract {row['contract_id']}'s next weekly delivery report is due by {iso(row['_due'])} "
                       f"(every {days_en(days)}), {when_en}.",
            cell=where(ctx, "delivery", row["_index"], "last_report")["cell"], contract_id=row["contract_id"]))


# ------------------------------------------------------------------------------ DEL-004 sign-off


def _signoff(ctx: RuleContext, rows: pd.DataFrame) -> list:
    findings = []
    for row in rows_of(rows[rows["_done"] & rows["signoff_date"].isna()], (*READ, "actual_date")):
        zh, en = _what(row)
        findings.append(finding(
            ctx, "DEL-004",
            f"{zh}已于 {iso(row['actual_date'])} 完成，但没有三方签字日期。"
            "请取得客户、交付、销售三方签字确认，并填写「三方签字日期」。",
            f"{en} was done on {iso(row['actual_date'])} but has no sign-off date. Get the client, delivery and "
            "sales three-party sign-off and fill in its date.",
            key="delivery", index=row["_index"], column="signoff_date", project_id=row["project_id"],
            owner_name=row["_owner"], contract_id=row["contract_id"]))
    return findings


# ------------------------------------------------------------------------------ DEL-005 overrun


def _overrun(ctx: RuleContext, rows: pd.DataFrame) -> list:
    tolerance = float(ctx.settings.overrun_tolerance)
    limit = rows["budget"] * (1 + tolerance)
    over = rows[rows["budget"].notna() & rows["actual_cost"].notna() & (rows["actual_cost"] > limit + 0.005)
                & rows["change_request"].isna()]
    findings = []
    for row in rows_of(over):
        zh, en = _what(row)
        share = row["actual_cost"] / row["budget"] - 1 if row["budget"] else None
        share_zh = f"（超支 {share:.0%}）" if share is not None else ""
        share_en = f" ({share:.0%} over)" if share is not None else ""
        findings.append(finding(
            ctx, "DEL-005",
            f"{zh}实际成本 {yuan(row['actual_cost'])} 元超出预算 {yuan(row['budget'])} 元{share_zh}，"
            f"超过允许的 {tolerance:.0%}，但没有变更单。请销售经理发起变更申请并填写「变更单号」。",
            f"{en} cost {yuan(row['actual_cost'])} yuan against a budget of {yuan(row['budget'])} yuan{share_en}, "
            f"beyond the {tolerance:.0%} tolerance, with no change request. The account manager should raise one "
            "and enter its number.",
            key="delivery", index=row["_index"], column="change_request", project_id=row["project_id"],
            owner_name=owner(ctx, row["project_id"], "AM"), contract_id=row["contract_id"],
            amount=float(row["actual_cost"] - row["budget"])))
    return findings


# ------------------------------------------------------------------------------ DEL-006 acceptance payment


def _acceptance_payment(ctx: RuleContext, rows: pd.DataFrame) -> list:
    """An invoiced or collected 验收款 installment of a contract whose delivery is tracked here
    (it has milestones) and whose 验收 acceptance milestone has no sign-off (yet, as of)."""
    as_of = pd.Timestamp(ctx.as_of)
    receivables = ctx.ledger.frames["receivables"]
    acceptance = receivables[receivables["milestone"].eq("验收款") & receivables["contract_id"].isin(rows["contract_id"])]
    if acceptance.empty:
        return []
    invoiced = acceptance["invoice_date"].notna() & (acceptance["invoice_date"] <= as_of)
    received = acceptance["received_date"].notna() & (acceptance["received_date"] <= as_of)
    acceptance = acceptance[invoiced | received].copy()
    milestones_ = rows[rows["milestone"].eq("acceptance")]
    signed = set(milestones_.loc[milestones_["signoff_date"].notna() & (milestones_["signoff_date"] <= as_of),
                                 "contract_id"])
    has_milestone = set(milestones_["contract_id"])
    acceptance = acceptance[~acceptance["contract_id"].isin(signed)]
    project = rows.drop_duplicates("contract_id").set_index("contract_id")["project_id"]
    acceptance["_index"] = acceptance.index
    findings = []
    for row in rows_of(acceptance):
        cid = row["contract_id"]
        pid = project.get(cid)
        if row["invoice_date"] is not None and row["invoice_date"] <= as_of:
            column, act_zh, act_en, day = "invoice_date", "已开票", "was invoiced", row["invoice_date"]
        else:
            column, act_zh, act_en, day = "received_date", "已收款", "was collected", row["received_date"]
        state_zh = "验收里程碑还没有三方签字" if cid in has_milestone else "交付里程碑中没有「验收」里程碑及其签字"
        state_en = ("its acceptance milestone has no sign-off yet" if cid in has_milestone
                    else "its delivery milestones have no signed-off acceptance")
        findings.append(finding(
            ctx, "DEL-006",
            f"合同 {cid} 第 {row['installment']} 期验收款于 {iso(day)} {act_zh}，但{state_zh}。"
            "验收款须在客户验收签字后开票：请补齐验收签字（「交付里程碑」的三方签字日期），或核实开票。",
            f"Installment {row['installment']} of contract {cid} (acceptance payment) {act_en} on {iso(day)}, but "
            f"{state_en}. Acceptance payments follow the client's signed acceptance: get it signed off "
            "(sign-off date in Delivery) or check the invoice.",
            key="receivables", index=row["_index"], column=column, project_id=pid, contract_id=cid,
            installment=int(row["installment"]) if row["installment"] is not None else None))
    return findings
