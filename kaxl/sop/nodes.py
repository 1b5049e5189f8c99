"""The SOP's deadline nodes, one row per (project, node): due date, done date, on time.

One table feeds the deadline rules (INI-001, BID-001/002, CON-002/004/005), the upcoming-node
alerts, each project's next node, the process score and the ``node_completion_rate`` KPI, so
they can never disagree about what was due when.

Deadlines (SPEC §1; the two SPEC leaves open are marked *ours*, see docs/decisions.md):
- initiation form: ``initiation_form_days`` working days after the lead;
- review (*ours*): ``review_days`` working days after the form;
- briefing (*ours*): on or before the bid date (director-level briefing precedes the bid);
- price approval: ``price_approval_days`` working days before the bid;
- sealing: ``sealing_days`` working days before the bid;
- dual sign-off (legal + finance): on or before the signing date;
- handover: ``handover_days`` working days after signing; archive: ``archive_days`` after.
A node whose deadline falls in a year no calendar knows has no due date (CAL-001 says why).
"""

from __future__ import annotations

import pandas as pd

from kaxl.contract.columns import STAGE_ORDER

NODE_LABELS: dict[str, tuple[str, str]] = {
    "initiation_form": ("立项表", "initiation form"),
    "review": ("立项评审", "initiation review"),
    "briefing": ("高层汇报", "director briefing"),
    "price_approval": ("价格审批", "price approval"),
    "sealing": ("封标", "bid sealing"),
    "signoff": ("法务财务双签", "legal + finance sign-off"),
    "handover": ("交接单", "handover sheet"),
    "archive": ("合同归档", "contract archiving"),
}
NODE_ROLE = {"initiation_form": "AM", "review": "AM", "briefing": "AM", "price_approval": "CO", "sealing": "CO",
             "signoff": "CO", "handover": "AM", "archive": "CO"}
NODE_COLUMNS = ["project_id", "node", "owner_role", "due_date", "done_date", "on_time", "late_workdays",
                "status", "stage", "contract_id", "_sheet", "_index", "_done_col", "_due_known"]


def projects_by_id(ledger) -> pd.DataFrame:
    """Projects with an id, first row of a duplicated id, plus the numeric stage order."""
    projects = ledger.frames["projects"]
    projects = projects[projects["project_id"].notna()].drop_duplicates("project_id").copy()
    projects["stage_no"] = projects["stage"].map(STAGE_ORDER).astype("Float64")
    projects["_pindex"] = projects.index
    return projects


def project_rows(ctx) -> pd.DataFrame:
    """:func:`projects_by_id` of the run's ledger, built once per run (shared: never assign into
    it; select, filter or copy it first)."""
    return ctx.shared("projects_by_id", lambda ctx: projects_by_id(ctx.ledger))


def projects_indexed(ctx) -> pd.DataFrame:
    """:func:`project_rows` indexed by project_id, built once per run (shared, read-only too)."""
    return ctx.shared("projects_by_id:indexed", lambda ctx: project_rows(ctx).set_index("project_id"))


def first_rows(frame: pd.DataFrame, key: str = "project_id") -> pd.DataFrame:
    """One row per project id (the first), keeping the original row label in ``_index``."""
    out = frame[frame[key].notna()].copy()
    out["_index"] = out.index
    return out.drop_duplicates(key)


def node_table(ctx) -> pd.DataFrame:
    """Every applicable node of every project (cached per run)."""
    return ctx.shared("nodes", _build)


