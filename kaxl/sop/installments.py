"""Per-installment enrichment (SPEC §4): outstanding, days overdue, aging bucket, escalation level.

One table drives three consumers — the PAY rules, the `receivables` block of the JSON and the
KPIs/summary — so they can never disagree about what is overdue or by how much. It is a pure,
vectorised function of (ledger frames, settings, as_of): the benchmark ledger has tens of
thousands of installments, so nothing here loops over rows except the short text notes per
(manager, level) pair.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from kaxl.contract.findings import cell_ref

AGING_BUCKETS: tuple[str, ...] = ("not_due", "d1_30", "d31_60", "d61_90", "d90_plus")
AGING_LABELS: dict[str, tuple[str, str]] = {
    "not_due": ("未到期", "not due"),
    "d1_30": ("逾期1–30天", "1–30 days"),
    "d31_60": ("逾期31–60天", "31–60 days"),
    "d61_90": ("逾期61–90天", "61–90 days"),
    "d90_plus": ("逾期90天以上", "over 90 days"),
}
MILESTONE_EN = {"预付款": "advance", "到货款": "on delivery", "验收款": "on acceptance", "质保金": "retention"}

RECEIVABLE_COLUMNS: tuple[str, ...] = (
    "contract_id", "project_id", "customer", "account_manager", "commercial_ops", "installment", "milestone",
    "due_date", "amount_due", "amount_received", "received_date", "invoice_date", "outstanding", "days_overdue",
    "aging_bucket", "escalation_level", "escalation_to", "escalation_note_zh", "escalation_note_en",
)


def receivables(ctx: Any) -> pd.DataFrame:
    """The installment table for a rule context (what ``kaxl.sop.enrich.receivables`` returns)."""
    return build_receivables(ctx.ledger, ctx.settings, ctx.as_of)


def yuan(amount: float) -> str:
    """Money as people read it: thousands separators, fen only when there are any."""
    if amount is None:
        return ""
    if isinstance(amount, float):  # the common case, tested without a pd.isna call per amount
        if amount != amount:  # NaN
            return ""
    elif pd.isna(amount):
        return ""
    rounded = round(float(amount), 2)
    return f"{rounded:,.0f}" if rounded == int(rounded) else f"{rounded:,.2f}"


def days_en(n: int) -> str:
    """"1 day" / "5 days": English messages read like sentences."""
    return f"{n} day" if abs(n) == 1 else f"{n} days"


def build_receivables(ledger: Any, settings: Any, as_of: dt.date) -> pd.DataFrame:
    """One row per installment, sorted by contract and installment (stable for shuffled ledgers).

    Hidden helper columns (dropped from JSON because they start with ``_``): ``_index`` (row
    label in ``ledger.frames["receivables"]``), ``_src``/``_row`` (for :func:`locator`), ``_days_until`` (calendar
    days from as_of to the due date, negative once past), ``_open`` (not fully received),
    ``_cell`` (address of the due-date cell).
    """
    frame = ledger.frames["receivables"]
    tolerance = float(settings.get("amount_tolerance", 0.5))
    today = pd.Timestamp(as_of)

    contracts = ledger.frames["contracts"]
    contracts = contracts[contracts["contract_id"].notna()].drop_duplicates("contract_id")
    projects = ledger.frames["projects"]
    projects = projects[projects["project_id"].notna()].drop_duplicates("project_id").set_index("project_id")

    out = pd.DataFrame(index=frame.index)
    out["contract_id"] = frame["contract_id"].astype(object)
    project_id = frame["contract_id"].map(contracts.set_index("contract_id")["project_id"])
    out["project_id"] = project_id.astype(object).where(project_id.notna(), None)
    for column in ("customer", "account_manager", "commercial_ops"):
        values = project_id.map(projects[column]) if len(projects) else pd.Series(None, index=frame.index)
        out[column] = values.astype(object).where(values.notna(), None)
    out["installment"] = frame["installment"].astype("Int64")
    out["milestone"] = frame["milestone"].astype(object)
    out["due_date"] = frame["due_date"]
    out["amount_due"] = frame["amount_due"].astype(float)
    out["amount_received"] = frame["amount_received"].astype(float)
    out["received_date"] = frame["received_date"]
    out["invoice_date"] = frame["invoice_date"]

    received = out["amount_received"].fillna(0.0)
    outstanding = (out["amount_due"] - received).clip(lower=0.0)
    # A residue within the settings tolerance (rounding, bank fees) counts as fully received.
    outstanding = outstanding.where(outstanding > tolerance, 0.0)
    out["outstanding"] = outstanding.where(out["amount_due"].notna(), np.nan)
    is_open = out["outstanding"].fillna(0.0) > 0

    days_until = (out["due_date"] - today).dt.days  # float, NaN where the due date is unknown
    overdue_days = (-days_until).where(is_open & (days_until < 0), 0).fillna(0).astype("int64")
    out["days_overdue"] = overdue_days
    out["aging_bucket"] = _aging(overdue_days, out["due_date"].notna())
    out["escalation_level"] = _levels(overdue_days, settings.get("escalation_days", (1, 31, 61, 91)))
    to, note_zh, note_en = _escalation_notes(ledger, out)
    out["escalation_to"], out["escalation_note_zh"], out["escalation_note_en"] = to, note_zh, note_en

    out["_index"] = frame.index
    out["_src"] = frame["_src"]
    out["_row"] = frame["_row"]
    out["_days_until"] = days_until.astype("Int64")
    out["_open"] = is_open
    out["_cell"] = cells(ledger, "receivables", "due_date")
    out = out[[*RECEIVABLE_COLUMNS, *[c for c in out.columns if c.startswith("_")]]]
    out = out.sort_values(["contract_id", "installment", "_index"], na_position="last", kind="stable")
    return out.reset_index(drop=True)


def _aging(overdue_days: pd.Series, has_due: pd.Series) -> pd.Series:
    """SPEC §4 buckets (fixed: their names carry the day ranges); None when the due date is unknown."""
    labels = np.asarray(AGING_BUCKETS, dtype=object)
    codes = np.searchsorted(np.array([1, 31, 61, 91]), overdue_days.to_numpy(), side="right")
    bucket = pd.Series(labels[codes], index=overdue_days.index, dtype=object)
    return bucket.where(has_due, None)


def _levels(overdue_days: pd.Series, thresholds: Any) -> pd.Series:
    """Escalation level 1–4 from the ladder starts; NA when not overdue.

    An overdue installment is at least L1 even if the first ladder step is set above 1 day:
    the AM and CO always hear about money that is late.
    """
    starts = np.asarray(sorted(int(t) for t in thresholds))
    days = overdue_days.to_numpy()
    level = pd.array(np.maximum(np.searchsorted(starts, days, side="right"), 1), dtype="Int64")
    level[days <= 0] = pd.NA
    return pd.Series(level, index=overdue_days.index)


def _escalation_notes(ledger: Any, table: pd.DataFrame) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Who hears about each overdue installment (SPEC §3 ladder), as names and as a bilingual note.

    L1 AM + CO; L2 + the AM's manager from Contacts (the sales director); L3 + management;
    L4 + bad-debt handling by legal. Built once per (AM, CO, level) combination, then mapped.
    """
    contacts = ledger.frames["contacts"]
    contacts = contacts[contacts["name"].notna()].drop_duplicates("name")
    manager_of = dict(zip(contacts["name"], contacts["manager"]))
    management = sorted(str(n) for n in contacts.loc[contacts["role"] == "management", "name"])
    level = table["escalation_level"]
    keys = pd.DataFrame({"am": table["account_manager"], "co": table["commercial_ops"], "level": level})
    none = pd.Series(None, index=table.index, dtype=object)
    overdue = level.notna()
    if not overdue.any():
        return none, none.copy(), none.copy()
    notes: dict[tuple, tuple[str, str, str]] = {}
    combos = keys[overdue].drop_duplicates()
    for am, co, lvl in combos.itertuples(index=False, name=None):
        notes[(am, co, int(lvl))] = _note(am, co, int(lvl), manager_of.get(am), management)
    # only the overdue installments have a note: the others stay None, without a look at each
    joined = [notes.get((am, co, int(lvl))) for am, co, lvl in keys[overdue].itertuples(index=False, name=None)]
    at = overdue.to_numpy(dtype=bool)
    parts = []
    for i in range(3):
        column = np.full(len(table), None, dtype=object)
        column[at] = [j[i] if j else None for j in joined]
        parts.append(pd.Series(column, index=table.index, dtype=object))
    return parts[0], parts[1], parts[2]


