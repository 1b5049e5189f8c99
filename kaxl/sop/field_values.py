"""Per-project field values (SPEC §7): ``last_visit``, ``visits_recent`` (visits in the
``visit_cadence_days`` up to as-of), ``last_in_person_visit``, ``cadence_met`` (only for the
projects VIS-003 watches), ``lead_source`` and ``admission_date``.

A value whose sheet the workbook does not have is blank (None), never 0: "no visit this month"
and "visits not tracked here" are different answers. The visit facts come from
:mod:`kaxl.sop.visits`, the very table VIS-003 and the KPI read, so they cannot disagree.
"""

from __future__ import annotations

import pandas as pd

COLUMNS = ["last_visit", "visits_recent", "last_in_person_visit", "cadence_met", "lead_source", "admission_date"]
# Their headers in the annotated copy's and the Validate button's 评分 Scores tab.
LABELS = {"last_visit": "最近拜访 Last visit", "visits_recent": "近期拜访 Recent visits",
          "last_in_person_visit": "最近面谈 Last in-person", "cadence_met": "面谈达标 Cadence met",
          "lead_source": "线索来源 Lead source", "admission_date": "KA准入 Admission date"}


def values(ctx, project_ids: pd.Series) -> pd.DataFrame:
    """One row per project id, indexed by project_id (see the module doc)."""
    index = pd.Index(project_ids.to_numpy(dtype=object), name="project_id")
    out = pd.DataFrame(index=index)
    present = ctx.ledger.present
    if present.get("visits"):
        from kaxl.sop.visits import cadence, per_project

        seen = per_project(ctx)
        out["last_visit"] = _dates(seen["last_visit"], index)
        out["visits_recent"] = seen["visits_recent"].reindex(index).fillna(0).astype("Int64").to_numpy()
        out["visits_recent"] = out["visits_recent"].astype("Int64")
        out["last_in_person_visit"] = _dates(seen["last_in_person_visit"], index)
        table = cadence(ctx).drop_duplicates("project_id").set_index("project_id")
        met = table["met"].where(table["watched"]).reindex(index)
        out["cadence_met"] = pd.array(met.to_numpy(dtype=object), dtype="boolean")
    else:
        out["last_visit"] = out["visits_recent"] = out["last_in_person_visit"] = out["cadence_met"] = None
    if present.get("leads"):
        first = _leads(ctx)
        out["lead_source"] = first["source"].reindex(index).to_numpy(dtype=object)
        out["admission_date"] = _dates(first["admission_date"], index)
    else:
        out["lead_source"] = out["admission_date"] = None
    return out[COLUMNS]


def _dates(series: pd.Series, index: pd.Index) -> pd.Series:
    dates = pd.to_datetime(series).astype("datetime64[ns]")
    found = dates.reindex(index).to_numpy() if len(dates) else pd.Series(pd.NaT, index=index).to_numpy()
    return pd.Series(pd.to_datetime(found), index=index).astype("datetime64[ns]")


def _leads(ctx) -> pd.DataFrame:
    """Per project id: the source of the lead it came from (a converted lead first, then the
    earliest registered) and the earliest KA admission approval among its leads."""
    leads = ctx.ledger.frames["leads"]
    linked = leads[leads["project_id"].notna()].copy()
    linked["_converted"] = linked["result"].eq("converted")
    ordered = linked.sort_values(["_converted", "registered_date"], ascending=[False, True], kind="stable")
    source = ordered.drop_duplicates("project_id").set_index("project_id")["source"]
    approved = linked[linked["admission_approved"].notna()].groupby("project_id")["admission_approved"].min()
    return pd.DataFrame({"source": source, "admission_date": approved.reindex(source.index)})
