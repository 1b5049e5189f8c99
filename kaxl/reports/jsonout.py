"""The JSON document of SPEC §5: dates as ISO strings, money as numbers in yuan, no NaN."""

from __future__ import annotations

import datetime as dt
import json
import math
from typing import Any

import numpy as np
import orjson
import pandas as pd

import kaxl


def plain(value: Any) -> Any:
    """A JSON-safe scalar: NaN/NaT/NA → None, Timestamps → ISO dates, numpy → Python."""
    if type(value) is str:  # most values: answer before the isinstance chain
        return value
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, (pd.Timestamp, dt.datetime)):
        return value.date().isoformat() if pd.notna(value) else None
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return None if math.isnan(value) else float(value)
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def records(frame: pd.DataFrame | None) -> list[dict[str, Any]]:
    """Rows as JSON-safe dicts, converted a column at a time (no per-cell dispatch on big tables)."""
    if frame is None or frame.empty:
        return []
    columns = [c for c in frame.columns if not str(c).startswith("_")]
    values = [_column(frame[c]) for c in columns]
    return [dict(zip(columns, row)) for row in zip(*values)]


def numeric_values(series: pd.Series) -> list[Any] | None:
    """A numpy int/bool/float column as Python numbers with NaN → None; None for any other dtype.

    Shared by the JSON document and the workbook tabs, which convert ~20k-row columns whole.
    """
    dtype = series.dtype
    if not isinstance(dtype, np.dtype) or dtype.kind not in "iubf":
        return None
    if dtype.kind != "f":  # tolist gives Python ints / bools
        return series.tolist()
    array = series.to_numpy()
    out = array.astype(object)
    out[np.isnan(array)] = None
    return out.tolist()


def _column(series: pd.Series) -> list[Any]:
    """One column as :func:`plain` would give each value, vectorised for the common dtypes."""
    numbers = numeric_values(series)
    if numbers is not None:
        return numbers
    dtype = series.dtype
    if isinstance(dtype, np.dtype) and dtype.kind == "M":  # datetime64: ISO dates, NaT → None
        array = series.to_numpy()
        out = np.datetime_as_string(array, unit="D").astype(object)
        out[np.isnat(array)] = None
        return out.tolist()
    if isinstance(dtype, (pd.Int64Dtype, pd.BooleanDtype)):  # nullable ints / bools: Python values, NA → None
        return series.to_numpy(dtype=object, na_value=None).tolist()
    objects = series.to_numpy(dtype=object)
    missing = pd.isna(objects)  # None, NaN, NaT, pd.NA: what plain() turns into None
    kind = pd.api.types.infer_dtype(objects[~missing], skipna=False)
    if kind in ("string", "empty"):  # text columns: as they are
        out = objects.copy()
        out[missing] = None
        return out.tolist()
    if kind == "date":  # datetime.date objects (not datetimes): ISO dates
        return [None if gone else v.isoformat() for v, gone in zip(objects, missing)]
    return [None if gone else plain(v) for v, gone in zip(objects, missing)]


def to_document(result) -> dict[str, Any]:
    counts = result.counts
    return {
        "schema_version": "1.0",
        "kaxl_version": kaxl.__version__,
        "as_of": result.as_of.isoformat(),
        "files": list(result.ledger.files),
        "summary": {"errors": counts["error"], "warnings": counts["warning"], "infos": counts["info"],
                    "findings": len(result.findings), "alerts": len(result.alerts),
                    "projects": len(result.projects)},
        "findings": findings_json(result),
        "alerts": records(result.alerts),
        "projects": records(result.projects),
        "receivables": records(result.receivables),
        "kpis": plain(result.kpis),
        "kpis_by_manager": plain(result.kpis_by_manager),
    }


def findings_json(result) -> list[dict[str, Any]]:
    """The findings of SPEC §3; with a history store, each also carries ``first_seen`` (ISO date:
    the as-of of the first snapshot of its current unbroken run) and ``weeks_open`` (whole weeks
    since then), see kaxl.history.recording."""
    findings = [f.to_json() for f in result.findings]
    ages = getattr(getattr(result, "history", None), "finding_ages", None)
    if ages is not None and len(ages) == len(findings):
        for finding, first_seen, weeks in zip(findings, _column(ages["first_seen"]), _column(ages["weeks_open"])):
            finding["first_seen"] = first_seen
            finding["weeks_open"] = weeks
    return findings


def dumps(document: dict[str, Any]) -> str:
    """The document as text (see :func:`dumps_bytes`)."""
    return dumps_bytes(document).decode("utf-8")


def dumps_bytes(document: dict[str, Any]) -> bytes:
    """The document as UTF-8, indented by two spaces (one field per line: readable, diffable).

    orjson writes the 20,000-project document in a tenth of a second. Should it refuse a value
    (an integer beyond 64 bits somebody typed), the json module writes the same document.
    """
    try:
        return orjson.dumps(document, option=orjson.OPT_INDENT_2 | orjson.OPT_SERIALIZE_NUMPY)
    except (orjson.JSONEncodeError, TypeError):
        return json.dumps(document, ensure_ascii=False, indent=2, default=plain).encode("utf-8")