def _build(ctx) -> pd.DataFrame:
    ledger, settings, cal = ctx.ledger, ctx.settings, ctx.calendar
    projects = project_rows(ctx)
    base = projects[["project_id", "status", "stage", "stage_no", "lead_date", "_pindex"]]
    initiation = first_rows(ledger.frames["initiation"])
    bids = first_rows(ledger.frames["bids"])
    contracts = ledger.frames["contracts"]
    contracts = contracts[contracts["project_id"].isin(projects["project_id"])].copy()
    contracts["_index"] = contracts.index
    parts: list[pd.DataFrame] = []

    def add(node: str, frame: pd.DataFrame, due: pd.Series, done: pd.Series, sheet: str, index: pd.Series,
            done_col: str | pd.Series, contract: pd.Series | None = None) -> None:
        if frame.empty:
            return
        part = pd.DataFrame({
            "project_id": frame["project_id"].to_numpy(), "node": node, "owner_role": NODE_ROLE[node],
            "due_date": pd.to_datetime(due).to_numpy(), "done_date": pd.to_datetime(done).to_numpy(),
            "status": frame["status"].to_numpy(), "stage": frame["stage"].to_numpy(),
            "contract_id": contract.to_numpy() if contract is not None else None,
            "_sheet": sheet, "_index": index.to_numpy(),
            "_done_col": done_col.to_numpy() if isinstance(done_col, pd.Series) else done_col,
        })
        parts.append(part)

    # Initiation form: every project has one from its lead date.
    with_form = base.merge(initiation[["project_id", "form_date", "review_date", "_index"]], on="project_id", how="left")
    due_form = cal.shift_series(with_form["lead_date"], int(settings.initiation_form_days))
    form_sheet_index = with_form["_index"]
    has_row = form_sheet_index.notna()
    add("initiation_form", with_form, due_form, with_form["form_date"],
        "initiation", form_sheet_index.where(has_row, with_form["_pindex"]), "form_date")
    # Rows without an initiation row point at the project's lead date instead.
    if parts:
        parts[-1].loc[~has_row.to_numpy(), "_sheet"] = "projects"
        parts[-1].loc[~has_row.to_numpy(), "_done_col"] = "lead_date"

    # Review: once a form exists.
    reviewed = with_form[with_form["form_date"].notna()]
    add("review", reviewed, cal.shift_series(reviewed["form_date"], int(settings.review_days)),
        reviewed["review_date"], "initiation", reviewed["_index"], "review_date")

    # Briefing, price approval, sealing: against the bid date.
    with_bid = base.merge(bids[["project_id", "bid_date", "briefing_date", "price_approval_date", "sealed_date",
                                "_index"]], on="project_id", how="inner")
    with_bid = with_bid[with_bid["bid_date"].notna()]
    add("briefing", with_bid, with_bid["bid_date"], with_bid["briefing_date"], "bids", with_bid["_index"],
        "briefing_date")
    add("price_approval", with_bid, cal.shift_series(with_bid["bid_date"], -int(settings.price_approval_days)),
        with_bid["price_approval_date"], "bids", with_bid["_index"], "price_approval_date")
    add("sealing", with_bid, cal.shift_series(with_bid["bid_date"], -int(settings.sealing_days)),
        with_bid["sealed_date"], "bids", with_bid["_index"], "sealed_date")

    # Contract nodes: per signed contract.
    signed = contracts[contracts["signed_date"].notna()].merge(
        base[["project_id", "status", "stage", "stage_no"]], on="project_id", how="left")
    signoff_done = signed[["legal_signoff", "finance_signoff"]].max(axis=1, skipna=False)
    add("signoff", signed, signed["signed_date"], signoff_done, "contracts", signed["_index"],
        _signoff_column(signed), signed["contract_id"])
    add("handover", signed, cal.shift_series(signed["signed_date"], int(settings.handover_days)),
        signed["handover_date"], "contracts", signed["_index"], "handover_date", signed["contract_id"])
    add("archive", signed, cal.shift_series(signed["signed_date"], int(settings.archive_days)),
        signed["archived_date"], "contracts", signed["_index"], "archived_date", signed["contract_id"])

    if not parts:
        return pd.DataFrame(columns=NODE_COLUMNS)
    table = pd.concat(parts, ignore_index=True)
    table["_due_known"] = table["due_date"].notna()
    table["on_time"] = (table["done_date"] <= table["due_date"]).where(
        table["done_date"].notna() & table["due_date"].notna()).astype("boolean")
    table["late_workdays"] = pd.array([pd.NA] * len(table), dtype="Int64")
    late = table["on_time"].eq(False).fillna(False).astype(bool)
    if late.any():
        table.loc[late, "late_workdays"] = cal.between_series(table.loc[late, "due_date"], table.loc[late, "done_date"])
    return table[NODE_COLUMNS]


def _signoff_column(signed: pd.DataFrame) -> pd.Series | str:
    """Point the sign-off node at whichever date is missing or later (legal first)."""
    if signed.empty:
        return "legal_signoff"
    legal, finance = signed["legal_signoff"], signed["finance_signoff"]
    use_finance = legal.notna() & (finance.isna() | (finance > legal))
    return pd.Series(["finance_signoff" if f else "legal_signoff" for f in use_finance], index=signed.index)


def label(node: str, lang: str = "zh") -> str:
    zh, en = NODE_LABELS[node]
    return zh if lang == "zh" else en
