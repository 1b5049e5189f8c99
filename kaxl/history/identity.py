"""A finding's stable identity, and one snapshot's rows as the frames of :mod:`kaxl.history.frames`.

Why not the row number: a row inserted above, or a sheet re-sorted by date, moves every row
below it, and a week-over-week view would call all of them "fixed" and "new". The identity is
``rule|sheet|natural key|column``: the rule, the ledger sheet's key (``receivables``), the row's
natural key (``C-001/2`` for contract C-001 installment 2) and the column's key. A row whose key
cells are blank is known by a fingerprint of everything typed in it (a new fingerprint when the
row is edited: then it is another row, as far as anyone can tell). The file name is not part of
it: dated copies (``台账_2026-11-09.xlsx``) are the same ledger.

Everything is computed column-wise over the findings and the ledger's frames (no row loops).
"""

from __future__ import annotations

import datetime as dt
from operator import attrgetter
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from kaxl.history.frames import FINDING_COLUMNS, KPI_COLUMNS, PORTFOLIO, PROJECT_COLUMNS, History

if TYPE_CHECKING:
    from kaxl.reading.ledger import Ledger
    from kaxl.sop.engine import CheckResult

# Each ledger sheet's natural key: the cells that name a row for a person (never its position).
NATURAL_KEYS: dict[str, tuple[str, ...]] = {
    "projects": ("project_id",),
    "initiation": ("project_id",),
    "stakeholders": ("project_id", "name"),
    "bids": ("project_id",),
    "contracts": ("contract_id",),
    "receivables": ("contract_id", "installment"),
    "risks": ("risk_id",),
    "leads": ("lead_id",),
    "visits": ("project_id", "visit_date", "visitor"),
    "delivery": ("contract_id", "milestone"),
    "health": ("customer",),
    "issues": ("issue_id",),
    "contacts": ("name",),
    "settings": ("key",),
    "calendar": ("date",),
}
SEPARATOR = "|"
KEY_SEPARATOR = "/"
_ROW_COLUMNS = ["file", "sheet", "row"]


def finding_identities(result: CheckResult) -> pd.Series:
    """One identity per finding of ``result`` (same order), see the module docstring."""
    return identities(result.ledger, findings_frame(result.findings))


def findings_frame(findings: list[Any]) -> pd.DataFrame:
    """The findings' fields as columns (one pass to build the frame; the rest is vectorised)."""
    fields = ("rule", "severity", "file", "sheet", "row", "column", "cell", "project_id", "owner_role", "owner",
              "message_zh", "message_en", "contract_id", "installment")
    values = attrgetter(*fields)  # one call per finding, not one per field
    frame = pd.DataFrame([values(f) for f in findings], columns=list(fields), dtype=object)
    return frame


def identities(ledger: Ledger, findings: pd.DataFrame) -> pd.Series:
    """``rule|sheet key|natural key|column key`` for each row of ``findings`` (see findings_frame)."""
    if findings.empty:
        return pd.Series([], dtype=object)
    rows = _row_keys(ledger, findings)
    located = findings[_ROW_COLUMNS].merge(rows, how="left", on=_ROW_COLUMNS, validate="many_to_one")
    titles = _sheet_titles(ledger)
    sheet_key = findings["sheet"].map(titles).where(lambda s: s.notna(), findings["sheet"]).fillna("")
    sheet_key = located["sheet_key"].where(located["sheet_key"].notna(), sheet_key.to_numpy()).to_numpy(dtype=object)
    natural = located["natural_key"].to_numpy(dtype=object)
    fallback = _finding_key(findings).to_numpy(dtype=object)
    natural = np.where(pd.isna(natural), fallback, natural)
    headers = _header_keys(ledger)
    column = pd.Series(list(zip(findings["file"], findings["sheet"], findings["column"])), dtype=object).map(headers)
    column = column.where(column.notna(), findings["column"]).fillna("").to_numpy(dtype=object)
    parts = [findings["rule"].fillna("").astype(str).to_numpy(dtype=object), sheet_key.astype(str),
             natural.astype(str), column.astype(str)]
    out = parts[0]
    for part in parts[1:]:
        out = out + SEPARATOR + part
    return pd.Series(out, index=findings.index, dtype=object)


