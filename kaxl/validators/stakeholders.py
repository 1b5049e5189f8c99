"""The stakeholder map 干系人地图: STK-001..003 (SPEC §3).

STK-001 past Initiation with nobody mapped or no decision maker · STK-002 a key person (KP)
not contacted for more than ``stakeholder_contact_days`` while the project is active (KPs
about to go cold within a week are upcoming alerts); a visit that names the person counts as a
contact on its date (SPEC §7, :func:`kaxl.sop.contact.effective_last_contact`) · STK-003 an
influential opponent (influence ≥ 4) with no open risk on the project naming a response.
"""

from __future__ import annotations

import pandas as pd

from kaxl.contract.columns import STAGE_ORDER
from kaxl.sop.contact import effective_last_contact
from kaxl.sop.engine import RuleContext, RuleOutput, Upcoming
from kaxl.sop.installments import rows_of
from kaxl.sop.nodes import project_rows
from kaxl.validators._common import LIVE, finding, iso, owner, where

KP_ROLES = ("decision_maker", "economic_buyer")
UPCOMING_DAYS = 7
# What the STK-002 messages read (rows_of converts only these).
COLD = ("project_id", "name", "owner", "account_manager", "last_contact", "_contact", "_since", "_index")


def run(ctx: RuleContext) -> RuleOutput:
    output = RuleOutput()
    projects = project_rows(ctx)
    stakeholders = ctx.ledger.frames["stakeholders"].copy(deep=False)  # new columns only: no data copied
    stakeholders["_index"] = stakeholders.index
    stakeholders["_contact"] = effective_last_contact(ctx)
    live = projects[projects["status"].isin(LIVE)]
    output.findings += _map(ctx, live, stakeholders)
    # the people of live projects with their AM: one lookup of a project id per person (the
    # live projects are one row per id), the rows an inner merge would give, in the map's order
    at = pd.Index(live["project_id"]).get_indexer(stakeholders["project_id"])
    joined = stakeholders[at >= 0].reset_index(drop=True)
    joined["account_manager"] = live["account_manager"].to_numpy(dtype=object)[at[at >= 0]]
    _cold(ctx, joined, output)
    output.findings += _opponents(ctx, joined)
    return output


def _map(ctx: RuleContext, live: pd.DataFrame, stakeholders: pd.DataFrame) -> list:
    past = live[live["stage_no"].gt(STAGE_ORDER["initiation"]).fillna(False).astype(bool)]
    mapped = set(stakeholders["project_id"].dropna())
    deciders = set(stakeholders.loc[stakeholders["role"] == "decision_maker", "project_id"].dropna())
    findings = []
    unmapped = ~past["project_id"].isin(mapped) | ~past["project_id"].isin(deciders)
    for row in rows_of(past[unmapped], ("project_id", "_pindex")):
        pid = row["project_id"]
        if pid not in mapped:
            zh = "项目已过立项阶段，但干系人地图中没有任何人。请销售经理补充客户方干系人（决策者、预算审批、技术评估等）。"
            en = "The project is past Initiation but has nobody in the stakeholder map. Map the client's decision maker, economic buyer and evaluators."
        elif pid not in deciders:
            zh = "项目已过立项阶段，但干系人地图中没有“决策者”。请找到并登记决策者。"
            en = "The project is past Initiation but the stakeholder map has no decision maker. Find and record them."
        else:
            continue
        findings.append(finding(ctx, "STK-001", zh, en, key="projects", index=row["_pindex"], column="stage",
                                project_id=pid))
    return findings


def _cold(ctx: RuleContext, joined: pd.DataFrame, output: RuleOutput) -> None:
    limit = int(ctx.settings.stakeholder_contact_days)
    is_kp = joined["is_kp"].fillna(False).astype(bool) | joined["role"].isin(KP_ROLES)
    kps = joined[is_kp]
    since = (pd.Timestamp(ctx.as_of) - kps["_contact"]).dt.days
    cold = kps[since.isna() | (since > limit)]
    for row in rows_of(cold.assign(_since=since.loc[cold.index]), COLD):
        person = row["owner"] or row["account_manager"]
        name = row["name"] or "?"
        if row["_since"] is None:
            zh = f"关键人 {name} 没有接触记录。请 {person} 尽快拜访并登记「最近接触日期」。"
            en = f"Key person {name} has no recorded contact. {person}: meet them and record the date."
            due, days = None, None
        else:
            due = (row["_contact"] + pd.Timedelta(days=limit)).date()
            days = int(row["_since"]) - limit
            via_zh, via_en = _via(row)
            zh = (f"关键人 {name} 已 {int(row['_since'])} 天未接触（上次 {iso(row['_contact'])}{via_zh}，超过 {limit} 天）。"
                  f"请 {person} 安排拜访。")
            en = (f"Key person {name} not contacted for {int(row['_since'])} days (last {iso(row['_contact'])}{via_en}, "
                  f"limit {limit}). {person}: arrange a visit.")
        output.findings.append(finding(ctx, "STK-002", zh, en, key="stakeholders", index=row["_index"],
                                       column="last_contact", project_id=row["project_id"], owner_name=person,
                                       due_date=due, days=days))
    soon = kps[since.notna() & (since <= limit) & (since > limit - UPCOMING_DAYS)]
    for row in rows_of(soon.assign(_since=since.loc[soon.index]), COLD):
        due = (row["_contact"] + pd.Timedelta(days=limit)).date()
        ahead = limit - int(row["_since"])
        person = row["owner"] or row["account_manager"]
        via_zh, via_en = _via(row)
        output.upcoming.append(Upcoming(
            project_id=row["project_id"], rule="STK-002", owner_role="AM", owner=person, due_date=due, days=-ahead,
            message_zh=f"关键人 {row['name']} 上次接触 {iso(row['_contact'])}{via_zh}，{ahead} 天后超过 {limit} 天，请安排拜访。",
            message_en=f"Key person {row['name']} was last contacted {iso(row['_contact'])}{via_en}; in {ahead} days that is over {limit} days. Plan a visit.",
            cell=where(ctx, "stakeholders", row["_index"], "last_contact")["cell"]))


def _via(row: dict) -> tuple[str, str]:
    """Say so when the last contact is a visit, not the map's own date."""
    if row["last_contact"] is None or row["_contact"] > row["last_contact"]:
        return "，拜访记录", ", a recorded visit"
    return "", ""


def _opponents(ctx: RuleContext, joined: pd.DataFrame) -> list:
    risks = ctx.ledger.frames["risks"]
    answered = risks[(risks["status"].ne("closed") | risks["status"].isna()) & risks["response"].notna()]
    covered = set(answered["project_id"].dropna())
    strong = joined[joined["attitude"].eq("opponent") & joined["influence"].ge(4).fillna(False).astype(bool)]
    findings = []
    for row in rows_of(strong[~strong["project_id"].isin(covered)], ("name", "influence", "_index", "project_id")):
        findings.append(finding(
            ctx, "STK-003",
            f"{row['name']}（影响力 {row['influence']}）持反对态度，但该项目没有登记带应对措施的风险。请在「风险登记」中登记并写明应对措施。",
            f"{row['name']} (influence {row['influence']}) opposes the project, but no open risk with a response is "
            "registered for it. Register one in Risks with a response.",
            key="stakeholders", index=row["_index"], column="attitude", project_id=row["project_id"],
            owner_name=owner(ctx, row["project_id"], "AM")))
    return findings
