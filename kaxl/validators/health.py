"""客户健康度 Health: HLT-001..002 (SPEC §7; seed 001 §(五)).

HLT-001 a customer whose latest health (computed, :mod:`kaxl.sop.health`) is below
``health_threshold`` has a retention plan dated on or after that assessment · HLT-002 a customer
with a contract in force is assessed every ``health_review_days``; an assessment falling due
within :data:`UPCOMING_DAYS` is an upcoming node.

Owners: HLT-001 the assessment's 挽回负责人, else the customer's 客户成功 (csm of its project),
else the AM; HLT-002 the CS, else the AM. A customer's findings are filed under one of its
projects (:func:`kaxl.sop.health.project_customer`). Assessments of a customer not in Projects
are SCH-007's, not judged here.
"""

from __future__ import annotations

import pandas as pd

from kaxl.sop.engine import RuleContext, RuleOutput, Upcoming
from kaxl.sop.health import assessments, customer_projects, customers, project_customer
from kaxl.sop.installments import days_en, rows_of
from kaxl.validators._common import as_date, finding, iso, where

NEEDS = ("health",)
UPCOMING_DAYS = 30  # an assessment due within a month shows in the CS's alerts


def run(ctx: RuleContext) -> RuleOutput:
    output = RuleOutput()
    output.findings += _unhealthy(ctx)
    _reviews(ctx, output)
    return output


def _cs(row: dict) -> str | None:
    return row["csm"] or row["account_manager"]


def _unhealthy(ctx: RuleContext) -> list:
    table = customers(ctx)
    if table.empty:
        return []
    threshold = float(ctx.settings.health_threshold)
    weights = tuple(ctx.settings.health_weights)
    low = table[table["health"].notna() & (table["health"].astype(float) < threshold)]
    planned = low["retention_plan_date"].notna() & (low["retention_plan_date"] >= low["assessed_date"])
    low = low[~planned].join(project_customer(ctx), how="left")
    findings = []
    for row in rows_of(low):
        rel = f"{row['relationship']:g}" + ("（按关键人接触计算）" if row["relationship_computed"] else "")
        rel_en = f"{row['relationship']:g}" + (" (computed from key-person contact)" if row["relationship_computed"] else "")
        formula = f"{weights[0]:g}×{row['usage']:g} + {weights[1]:g}×{row['value']:g} + {weights[2]:g}×"
        trend_zh = f"，较上次 {int(row['trend']):+d}" if row["trend"] is not None else ""
        trend_en = f", {int(row['trend']):+d} since the previous one" if row["trend"] is not None else ""
        person = row["retention_owner"] or _cs(row)
        findings.append(finding(
            ctx, "HLT-001",
            f"客户 {row['customer']} 于 {iso(row['assessed_date'])} 评估的健康度为 {int(row['health'])}"
            f"（{formula}{rel}）{trend_zh}，低于 {threshold:g}，但没有挽回计划。"
            "请客户成功制定挽回计划（原因、措施、负责人、时间），并填写「挽回计划日期」和「挽回负责人」。",
            f"{row['customer']}'s health assessed on {iso(row['assessed_date'])} is {int(row['health'])} "
            f"({formula}{rel_en}){trend_en}, below {threshold:g}, and has no retention plan. Customer success "
            "should draw one up (causes, actions, owner, dates) and fill in the plan date and owner.",
            key="health", index=row["_index"], column="retention_plan_date", project_id=row["project_id"],
            owner_name=person))
    return findings


def _reviews(ctx: RuleContext, output: RuleOutput) -> None:
    days = int(ctx.settings.health_review_days)
    as_of = pd.Timestamp(ctx.as_of)
    contracts = ctx.ledger.frames["contracts"]
    in_force = contracts[contracts["signed_date"].notna() & (contracts["signed_date"] <= as_of)
                         & (contracts["end_date"].isna() | (contracts["end_date"] >= as_of))]
    projects = customer_projects(ctx).set_index("project_id")
    keys = in_force["project_id"].map(projects["_customer"]).dropna().unique()
    if len(keys) == 0:
        return
    scored = assessments(ctx)
    past = scored[scored["assessed_date"] <= as_of].sort_values(["assessed_date", "_index"], kind="stable")
    latest = past.drop_duplicates("_customer", keep="last").set_index("_customer")
    table = project_customer(ctx).reindex(pd.Index(keys, name="_customer")).dropna(subset=["project_id"])
    table["_last"] = latest["assessed_date"].reindex(table.index)
    table["_lindex"] = latest["_index"].reindex(table.index)
    table["_due"] = table["_last"] + pd.Timedelta(days=days)
    table["customer"] = pd.Series(projects["customer"].to_numpy(dtype=object),
                                  index=projects["_pindex"].to_numpy()).reindex(table["_pindex"]).to_numpy(dtype=object)
    stale = table[table["_last"].isna() | (table["_due"] < as_of)]
    rule_zh, rule_en = f"每 {days} 天", f"every {days_en(days)}"
    for row in rows_of(stale):
        if row["_last"] is not None:
            since = (as_of - row["_last"]).days
            over = (as_of - row["_due"]).days
            seen_zh = f"上次评估 {iso(row['_last'])}，已 {since} 天"
            seen_en = f"it was last assessed on {iso(row['_last'])}, {days_en(since)} ago"
            place = {"key": "health", "index": row["_lindex"], "column": "assessed_date"}
            due = as_date(row["_due"])
        else:
            seen_zh, seen_en, over, due = "「客户健康度」中没有它的评估", "Health has no assessment of it", None, None
            place = {"key": "projects", "index": row["_pindex"], "column": "customer"}
        output.findings.append(finding(
            ctx, "HLT-002",
            f"客户 {row['customer']} 有在履行的合同，须{rule_zh}评估一次健康度，但{seen_zh}。"
            "请客户成功完成健康度评估（使用活跃度、业务价值、关系维护、满意度），在「客户健康度」新增一行。",
            f"{row['customer']} has a contract in force and must be assessed {rule_en}, but {seen_en}. Customer "
            "success should assess usage, value, relationship and satisfaction and add a row to Health.",
            **place, project_id=row["project_id"], owner_name=_cs(row), due_date=due, days=over))
    soon = table[table["_last"].notna() & (table["_due"] >= as_of)
                 & (table["_due"] <= as_of + pd.Timedelta(days=UPCOMING_DAYS))]
    for row in rows_of(soon):
        left = (row["_due"] - as_of).days
        output.upcoming.append(Upcoming(
            project_id=row["project_id"], rule="HLT-002", owner_role="CS", owner=_cs(row),
            due_date=as_date(row["_due"]), days=-left,
            message_zh=f"客户 {row['customer']} 上次健康度评估 {iso(row['_last'])}，须在 {iso(row['_due'])} 前再次评估"
                       f"（{rule_zh}），{'今天到期' if left == 0 else f'{left} 天后到期'}。",
            message_en=f"{row['customer']} was last assessed on {iso(row['_last'])}; assess again by {iso(row['_due'])} "
                       f"({rule_en}), {'due today' if left == 0 else f'due in {days_en(left)}'}.",
            cell=where(ctx, "health", row["_lindex"], "assessed_date")["cell"]))
