"""The JSON document of SPEC §5: dates as ISO strings, money as numbers in yuan, no NaN."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import numpy as np
import pandas as pd

import kaxl


def plain(value: Any) -> Any:
    """A JSON-safe scalar: NaN/NaT/NA → None, Timestamps → ISO dates, numpy → Python."""
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
    if frame is None or frame.empty:
        return []
    columns = [c for c in frame.columns if not str(c).startswith("_")]
    return [{c: plain(v) for c, v in zip(columns, row)} for row in frame[columns].itertuples(index=False, name=None)]


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
        "findings": [f.to_json() for f in result.findings],
        "alerts": records(result.alerts),
        "projects": records(result.projects),
        "receivables": records(result.receivables),
        "kpis": plain(result.kpis),
        "kpis_by_manager": plain(result.kpis_by_manager),
    }
