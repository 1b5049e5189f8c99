"""Delivery facts shared by the DEL rules, the per-project values and the KPI (SPEC §7).

One table per run: every milestone of a known contract, with its contract's project, signing
and end dates, and the delivery manager who owns it — the milestone's own 交付经理 cell, else
the project's delivery_manager, else its account manager (SPEC §7: a blank owner is the AM's).
The rule, the ``delivery_next`` value and ``delivery_on_time_rate`` read the same rows, so they
can never disagree about which milestone is open or late.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kaxl.sop.nodes import projects_indexed
from kaxl.sop.visits import lookup

MILESTONE_ZH = {"requirements": "需求确认", "build": "开发", "test": "测试", "training": "培训",
                "go_live": "上线", "acceptance": "验收"}


def milestone_label(key: object) -> str:
    """How a milestone is named to people: "上线 go_live"; free text as typed."""
    text = "" if key is None or (isinstance(key, float) and np.isnan(key)) else str(key)
    return f"{MILESTONE_ZH[text]} {text}" if text in MILESTONE_ZH else text


def milestones(ctx) -> pd.DataFrame:
    """The milestones of known contracts (cached per run): the delivery columns plus ``_index``
    (row label), ``project_id``, ``signed_date``, ``end_date``, ``_owner`` and ``_done``."""
    return ctx.shared("aftersale:milestones", _milestones)


def _milestones(ctx) -> pd.DataFrame:
    frame = ctx.ledger.frames["delivery"]
    contracts = ctx.ledger.frames["contracts"]
    contracts = contracts[contracts["contract_id"].notna()].drop_duplicates("contract_id").set_index("contract_id")
    out = frame[frame["contract_id"].isin(contracts.index)].copy()
    out["_index"] = out.index
    ids = out["contract_id"]
    out["project_id"] = ids.map(contracts["project_id"])
    out["signed_date"] = lookup(ids, contracts["signed_date"])
    out["end_date"] = lookup(ids, contracts["end_date"])
    projects = projects_indexed(ctx)
    manager = out["project_id"].map(projects["delivery_manager"]) if "delivery_manager" in projects else None
    am = out["project_id"].map(projects["account_manager"])
    fallback = manager.where(manager.notna(), am) if manager is not None else am
    out["_owner"] = out["owner"].where(out["owner"].notna(), fallback)
    out["_am"] = am
    out["_done"] = out["actual_date"].notna()
    return out


def next_milestones(ctx) -> pd.DataFrame:
    """Per project id: the first milestone not done (by planned date, then row) and its date."""
    rows = milestones(ctx)
    open_ = rows[~rows["_done"] & rows["planned_date"].notna() & rows["project_id"].notna()]
    first = open_.sort_values(["planned_date", "_index"], kind="stable").drop_duplicates("project_id")
    return pd.DataFrame({"delivery_next": first["milestone"].map(milestone_label).to_numpy(dtype=object),
                         "delivery_next_date": first["planned_date"].to_numpy()},
                        index=pd.Index(first["project_id"].to_numpy(dtype=object), name="project_id"))
