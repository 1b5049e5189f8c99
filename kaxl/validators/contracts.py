"""Stage 4 签约 Contracting: CON-001..006 (SPEC §3).

CON-001 zero or blank advance without a special approval · CON-002 legal and finance both
signed off on or before signing · CON-003 acceptance criteria and liability defined ·
CON-004 handover within ``handover_days`` working days · CON-005 archived within
``archive_days`` · CON-006 installments add up to the contract amount (± ``amount_tolerance``).
These are about a contract that exists, so they fire whatever the project's status; missing
handover/archive still owed after signing fire for active and won projects.
"""

from __future__ import annotations

from kaxl.sop.engine import RuleContext, RuleOutput
from kaxl.sop.installments import rows_of, yuan
from kaxl.validators._common import LIVE_AFTER_SIGNING, deadline_rule, finding, iso


def run(ctx: RuleContext) -> RuleOutput:
    s = ctx.settings
    output = RuleOutput()
    contracts = ctx.ledger.frames["contracts"].copy(deep=False)  # copy-on-write: data shared until written
    contracts["_index"] = contracts.index
    contracts = contracts[contracts["contract_id"].notna()]
    output.findings += _advance(ctx, contracts)
    output.findings += _signoff(ctx, contracts)
    output.findings += _terms(ctx, contracts)
    for rule_id, node, days, fix_zh, fix_en in (
        ("CON-004", "handover", s.handover_days, "请销售经理向交付团队提交交接单并登记日期。",
         "The account manager should hand the delivery team the handover sheet and record the date."),
        ("CON-005", "archive", s.archive_days, "请商务完成合同归档并登记日期。",
         "Commercial ops should archive the contract and record the date."),
    ):
        part = deadline_rule(ctx, rule_id, node, f"签约后{days}个工作日内", f"{days} working days after signing",
                             fix_zh, fix_en, live=LIVE_AFTER_SIGNING)
        output.findings += part.findings
        output.upcoming += part.upcoming
    output.findings += _installments(ctx, contracts)
    return output


def _advance(ctx: RuleContext, contracts) -> list:
    zero = contracts["advance_ratio"].isna() | contracts["advance_ratio"].eq(0)
    return [finding(
        ctx, "CON-001",
        f"合同 {row['contract_id']} 预付款比例为{'空' if row['advance_ratio'] is None else '0'}，但没有垫资特批编号。"
        "零预付款须经特批：请补充特批编号或修改付款条件。",
        f"Contract {row['contract_id']} has {'no' if row['advance_ratio'] is None else 'a zero'} advance payment and "
        "no special approval number. Zero-advance terms need a special approval: add it or change the terms.",
        key="contracts", index=row["_index"], column="advance_ratio", project_id=row["project_id"])
        for row in rows_of(contracts[zero & contracts["special_approval"].isna()])]


def _signoff(ctx: RuleContext, contracts) -> list:
    signed = contracts[contracts["signed_date"].notna()]
    findings = []
    for row in rows_of(signed, ("legal_signoff", "finance_signoff", "signed_date", "contract_id", "_index",
                                "project_id")):
        problems_zh, problems_en, column = [], [], None
        for key, zh, en in (("legal_signoff", "法务", "legal"), ("finance_signoff", "财务", "finance")):
            value = row[key]
            if value is None:
                problems_zh.append(f"缺少{zh}审核")
                problems_en.append(f"no {en} sign-off")
            elif value > row["signed_date"]:
                problems_zh.append(f"{zh}审核 {iso(value)} 晚于签约")
                problems_en.append(f"{en} sign-off {iso(value)} after signing")
            else:
                continue
            column = column or key
        if not problems_zh:
            continue
        findings.append(finding(
            ctx, "CON-002",
            f"合同 {row['contract_id']} 于 {iso(row['signed_date'])} 签订，但{'、'.join(problems_zh)}。签约前须法务、财务双签，请补齐审核记录。",
            f"Contract {row['contract_id']} was signed on {iso(row['signed_date'])} with {', '.join(problems_en)}. "
            "Legal and finance must both sign off before signing; complete the record.",
            key="contracts", index=row["_index"], column=column, project_id=row["project_id"],
            due_date=row["signed_date"].date(), contract_id=row["contract_id"]))
    return findings


def _terms(ctx: RuleContext, contracts) -> list:
    acceptance = contracts["acceptance_defined"].fillna(False).astype(bool)
    liability = contracts["liability_defined"].fillna(False).astype(bool)
    findings = []
    for row, has_acceptance, has_liability in zip(rows_of(contracts[~(acceptance & liability)]),
                                                   acceptance[~(acceptance & liability)],
                                                   liability[~(acceptance & liability)]):
        gaps_zh = "、".join(t for t, ok in (("验收标准", has_acceptance), ("违约责任", has_liability)) if not ok)
        gaps_en = " and ".join(t for t, ok in (("acceptance criteria", has_acceptance), ("liability", has_liability)) if not ok)
        findings.append(finding(
            ctx, "CON-003", f"合同 {row['contract_id']} 的{gaps_zh}未明确。请在合同或补充协议中明确后勾选“是”。",
            f"Contract {row['contract_id']} does not define {gaps_en}. Define them in the contract or an addendum.",
            key="contracts", index=row["_index"],
            column="acceptance_defined" if not has_acceptance else "liability_defined", project_id=row["project_id"],
            contract_id=row["contract_id"]))
    return findings


def _installments(ctx: RuleContext, contracts) -> list:
    receivables = ctx.ledger.frames["receivables"]
    totals = receivables.groupby("contract_id")["amount_due"].sum(min_count=1)
    counts = receivables.groupby("contract_id").size()
    tolerance = float(ctx.settings.amount_tolerance)
    table = contracts[contracts["amount"].notna()].copy(deep=False)
    table["_total"] = table["contract_id"].map(totals).fillna(0.0)
    table["_count"] = table["contract_id"].map(counts).fillna(0).astype(int)
    wrong = (table["_total"] - table["amount"]).abs() > tolerance
    findings = []
    for row in rows_of(table[wrong]):
        gap = row["_total"] - row["amount"]
        zh_gap = f"多 {yuan(gap)} 元" if gap > 0 else f"少 {yuan(-gap)} 元"
        en_gap = f"{yuan(abs(gap))} yuan {'over' if gap > 0 else 'short'}"
        findings.append(finding(
            ctx, "CON-006",
            f"合同 {row['contract_id']} 金额 {yuan(row['amount'])} 元，回款台账 {row['_count']} 期合计 {yuan(row['_total'])} 元，{zh_gap}。"
            "请核对分期金额。",
            f"Contract {row['contract_id']} is for {yuan(row['amount'])} yuan but its {row['_count']} installment(s) "
            f"in Receivables add up to {yuan(row['_total'])} ({en_gap}). Check the installments.",
            key="contracts", index=row["_index"], column="amount", project_id=row["project_id"],
            contract_id=row["contract_id"]))
    return findings
