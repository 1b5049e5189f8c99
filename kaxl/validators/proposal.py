"""Stage 2 方案 Proposal: PRO-001..003 (SPEC §3).

PRO-001 past Proposal with fewer than ``min_research_rounds`` research rounds · PRO-002 past
Proposal without a briefing at director level or above · PRO-003 in or past Bidding with the
technical control points not locked. All three are about nodes not done, so they fire for
active projects only.
"""

from __future__ import annotations

import pandas as pd

from kaxl.contract.columns import STAGE_ORDER
from kaxl.sop.engine import RuleContext, RuleOutput
from kaxl.sop.installments import rows_of
from kaxl.sop.nodes import first_rows, project_rows
from kaxl.validators._common import LIVE, finding

SENIOR = ("executive", "director")


def run(ctx: RuleContext) -> RuleOutput:
    output = RuleOutput()
    projects = project_rows(ctx)
    projects = projects[projects["status"].isin(LIVE)]
    bids = first_rows(ctx.ledger.frames["bids"]).drop(columns=["_src", "_row"])
    table = projects.merge(bids, on="project_id", how="left")
    past_proposal = table["stage_no"].gt(STAGE_ORDER["proposal"]).fillna(False).astype(bool)
    in_bidding = table["stage_no"].ge(STAGE_ORDER["bidding"]).fillna(False).astype(bool)
    need = int(ctx.settings.min_research_rounds)
    rounds = table["research_rounds"].astype("Float64").fillna(0)
    for row in rows_of(table[past_proposal & (rounds < need)], (*ON_BID, "research_rounds")):
        got = int(row["research_rounds"] or 0)
        output.findings.append(_on_bid_row(
            ctx, "PRO-001", row, "research_rounds",
            f"项目已过方案阶段，但需求调研只有 {got} 轮（至少 {need} 轮）。请售前补充调研并登记轮次。",
            f"The project is past Proposal with {got} research round(s); at least {need} are required. "
            "Pre-sales should complete the research and record it."))
    briefed = table["briefing_date"].notna() & table["briefing_level"].isin(SENIOR)
    for row in rows_of(table[past_proposal & ~briefed], (*ON_BID, "briefing_date", "briefing_level")):
        if row["briefing_date"] is None:
            zh, en, column = ("项目已过方案阶段，但没有向客户总监及以上层级汇报的记录。请安排高层汇报并登记日期与对象层级。",
                              "The project is past Proposal without a briefing to the client's director level or above. "
                              "Arrange one and record its date and level.", "briefing_date")
        else:
            zh, en, column = (f"高层汇报对象层级为“{row['briefing_level'] or '未填'}”，须为总监及以上。请安排向总监或高层汇报。",
                              f"The briefing was to level '{row['briefing_level'] or 'blank'}'; it must be director or "
                              "above. Brief a director or executive.", "briefing_level")
        output.findings.append(_on_bid_row(ctx, "PRO-002", row, column, zh, en))
    locked = table["control_points_locked"].fillna(False).astype(bool)
    for row in rows_of(table[in_bidding & ~locked], ON_BID):
        output.findings.append(_on_bid_row(
            ctx, "PRO-003", row, "control_points_locked",
            "项目已进入投标阶段，但技术控标点尚未锁定。请售前与客户确认并锁定控标点。",
            "The project is in Bidding but the technical control points are not locked. Pre-sales should lock them "
            "with the client."))
    return output


ON_BID = ("_index", "_pindex", "project_id")  # what _on_bid_row reads (rows_of converts only what is read)


def _on_bid_row(ctx: RuleContext, rule_id: str, row: dict, column: str, zh: str, en: str):
    """On the project's bid row when it has one, else on the project's stage cell."""
    has_bid = row.get("_index") is not None and not pd.isna(row["_index"])
    return finding(ctx, rule_id, zh, en, key="bids" if has_bid else "projects",
                   index=row["_index"] if has_bid else row["_pindex"], column=column if has_bid else "stage",
                   project_id=row["project_id"])
