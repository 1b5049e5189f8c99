"""After-sale KPIs (SPEC §7), portfolio and per account manager, as :class:`RatioKpi` rows.

- ``delivery_on_time_rate`` = milestones done on or before planned_date / milestones whose
  planned_date ≤ as-of;
- ``csat_avg`` = mean of customers' latest csat (the latest assessment that has one), points;
- ``health_ok_rate`` = assessed customers whose latest health ≥ ``health_threshold`` / assessed
  customers;
- ``complaint_on_time_rate`` = complaints resolved within ``complaint_resolve_days`` working days /
  complaints whose deadline has passed (before as-of);
- ``renewal_rate`` = contracts whose end_date fell in the 365 days up to as-of and whose customer
  signed another contract dated from end_date − ``renewal_days`` on / those contracts.

A customer counts once for each AM with a project of that customer (portfolio: once). A sheet the
workbook does not keep gives no rows: no value, grey status — never 0 % (kaxl.sop.kpis._ratio).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kaxl.sop.kpis import RatioKpi

RENEWAL_WINDOW_DAYS = 365
ROW_COLUMNS = ["key", "account_manager", "numerator", "denominator"]


def _rows(key, manager, numerator, denominator) -> pd.DataFrame:
    return pd.DataFrame({"key": np.asarray(key, dtype=object), "account_manager": np.asarray(manager, dtype=object),
                         "numerator": np.asarray(numerator, dtype=float),
                         "denominator": np.asarray(denominator, dtype=float)}, columns=ROW_COLUMNS)


EMPTY = _rows([], [], [], [])


def kpis(ctx, projects: pd.DataFrame) -> list[RatioKpi]:
    settings = ctx.settings
    customers = _customer_rows(ctx)
    return [
        RatioKpi("delivery_on_time_rate", "交付里程碑按时率", "Delivery milestones on time", "ratio",
                 float(settings.target_delivery_on_time), _delivery(ctx)),
        RatioKpi("csat_avg", "客户满意度均值", "Average customer satisfaction", "points",
                 float(settings.target_csat), _csat(customers)),
        RatioKpi("health_ok_rate", "健康度达标客户占比", "Customers at healthy level", "ratio",
                 float(settings.target_health_ok), _health_ok(ctx, customers)),
        RatioKpi("complaint_on_time_rate", "投诉按时解决率", "Complaints resolved on time", "ratio",
                 float(settings.target_complaint_on_time), _complaints(ctx)),
        RatioKpi("renewal_rate", "到期合同续签率", "Ended contracts renewed", "ratio",
                 float(settings.target_renewal), _renewals(ctx)),
    ]


def _delivery(ctx) -> pd.DataFrame:
    if not ctx.ledger.present.get("delivery"):
        return EMPTY
    from kaxl.sop.delivery import milestones

    rows = milestones(ctx)
    due = rows[rows["planned_date"].notna() & (rows["planned_date"] <= pd.Timestamp(ctx.as_of))]
    on_time = due["actual_date"].notna() & (due["actual_date"] <= due["planned_date"])
    return _rows(due["_index"], due["_am"], on_time, 1.0)


def _customer_rows(ctx) -> pd.DataFrame:
    """Latest assessment per customer, once per (customer, AM with a project of that customer)."""
    if not ctx.ledger.present.get("health"):
        return pd.DataFrame()
    from kaxl.sop.health import customer_projects, customers

    table = customers(ctx)
    if table.empty:
        return pd.DataFrame()
    managers = customer_projects(ctx)[["_customer", "account_manager"]].dropna().drop_duplicates()
    joined = table.reset_index(drop=True).merge(managers, on="_customer", how="left")
    return joined


def _csat(customers: pd.DataFrame) -> pd.DataFrame:
    if customers.empty:
        return EMPTY
    rated = customers[customers["csat"].notna()]
    return _rows(rated["_customer"], rated["account_manager"], rated["csat"], 1.0)


def _health_ok(ctx, customers: pd.DataFrame) -> pd.DataFrame:
    if customers.empty:
        return EMPTY
    scored = customers[customers["health"].notna()]
    ok = scored["health"].astype(float) >= float(ctx.settings.health_threshold)
    return _rows(scored["_customer"], scored["account_manager"], ok, 1.0)


def _complaints(ctx) -> pd.DataFrame:
    if not ctx.ledger.present.get("issues"):
        return EMPTY
    from kaxl.sop.issues import issues

    rows = issues(ctx)
    due = rows[rows["_complaint"] & rows["_resolve_due"].notna() & (rows["_resolve_due"] < pd.Timestamp(ctx.as_of))]
    on_time = due["resolved_date"].notna() & (due["resolved_date"] <= due["_resolve_due"])
    return _rows(due["_index"], due["_am"], on_time, 1.0)


def _renewals(ctx) -> pd.DataFrame:
    from kaxl.sop.health import customer_projects

    as_of = pd.Timestamp(ctx.as_of)
    contracts = ctx.ledger.frames["contracts"]
    contracts = contracts[contracts["contract_id"].notna()].drop_duplicates("contract_id")
    projects = customer_projects(ctx).set_index("project_id")
    table = pd.DataFrame({"contract_id": contracts["contract_id"].to_numpy(dtype=object),
                          "_customer": contracts["project_id"].map(projects["_customer"]).to_numpy(dtype=object),
                          "account_manager": contracts["project_id"].map(projects["account_manager"]).to_numpy(dtype=object),
                          "signed_date": pd.to_datetime(contracts["signed_date"]).to_numpy(),
                          "end_date": pd.to_datetime(contracts["end_date"]).to_numpy()})
    ended = table[table["end_date"].notna() & table["_customer"].notna()
                  & (table["end_date"] <= as_of) & (table["end_date"] >= as_of - pd.Timedelta(days=RENEWAL_WINDOW_DAYS))]
    if ended.empty:
        return EMPTY
    others = table[table["signed_date"].notna() & table["_customer"].notna()][["contract_id", "_customer", "signed_date"]]
    pairs = ended[["contract_id", "_customer", "end_date"]].merge(others, on="_customer", suffixes=("", "_new"))
    lead = pd.Timedelta(days=int(ctx.settings.renewal_days))
    renewed_ids = set(pairs.loc[(pairs["contract_id_new"] != pairs["contract_id"])
                                & (pairs["signed_date"] >= pairs["end_date"] - lead), "contract_id"])
    return _rows(ended["contract_id"], ended["account_manager"], ended["contract_id"].isin(renewed_ids), 1.0)