def _note(am: str | None, co: str | None, level: int, director: Any, management: list[str]) -> tuple[str, str, str]:
    am_zh, am_en = (am, am) if isinstance(am, str) else ("（项目未填销售经理）", "(no AM on the project)")
    co_zh, co_en = (co, co) if isinstance(co, str) else ("（项目未填商务）", "(no CO on the project)")
    names = [n for n in (am, co) if isinstance(n, str)]
    director = director if isinstance(director, str) else None
    if director:
        dir_zh, dir_en = f"销售总监 {director}", f"sales director {director}"
    else:
        dir_zh = f"销售总监（通讯录未登记 {am_zh} 的上级，请补充）"
        dir_en = f"the sales director (Contacts has no manager for {am_en}; please add one)"
    mgmt = "、".join(management)
    mgmt_zh = f"管理层 {mgmt}" if mgmt else "管理层（通讯录未登记管理层）"
    mgmt_en = f"management {', '.join(management)}" if mgmt else "management (none listed in Contacts)"
    if level == 1:
        zh, en = f"L1：销售经理 {am_zh}、商务 {co_zh} 催收", f"L1: AM {am_en} and CO {co_en} chase"
    elif level == 2:
        zh, en = f"L2：已升级至{dir_zh}", f"L2: escalated to {dir_en}"
    elif level == 3:
        zh, en = f"L3：已升级至{dir_zh}、{mgmt_zh}", f"L3: escalated to {dir_en} and {mgmt_en}"
    else:
        zh = f"L4：坏账风险，已升级至{mgmt_zh}并转法务"
        en = f"L4: bad-debt risk, escalated to {mgmt_en} and legal"
    if level >= 2 and director:
        names.append(director)
    if level >= 3:
        names += management
    return "、".join(dict.fromkeys(names)), zh, en


