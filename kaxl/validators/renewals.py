"""After sale 续约: REN-001 (SPEC §3) — a contract ending within ``renewal_days`` with no
renewal project for that customer (another project of the same customer, active or won,
whose lead came after the contract was signed)."""

from __future__ import annotations

import pandas as pd

from kaxl.sop.engine import RuleContext, RuleOutput
from kaxl.sop.installments import rows_of
from kaxl.sop.nodes import project_rows
from kaxl.validators._common import finding, iso


def run(ctx: RuleContext) -> RuleOutput:
    output = RuleOutput()
    window = int(ctx.settings.renewal_days)
    as_of = pd.Timestamp(ctx.as_of)
    contracts = ctx.ledger.frames["contracts"].copy()
    contracts["_index"] = contracts.index
    ending = contracts[contracts["end_date"].notna() & (contracts["end_date"] >= as_of)
                       & ((contracts["end_date"] - as_of).dt.days <= window)]
    if ending.empty:
        return output
    projects = project_rows(ctx)
    ending = ending.merge(projects[["project_id", "customer"]], on="project_id", how="left")
    candidates = projects[projects["status"].isin(("active", "won"))][["project_id", "customer", "lead_date"]]
    pairs = ending.merge(candidates, on="customer", suffixes=("", "_new"))
    renewed = pairs[(pairs["project_id_new"] != pairs["project_id"])
                    & (pairs["lead_date"] >= pairs["signed_date"]).fillna(False).astype(bool)]
    covered = set(renewed["contract_id"])
    for row in rows_of(ending[~ending["contract_id"].isin(covered)]):
        left = (row["end_date"] - as_of).days
        output.findings.append(finding(
            ctx, "REN-001",
            f"客户「{row['customer']}」的合同 {row['contract_id']} 将于 {iso(row['end_date'])} 到期（还有 {left} 天），尚无续约项目。"
            f"请销售经理在到期前 {window} 天内启动续约并在项目台账立项。",
            f"Contract {row['contract_id']} with {row['customer']} ends on {iso(row['end_date'])} ({left} days left) and "
            f"no renewal project exists. Start the renewal ({window} days ahead) and add it to Projects.",
            key="contracts", index=row["_index"], column="end_date", project_id=row["project_id"],
            due_date=row["end_date"].date(), days=-left, contract_id=row["contract_id"]))
    return output
