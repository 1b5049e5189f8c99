"""Per-project scores of SPEC §4 that do not depend on findings: qualification and coverage.

Qualification (BANT + strategy, 0–100) weighs five parts, each scored 0–1 from the
initiation form (weights from Settings, default 25/20/20/15/20):
- budget: approved 1, pending 0.6, amount known but status unknown 0.4, nothing 0;
- authority: a decision maker named on the form 0.5, plus 0.5 for one in the stakeholder map;
- need: need written 0.5, plus urgency/5 × 0.5;
- timeline: expected purchase within 90 days of the lead 1, within 180 days 0.6, later 0.3, none 0;
- strategy: strategy fit / 5; a strategic benchmark customer (战略标杆) scores 1.
Grade: A ≥ grade_a (75), B ≥ grade_b (50), else C.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kaxl.sop.nodes import first_rows, project_rows

KP_ROLES = ("decision_maker", "economic_buyer", "technical_evaluator")


def qualification(ctx) -> pd.DataFrame:
    """project_id, qualification_score (0–100, 1 decimal), grade (A/B/C)."""
    return ctx.shared("qualification", _qualification)


def _qualification(ctx) -> pd.DataFrame:
    s = ctx.settings
    projects = project_rows(ctx)[["project_id", "lead_date", "strategic"]]
    form = first_rows(ctx.ledger.frames["initiation"])
    table = projects.merge(form.drop(columns=["_src", "_row", "_index"]), on="project_id", how="left")
    status = table["budget_status"]
    budget = np.select([status.eq("approved"), status.eq("pending"), table["budget"].notna()], [1.0, 0.6, 0.4], 0.0)
    stakeholders = ctx.ledger.frames["stakeholders"]
    has_dm = table["project_id"].isin(stakeholders.loc[stakeholders["role"] == "decision_maker", "project_id"])
    authority = 0.5 * table["decision_maker"].notna().to_numpy() + 0.5 * has_dm.to_numpy()
    urgency = pd.to_numeric(table["urgency"], errors="coerce").clip(0, 5).fillna(0).to_numpy(dtype=float)
    need = 0.5 * table["need"].notna().to_numpy() + 0.5 * urgency / 5
    lead_gap = (table["purchase_date"] - table["lead_date"]).dt.days
    timeline = np.select([lead_gap.le(90), lead_gap.le(180), lead_gap.notna()], [1.0, 0.6, 0.3], 0.0)
    fit = pd.to_numeric(table["strategy_fit"], errors="coerce").clip(0, 5).fillna(0).to_numpy(dtype=float) / 5
    strategic = table["strategic"].fillna(False).astype(bool).to_numpy()
    strategy = np.where(strategic, 1.0, fit)
    weights = (s.weight_budget, s.weight_authority, s.weight_need, s.weight_timeline, s.weight_strategy)
    total = sum(weights) or 1.0
    score = (budget * weights[0] + authority * weights[1] + need * weights[2] + timeline * weights[3]
             + strategy * weights[4]) * 100.0 / total
    score = np.round(score.astype(float), 1)
    grade = np.select([score >= float(s.grade_a), score >= float(s.grade_b)], ["A", "B"], "C")
    return pd.DataFrame({"project_id": table["project_id"].to_numpy(), "qualification_score": score, "grade": grade})


def coverage(ctx) -> pd.Series:
    """Share of the KP roles (decision maker, economic buyer, technical evaluator) with a person
    contacted within ``stakeholder_contact_days`` — indexed by project_id. A visit naming the
    person counts as a contact (SPEC §7: :func:`kaxl.sop.contact.effective_last_contact`)."""
    from kaxl.sop.contact import effective_last_contact

    stakeholders = ctx.ledger.frames["stakeholders"]
    as_of = pd.Timestamp(ctx.as_of)
    contact = effective_last_contact(ctx)
    fresh = contact.notna() & ((as_of - contact).dt.days <= int(ctx.settings.stakeholder_contact_days))
    covered = stakeholders[fresh & stakeholders["role"].isin(KP_ROLES)]
    counts = covered.groupby("project_id")["role"].nunique()
    projects = project_rows(ctx)["project_id"]
    return (counts.reindex(projects).fillna(0) / len(KP_ROLES)).round(4)
