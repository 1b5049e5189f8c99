"""Per-project computed values of SPEC §4, for JSON, the summary, the Scores tab and digests.

The process score is a 100-point node scorecard built from the findings themselves: each
SOP finding deducts points from its section, so every deduction points at the cell that
caused it, and the score can never disagree with what `kaxl check` reports. Only sections the
project has reached count; the score is points / applicable maximum and a percentage.
"""

from __future__ import annotations

import pandas as pd

from kaxl.contract.columns import STAGE_ORDER
from kaxl.contract.findings import Finding
from kaxl.sop.nodes import NODE_LABELS, node_table, project_rows

SECTIONS: dict[str, tuple[int, str, str]] = {  # section → (max points, zh, en)
    "initiation": (15, "立项", "initiation"),
    "proposal": (20, "方案", "proposal"),
    "bidding": (20, "投标", "bidding"),
    "contracting": (20, "签约", "contracting"),
    "collection": (25, "回款", "collection"),
}
# rule → (section, points, points per working day late or None)
DEDUCTIONS: dict[str, tuple[str, int, int | None]] = {
    "INI-001": ("initiation", 5, 2), "INI-002": ("initiation", 5, None), "STK-001": ("initiation", 5, None),
    "INI-003": ("initiation", 3, None), "INI-004": ("initiation", 2, None),
    "PRO-001": ("proposal", 7, None), "PRO-002": ("proposal", 7, None), "PRO-003": ("proposal", 6, None),
    "BID-001": ("bidding", 10, 2), "BID-002": ("bidding", 10, 2), "BID-003": ("bidding", 4, None),
    "CON-001": ("contracting", 4, None), "CON-002": ("contracting", 4, None), "CON-003": ("contracting", 4, None),
    "CON-004": ("contracting", 4, 2), "CON-005": ("contracting", 4, 2), "CON-006": ("contracting", 4, None),
    "PAY-003": ("collection", 5, None), "PAY-004": ("collection", 2, None), "PAY-005": ("collection", 3, None),
}
DEDUCTION_COLUMNS = ["project_id", "section", "rule", "points", "reason_zh", "reason_en", "cell"]
# Modules with ``values(ctx, project_ids: pd.Series) -> pd.DataFrame``: more per-project values
# (SPEC §7: last_visit, customer_health, open_issues, delivery_next…), one row per project id
# (indexed by project_id), appended after the first-wave columns.
VALUE_MODULES: tuple[str, ...] = ("kaxl.sop.aftersale_values", "kaxl.sop.field_values")


def receivables(ctx) -> pd.DataFrame:
    """The installment table (kaxl.sop.installments), shared with the rules through the run cache."""
    from kaxl.sop.installments import receivables as build

    return ctx.shared("receivables", build)


def deductions(ctx, findings: list[Finding]) -> pd.DataFrame:
    """One row per deduction: which section lost how many points, why, and on which cell
    (once per run: the process score and the summary's Deductions tab read the same table)."""
    return ctx.shared("deductions", lambda ctx: _deductions(findings))


def _deductions(findings: list[Finding]) -> pd.DataFrame:
    rows = []
    for f in findings:
        rule = DEDUCTIONS.get(f.rule)
        if rule is None or f.project_id is None:
            continue
        section, points, per_day = rule
        if per_day is not None and f.days is not None and f.days > 0 and f.node_state != "missing":
            points = min(points, per_day * int(f.days))
        if f.rule == "PAY-003" and (f.escalation_level or 1) >= 2:
            points = 10
        rows.append([f.project_id, section, f.rule, points, f.message_zh, f.message_en, f.cell])
    return pd.DataFrame(rows, columns=DEDUCTION_COLUMNS)


def reached_sections(projects: pd.DataFrame, has_contract: pd.Series, has_receivable: pd.Series) -> pd.DataFrame:
    stage = projects["stage_no"].fillna(0)
    return pd.DataFrame({
        "initiation": True,
        "proposal": stage >= STAGE_ORDER["proposal"],
        "bidding": stage >= STAGE_ORDER["bidding"],
        "contracting": (stage >= STAGE_ORDER["contracting"]) | has_contract,
        "collection": (stage >= STAGE_ORDER["payment"]) | has_receivable,
    }, index=projects.index)