def _finding_key(findings: pd.DataFrame) -> pd.Series:
    """A finding not on a data row (a missing sheet or column, a setting): what it names itself."""
    installment = findings["installment"].map(lambda v: "" if v is None or pd.isna(v) else str(int(v)))
    contract = findings["contract_id"].fillna("").astype(str)
    project = findings["project_id"].fillna("").astype(str)
    key = contract.where(contract != "", project)
    with_installment = key + KEY_SEPARATOR + installment
    return key.where(installment == "", with_installment)


def _sheet_titles(ledger: Ledger) -> dict[str, str]:
    """Sheet title as in the workbook → the ledger sheet's key."""
    return {source.title: key for key, sources in ledger.sources.items() for source in sources}


def _header_keys(ledger: Ledger) -> dict[tuple[str, str, str], str]:
    """(file, sheet title, header as typed) → column key."""
    return {(source.file, source.title, header): column for sources in ledger.sources.values()
            for source in sources for column, header in source.headers.items()}


def _row_keys(ledger: Ledger, findings: pd.DataFrame | None = None) -> pd.DataFrame:
    """file, sheet title, Excel row → sheet key and natural key, for the data rows of the ledger
    (only those ``findings`` are on, when given: a 20k ledger has 300k rows, its findings 25k)."""
    wanted: dict[tuple[str, str], np.ndarray] | None = None
    if findings is not None:
        on_rows = findings[findings["row"].notna()]
        wanted = {(str(file), str(sheet)): group["row"].astype("int64").to_numpy()
                  for (file, sheet), group in on_rows.groupby(["file", "sheet"], sort=False, dropna=False)}
    parts = []
    for key, frame in ledger.frames.items():
        if frame.empty or key not in NATURAL_KEYS:
            continue
        sources = ledger.sources[key]
        src = frame["_src"].to_numpy()
        rows = frame["_row"].to_numpy()
        mask = None
        if wanted is not None:  # per source (one file's sheet): an integer isin, no string index
            mask = np.zeros(len(frame), dtype=bool)
            for index, source in enumerate(sources):
                hit = wanted.get((str(source.file), str(source.title)))
                if hit is not None:
                    mask |= (src == index) & np.isin(rows, hit)
            if not mask.any():
                continue
            src, rows = src[mask], rows[mask]
        files = np.array([s.file for s in sources], dtype=object)[src]
        sheets = np.array([s.title for s in sources], dtype=object)[src]
        parts.append(pd.DataFrame({"file": files, "sheet": sheets, "row": rows.astype(object),
                                   "sheet_key": key, "natural_key": natural_keys(ledger, key, mask).to_numpy()}))
    if not parts:
        return pd.DataFrame(columns=[*_ROW_COLUMNS, "sheet_key", "natural_key"], dtype=object)
    rows = pd.concat(parts, ignore_index=True)
    rows["row"] = rows["row"].astype(object)
    return rows.drop_duplicates(_ROW_COLUMNS)


def natural_keys(ledger: Ledger, key: str, mask: np.ndarray | None = None) -> pd.Series:
    """Each row's natural key as text (``C-001/2``); blank key cells → a fingerprint of the row.

    ``mask``: only these rows (a boolean array over the sheet's frame)."""
    frame, raw = ledger.frames[key], ledger.raw[key]
    if mask is not None:
        frame, raw = frame[mask], raw[mask]
    texts = [key_text(frame[column], raw[column] if column in raw.columns else None)
             for column in NATURAL_KEYS[key]]
    blank = np.logical_and.reduce([t == "" for t in texts])
    joined = texts[0]
    for text in texts[1:]:
        joined = joined + KEY_SEPARATOR + text
    if blank.any():
        joined = joined.copy()
        joined[blank] = "#" + _fingerprint(raw.loc[blank]).to_numpy(dtype=object)
    return pd.Series(joined, index=frame.index, dtype=object)


def key_text(typed: pd.Series, raw: pd.Series | None) -> np.ndarray:
    """A key column as text: dates ISO, whole numbers without .0, text as typed; '' when blank.

    A value the reader could not type (blank typed, something in the raw cell) keeps what was typed.
    """
    dtype = typed.dtype
    if isinstance(dtype, np.dtype) and dtype.kind == "M":
        text = typed.dt.strftime("%Y-%m-%d")
    elif isinstance(dtype, np.dtype) and dtype.kind == "f" or isinstance(dtype, pd.Float64Dtype):
        numbers = typed.astype("Float64")
        whole = numbers.round() == numbers
        text = numbers.astype(str).where(~whole.fillna(False), numbers.round().astype("Int64").astype(str))
    elif isinstance(dtype, pd.Int64Dtype) or (isinstance(dtype, np.dtype) and dtype.kind in "iu"):
        text = typed.astype("Int64").astype(str)
    else:
        text = typed.astype(object).map(lambda v: v if type(v) is str else (None if v is None or v is pd.NA else str(v)))
    text = text.where(typed.notna(), None)
    if raw is not None:
        raw_text = raw.map(_raw_text)
        text = text.where(text.notna(), raw_text.to_numpy())
    return text.fillna("").astype(str).str.strip().to_numpy(dtype=object)


