"""Field KPI (SPEC §7), portfolio and per account manager: ``visit_cadence_rate`` = the share
of the projects VIS-003 watches (active, grade A or 战略合作伙伴, in a file that keeps visits)
that had an in-person visit in the ``visit_cadence_days`` up to as-of — the same table the rule
reads (:func:`kaxl.sop.visits.cadence`). Nothing watched: no value, grey status, never 0 %.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kaxl.sop.kpis import RatioKpi

ROW_COLUMNS = ["key", "account_manager", "numerator", "denominator"]


def kpis(ctx, projects: pd.DataFrame) -> list[RatioKpi]:
    return [RatioKpi("visit_cadence_rate", "重点客户按期面谈率", "Key customers met in person on cadence", "ratio",
                     float(ctx.settings.target_visit_cadence), _cadence(ctx))]


def _cadence(ctx) -> pd.DataFrame:
    if not ctx.ledger.keeps("visits"):
        return pd.DataFrame({c: pd.Series(dtype=float if c in ("numerator", "denominator") else object)
                             for c in ROW_COLUMNS})
    from kaxl.sop.visits import cadence

    table = cadence(ctx)
    watched = table[table["watched"]]
    return pd.DataFrame({"key": watched["project_id"].to_numpy(dtype=object),
                         "account_manager": watched["account_manager"].to_numpy(dtype=object),
                         "numerator": watched["met"].to_numpy(dtype=float),
                         "denominator": np.ones(len(watched))}, columns=ROW_COLUMNS)