def projects(ctx, findings: list[Finding]) -> pd.DataFrame:
    """One row per project with every field SPEC §5 lists for `projects`, plus a few more."""
    from kaxl.sop.scoring import coverage, qualification

    table = project_rows(ctx).reset_index(drop=True)
    ids = table["project_id"]
    scores = qualification(ctx).set_index("project_id")
    table["qualification_score"] = ids.map(scores["qualification_score"])
    table["grade"] = ids.map(scores["grade"])
    contracts = ctx.ledger.frames["contracts"]
    installments = receivables(ctx)
    has_contract = ids.isin(contracts["project_id"])
    has_receivable = ids.isin(installments["project_id"]) if not installments.empty else pd.Series(False, index=ids.index)
    reached = reached_sections(table, has_contract, has_receivable)
    maxima = pd.Series({k: v[0] for k, v in SECTIONS.items()})
    process_max = (reached.astype(int) * maxima).sum(axis=1)
    lost = deductions(ctx, findings)
    if not lost.empty:
        by_section = lost.groupby(["project_id", "section"])["points"].sum().unstack(fill_value=0)
        by_section = by_section.reindex(columns=list(SECTIONS), fill_value=0).clip(upper=maxima, axis=1)
        lost_points = (by_section.reindex(ids).fillna(0).to_numpy() * reached.to_numpy()).sum(axis=1)
    else:
        lost_points = 0
    table["process_max"] = process_max.astype(int)
    table["process_points"] = (process_max - lost_points).astype(int)
    table["process_pct"] = (table["process_points"] / table["process_max"] * 100).round(1)
    table["coverage"] = ids.map(coverage(ctx)).fillna(0.0)
    nxt = next_nodes(ctx, installments)
    # reindex on nxt's unique project index, not Series.map (pandas casts an empty datetime mapper
    # to float and raises) nor a dict per value (a Timestamp boxed per project)
    keys = ids.to_numpy()
    next_node = nxt["next_node"].reindex(keys).to_numpy(dtype=object)
    next_node[~pd.Index(keys).isin(nxt.index)] = None  # no next node: None, as before
    table["next_node"] = next_node
    table["next_due"] = pd.to_datetime(nxt["next_due"].reindex(keys).set_axis(table.index))
    table["days_in_stage"] = days_in_stage(ctx, table)
    table["risk_level"] = ids.map(risk_levels(ctx))
    columns = ["project_id", "customer", "industry", "stage", "status", "tier", "grade", "qualification_score",
               "process_points", "process_max", "process_pct", "coverage", "next_node", "next_due", "days_in_stage",
               "risk_level", "lead_date", "estimated_amount", "expected_close", "account_manager", "presales",
               "commercial_ops"]
    table = table[columns]
    for name in VALUE_MODULES:
        import importlib

        more = importlib.import_module(name).values(ctx, table["project_id"])
        table = table.join(more, on="project_id")
    return table


def next_nodes(ctx, installments: pd.DataFrame) -> pd.DataFrame:
    """The earliest node still to do (by due date), else the next installment to collect."""
    nodes = node_table(ctx)
    pending = nodes[nodes["done_date"].isna() & nodes["due_date"].notna()
                    & nodes["status"].isin(("active", "won"))].sort_values(["due_date", "node"])
    first = pending.drop_duplicates("project_id").set_index("project_id")
    labels = {k: f"{zh} {en}" for k, (zh, en) in NODE_LABELS.items()}
    out = pd.DataFrame({"next_node": first["node"].map(labels), "next_due": first["due_date"]})
    if not installments.empty:
        owed = installments[installments["outstanding"] > 0.5].sort_values(["due_date", "installment"])
        owed = owed.drop_duplicates("project_id").set_index("project_id")
        extra = owed.loc[~owed.index.isin(out.index)]
        collect = pd.DataFrame({
            "next_node": "回款 第" + extra["installment"].astype(str) + "期 collect installment "
                         + extra["installment"].astype(str),
            "next_due": extra["due_date"]})
        out = pd.concat([out, collect])
    return out


def days_in_stage(ctx, table: pd.DataFrame) -> pd.Series:
    """Calendar days since the current stage began: the date of the node that entered it
    (initiation: the lead; proposal: the review, else the form; bidding: the briefing, else the
    price approval; contracting: the bid; payment: the first signing). Unknown → NA."""
    from kaxl.sop.nodes import first_rows

    ledger = ctx.ledger
    keys = table["project_id"].to_numpy()
    # each source is one row per project: looked up by reindexing it on the table's ids, only for
    # the rows in its stage, not three merges of the whole table
    form = first_rows(ledger.frames["initiation"]).set_index("project_id")
    bids = first_rows(ledger.frames["bids"]).set_index("project_id")
    per_project = {  # built only when some project is in that stage
        "proposal": lambda: form["review_date"].fillna(form["form_date"]),
        "bidding": lambda: bids["briefing_date"].fillna(bids["price_approval_date"]),
        "contracting": lambda: bids["bid_date"],
        "payment": lambda: ledger.frames["contracts"].groupby("project_id")["signed_date"].min(),
    }
    stages = table["stage"].to_numpy()
    start = pd.Series(pd.NaT, index=table.index, dtype="datetime64[ns]")
    initiation = stages == "initiation"
    start[initiation] = table["lead_date"][initiation]
    for stage, dates in per_project.items():
        mask = stages == stage
        if mask.any():
            start[mask] = dates().reindex(keys[mask]).to_numpy()
    days = (pd.Timestamp(ctx.as_of) - start).dt.days
    return days.where(days >= 0).astype("Int64").set_axis(table.index)


def risk_levels(ctx) -> pd.Series:
    """The highest open risk level per project: high / medium / low (likelihood × impact)."""
    risks = ctx.ledger.frames["risks"]
    open_risks = risks[risks["status"].ne("closed") | risks["status"].isna()]
    level = (open_risks["likelihood"] * open_risks["impact"]).astype("Float64")
    high, medium = float(ctx.settings.risk_high), float(ctx.settings.risk_medium)
    worst = level.groupby(open_risks["project_id"]).max()
    return worst.map(lambda v: None if pd.isna(v) else "high" if v >= high else "medium" if v >= medium else "low")