def _raw_text(value: object) -> str | None:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value).strip()
    return text or None


def _fingerprint(raw: pd.DataFrame) -> pd.Series:
    """A short hash of everything typed in each row (its position left out)."""
    texts = raw.astype(object).map(lambda v: "" if _raw_text(v) is None else _raw_text(v))
    hashed = pd.util.hash_pandas_object(texts, index=False)
    return hashed.map(lambda h: f"{int(h):016x}"[:12])


# --------------------------------------------------------------------------------------- a snapshot


def snapshot_frames(result: CheckResult, as_of: dt.date | None = None) -> History:
    """One snapshot's rows from a check: its findings, projects and KPIs (what the ledger shows)."""
    when = pd.Timestamp(as_of or result.as_of)
    return History(_findings(result, when), _projects(result, when), _kpis(result, when))


def as_dates(values: Any) -> pd.Series:
    """Dates as the frames contract keeps them: ``datetime64[ns]``, NaT when blank."""
    return pd.to_datetime(pd.Series(values), errors="coerce").astype("datetime64[ns]")


def _findings(result: CheckResult, when: pd.Timestamp) -> pd.DataFrame:
    frame = findings_frame(result.findings)
    if frame.empty:
        return pd.DataFrame(columns=FINDING_COLUMNS)
    frame["identity"] = identities(result.ledger, frame)
    frame["as_of"] = when
    managers = result.projects.drop_duplicates("project_id").set_index("project_id")["account_manager"] \
        if not result.projects.empty else pd.Series(dtype=object)
    frame["account_manager"] = frame["project_id"].map(managers)
    out = frame[FINDING_COLUMNS].astype(object)
    out = out.where(out.notna(), None)
    out["as_of"] = as_dates(out["as_of"])
    return out


def _projects(result: CheckResult, when: pd.Timestamp) -> pd.DataFrame:
    projects = result.projects
    out = pd.DataFrame({column: projects[column] if column in projects.columns else None
                        for column in PROJECT_COLUMNS if column != "as_of"})
    out = out[out["project_id"].notna()].drop_duplicates("project_id").reset_index(drop=True)
    out.insert(0, "as_of", when)
    out["as_of"] = as_dates(out["as_of"])
    out["expected_close"] = as_dates(out["expected_close"])
    for column in ("estimated_amount", "qualification_score", "process_pct"):
        out[column] = pd.to_numeric(out[column], errors="coerce").astype("float64")
    return out


def kpi_rows(kpis: dict[str, Any], scope: str) -> list[tuple[Any, ...]]:
    """One row per KPI with a value: (scope, name, value, target, status).

    Nested KPIs are flattened: ``aging.d1_30`` (outstanding per bucket), ``pipeline.proposal.count``
    and ``pipeline.proposal.amount``; they have no target or status.
    """
    rows: list[tuple[Any, ...]] = []
    for name, kpi in kpis.items():
        if not isinstance(kpi, dict):
            continue
        if "value" in kpi:
            rows.append((scope, name, _number(kpi.get("value")), _number(kpi.get("target")), kpi.get("status")))
            continue
        for part, value in kpi.items():
            if isinstance(value, dict):
                rows += [(scope, f"{name}.{part}.{leaf}", _number(v), None, None) for leaf, v in value.items()]
            else:
                rows.append((scope, f"{name}.{part}", _number(value), None, None))
    return rows


def _number(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None if value is None else float(value)
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if np.isnan(number) else number


def _kpis(result: CheckResult, when: pd.Timestamp) -> pd.DataFrame:
    rows = kpi_rows(result.kpis, PORTFOLIO)
    for manager, kpis in sorted(result.kpis_by_manager.items()):
        rows += kpi_rows(kpis, str(manager))
    out = pd.DataFrame(rows, columns=KPI_COLUMNS[1:])
    out.insert(0, "as_of", when)
    out["as_of"] = as_dates(out["as_of"])
    out["value"] = out["value"].astype("float64")
    out["target"] = out["target"].astype("float64")
    return out
