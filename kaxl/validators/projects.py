"""项目台账 Projects: PRJ-001 (SPEC §7; seed 003 §二 大客户定义).

A project whose estimated amount is below ``ka_min_amount`` and that is not a strategic
benchmark (战略标杆) is not a key account by the company's own definition: an info finding, so
the ledger keeps only what the KA process is for. Off while the setting is 0 (the default). It
needs no optional sheet: the projects tab holds everything it reads.
"""

from __future__ import annotations

from kaxl.sop.engine import RuleContext, RuleOutput
from kaxl.sop.installments import rows_of, yuan
from kaxl.sop.nodes import project_rows
from kaxl.validators._common import finding


def run(ctx: RuleContext) -> RuleOutput:
    output = RuleOutput()
    floor = float(ctx.settings.ka_min_amount or 0)
    if floor <= 0:
        return output
    projects = project_rows(ctx)
    strategic = projects["strategic"].fillna(False).astype(bool)
    small = projects[projects["estimated_amount"].lt(floor).fillna(False).astype(bool) & ~strategic]
    for row in rows_of(small):
        amount = yuan(row["estimated_amount"])
        output.findings.append(finding(
            ctx, "PRJ-001",
            f"预估金额 {amount} 元低于 KA 门槛 {yuan(floor)} 元（参数 ka_min_amount），且不是战略标杆："
            "按公司定义不属于大客户项目。如确需按 KA 管理，请勾选「战略标杆」或核对预估金额；否则请移出 KA 台账。",
            f"The estimated amount {amount} yuan is below the KA threshold of {yuan(floor)} yuan (setting "
            "ka_min_amount) and the project is not a strategic benchmark, so it is not a key account by the "
            "company's definition. Mark it strategic or check the amount if it is managed as a KA; otherwise "
            "take it off the KA ledger.",
            key="projects", index=row["_pindex"], column="estimated_amount", project_id=row["project_id"]))
    return output
