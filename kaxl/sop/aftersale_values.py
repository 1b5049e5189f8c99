"""Per-project after-sale values (SPEC §7): ``customer_health``, ``health_trend``,
``open_issues``, ``delivery_next`` and ``delivery_next_date``.

A value whose sheet the workbook does not keep is blank (None), never 0: "no open issues" and
"issues not tracked here" are different answers. A project gets its customer's health (the
latest assessment of that customer, whichever project it was assessed for) and trend.
"""

from __future__ import annotations

import pandas as pd

COLUMNS = ["customer_health", "health_trend", "open_issues", "delivery_next", "delivery_next_date"]
# Their headers in the annotated copy's and the Validate button's 评分 Scores tab.
LABELS = {"customer_health": "客户健康度 Health", "health_trend": "健康度变化 Health trend",
          "open_issues": "未结问题 Open issues", "delivery_next": "下一里程碑 Next milestone",
          "delivery_next_date": "里程碑计划日 Milestone due"}


def values(ctx, project_ids: pd.Series) -> pd.DataFrame:
    """One row per project id, indexed by project_id (see the module doc)."""
    index = pd.Index(project_ids.to_numpy(dtype=object), name="project_id")
    out = pd.DataFrame(index=index)
    present = ctx.ledger.present
    if present.get("health"):
        from kaxl.sop.health import customer_projects, customers

        keys = customer_projects(ctx).set_index("project_id")["_customer"].reindex(index)
        table = customers(ctx)
        out["customer_health"] = table["health"].astype("Int64").reindex(keys.to_numpy()).to_numpy()
        out["health_trend"] = table["trend"].astype("Int64").reindex(keys.to_numpy()).to_numpy()
        out["customer_health"] = out["customer_health"].astype("Int64")
        out["health_trend"] = out["health_trend"].astype("Int64")
    else:
        out["customer_health"] = None
        out["health_trend"] = None
    if present.get("issues"):
        from kaxl.sop.issues import open_counts

        out["open_issues"] = open_counts(ctx).reindex(index).fillna(0).astype("Int64").to_numpy()
        out["open_issues"] = out["open_issues"].astype("Int64")
    else:
        out["open_issues"] = None
    if present.get("delivery"):
        from kaxl.sop.delivery import next_milestones

        nxt = next_milestones(ctx)
        out["delivery_next"] = nxt["delivery_next"].reindex(index).to_numpy(dtype=object)
        dates = nxt["delivery_next_date"]
        out["delivery_next_date"] = pd.to_datetime(dates.reindex(index).to_numpy() if len(dates) else
                                                   pd.Series(pd.NaT, index=index)).astype("datetime64[ns]")
    else:
        out["delivery_next"] = None
        out["delivery_next_date"] = None
    return out[COLUMNS]
