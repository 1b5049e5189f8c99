"""Stage 3 投标 Bidding: BID-001..003 (SPEC §3).

BID-001 price & profit approval at least ``price_approval_days`` working days before the bid ·
BID-002 final review and sealing at least ``sealing_days`` before · BID-003 a discount above the
customer grade's tier without a named approver, or a margin below ``margin_floor``.
"""

from __future__ import annotations

from kaxl.sop.engine import RuleContext, RuleOutput
from kaxl.sop.installments import rows_of, yuan
from kaxl.sop.nodes import first_rows, project_rows
from kaxl.sop.scoring import qualification
from kaxl.validators._common import deadline_rule, finding


def run(ctx: RuleContext) -> RuleOutput:
    s = ctx.settings
    output = deadline_rule(
        ctx, "BID-001", "price_approval", f"投标前{s.price_approval_days}个工作日",
        f"{s.price_approval_days} working days before the bid",
        "请商务发起价格与利润审批，审批完成后登记日期。", "Commercial ops should get price and profit approval and record it.")
    sealing = deadline_rule(
        ctx, "BID-002", "sealing", f"投标前{s.sealing_days}个工作日", f"{s.sealing_days} working days before the bid",
        "请商务组织终审并封标，登记封标日期。", "Commercial ops should hold the final review, seal the bid and record the date.")
    output.findings += sealing.findings
    output.upcoming += sealing.upcoming
    output.findings += _terms(ctx)
    return output


def _terms(ctx: RuleContext) -> list:
    s = ctx.settings
    projects = project_rows(ctx)[["project_id", "tier"]]
    grades = qualification(ctx)[["project_id", "grade"]]
    bids = first_rows(ctx.ledger.frames["bids"])
    table = bids.merge(projects, on="project_id", how="left").merge(grades, on="project_id", how="left")
    grade = table["tier"].where(table["tier"].notna(), table["grade"]).fillna("C")
    allowed = grade.map(s.discount_tiers).astype(float)
    over = table["discount"].gt(allowed).fillna(False).astype(bool) & table["discount_approver"].isna()
    findings = []
    for row, limit, g in zip(rows_of(table[over]), allowed[over], grade[over]):
        findings.append(finding(
            ctx, "BID-003",
            f"折扣率 {row['discount']:.0%} 超过 {g} 级客户无需特批的上限 {limit:.0%}，且未填写特批审批人。请走特批流程并登记审批人。",
            f"The discount {row['discount']:.0%} exceeds the {limit:.0%} allowed without approval for a grade {g} "
            "customer, and no approver is named. Get the special approval and record the approver.",
            key="bids", index=row["_index"], column="discount", project_id=row["project_id"]))
    margin = (table["bid_amount"] - table["cost"]) / table["bid_amount"]
    thin = margin.lt(float(s.margin_floor)).fillna(False).astype(bool) & table["bid_amount"].gt(0).fillna(False).astype(bool)
    for row, m in zip(rows_of(table[thin]), margin[thin]):
        findings.append(finding(
            ctx, "BID-003",
            f"投标毛利率 {m:.1%}（投标 {yuan(row['bid_amount'])} 元，成本 {yuan(row['cost'])} 元）低于底线 {float(s.margin_floor):.0%}。"
            "请复核成本与报价，或按规定报批。",
            f"The bid margin {m:.1%} (bid {yuan(row['bid_amount'])}, cost {yuan(row['cost'])} yuan) is below the "
            f"{float(s.margin_floor):.0%} floor. Review cost and price, or get it approved.",
            key="bids", index=row["_index"], column="cost", project_id=row["project_id"]))
    return findings