def cells(ledger: Any, key: str, column: str) -> pd.Series:
    """The A1 address of ``column`` on every row of sheet ``key`` (vectorised per source sheet)."""
    frame = ledger.frames[key]
    out = pd.Series(None, index=frame.index, dtype=object)
    if frame.empty:
        return out
    for src_id, rows in frame.groupby("_src")["_row"]:
        source = ledger.sources[key][int(src_id)]
        col = source.col_index.get(column, 0)
        prefix = cell_ref(source.title, col, 1)[:-1]
        out.loc[rows.index] = prefix + rows.astype("int64").astype(str)
    return out


def locator(ledger: Any, key: str) -> Callable[[Any, Any, str | None], dict[str, Any]]:
    """``where(src, row, column)`` → the sheet/row/column/cell/file fields of a finding.

    Same answer as ``Ledger.locate`` but from the row's ``_src``/``_row`` values, with the
    per-(sheet, column) parts cached: ``locate`` costs two DataFrame lookups per call, which
    dominates when a large ledger has tens of thousands of overdue installments.
    """
    sources = ledger.sources[key]
    cache: dict[tuple[int, str | None], tuple[str, str | None, str, str]] = {}

    def where(src: Any, row: Any, column: str | None) -> dict[str, Any]:
        src = int(src)
        part = cache.get((src, column))
        if part is None:
            source = sources[src]
            col = source.col_index.get(column) if column else None
            header = source.headers.get(column, column) if column else None
            part = (source.title, header, cell_ref(source.title, 0 if col is None else col, 1)[:-1], source.file)
            cache[(src, column)] = part
        title, header, prefix, file = part
        row = int(row)
        return {"sheet": title, "row": row, "column": header, "cell": f"{prefix}{row}", "file": file}

    return where


def rows_of(frame: pd.DataFrame, columns: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """The rows a rule turns into findings, as dicts with every missing value (NaN/NaT/NA) as None.

    The whole frame converted at once (one ``to_numpy(object)``, one ``isna``) rather than
    ``to_dict("records")`` or a pandas op per column: rules call this dozens of times per check,
    and per-column overhead dominated the check of a small ledger. ``columns``: only those (the
    ones the messages read), since every cell converted costs, and a joined table is wide.

    Date columns come out as ``datetime.datetime`` (numpy converts them in C), not as the
    ``pd.Timestamp`` pandas would box one cell at a time — ten times slower, and a datetime
    answers everything a message asks of a date (``.date()``, comparisons, arithmetic).
    """
    if frame.empty:
        return []
    if columns is not None:
        frame = frame[list(columns)]
    names = list(frame.columns)
    dates = [j for j, dtype in enumerate(frame.dtypes) if isinstance(dtype, np.dtype) and dtype.kind == "M"]
    if dates:
        values = np.empty(frame.shape, dtype=object)
        rest = [j for j in range(len(names)) if j not in dates]
        if rest:
            values[:, rest] = frame.iloc[:, rest].to_numpy(dtype=object)
        for j in dates:  # NaT becomes None here already
            values[:, j] = frame.iloc[:, j].to_numpy().astype("datetime64[us]").astype(object)
    else:
        values = frame.to_numpy(dtype=object)
    missing = frame.isna().to_numpy(dtype=bool)
    if missing.any():
        values = values.copy()  # never write into the frame's own storage
        values[missing] = None
    return [dict(zip(names, row)) for row in values.tolist()]
