"""Visit facts shared by the VIS rules, the per-project values, the KPI, the digest and the summary
(SPEC §7): one table per run, so the rule, the KPI and the summary's cadence column can never
disagree about who was met when.

The monthly face-to-face rule (seed 003 §七: 大客户销售经理每月至少与大客户进行一次面对面沟通)
watches an **active** project whose customer is grade A — the project's typed tier, else its
computed grade — or a 战略合作伙伴 strategic relationship. It is met when the *customer* had an
in-person visit in the ``visit_cadence_days`` up to as-of (a visit on any of that customer's
projects: the customer saw us). A project is only watched when its own ledger file keeps visits
(a 拜访记录 sheet with at least one row): in a portfolio where one region does not track visits,
its projects are not judged by a sheet it does not have.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kaxl.sop.nodes import project_rows, projects_indexed

CADENCE_COLUMNS = ["project_id", "customer", "account_manager", "watched", "met", "last_in_person", "due_date",
                   "next_in_person", "_pindex"]


def customer_key(names: pd.Series) -> pd.Series:
    """The customer as compared across projects: trimmed, spaces dropped, case-folded."""
    text = names.astype(object).where(names.notna(), None)
    # once per distinct name (a customer has many projects, a project many visits), then spread
    codes, distinct = pd.factorize(text.to_numpy(dtype=object))  # blank → -1
    keys = pd.Series(distinct, dtype=object).str.replace(r"\s+", "", regex=True).str.casefold()
    spread = np.append(keys.to_numpy(dtype=object), None)[codes]  # code -1 → the None at the end
    return pd.Series(spread, index=names.index, dtype=object, name=names.name)


def lookup(keys: pd.Series, dates: pd.Series) -> pd.Series:
    """``keys.map(dates)`` for a datetime ``dates``, as datetime64 indexed like ``keys`` (reindex,
    not map: pandas cannot map through an empty datetime Series)."""
    found = dates.reindex(keys.to_numpy()).to_numpy() if len(dates) else np.full(len(keys), np.datetime64("NaT", "ns"))
    return pd.Series(pd.to_datetime(found), index=keys.index).astype("datetime64[ns]")


def visits(ctx) -> pd.DataFrame:
    """The visits of known projects with ``_index`` (their row label) and the project's customer
    key, status and AM (cached per run)."""
    return ctx.shared("field:visits", _visits)


def _visits(ctx) -> pd.DataFrame:
    frame = ctx.ledger.frames["visits"]
    projects = projects_indexed(ctx)
    # one hash lookup of the visits' project ids, then every project column taken by position
    at = projects.index.get_indexer(frame["project_id"])
    known = at >= 0
    out = frame[known].copy()
    out["_index"] = out.index
    at = at[known]

    def take(column: str) -> pd.Series:  # dtype inferred from the values, as Series.map does
        return pd.Series(projects[column].to_numpy(dtype=object)[at], index=out.index)

    out["_customer"] = customer_key(take("customer"))
    out["_status"] = take("status")
    out["_am"] = take("account_manager")
    return out


def tracking_files(ctx) -> set[str]:
    """The ledger files whose 拜访记录 sheet has at least one row."""
    frame = ctx.ledger.frames["visits"]
    sources = ctx.ledger.sources["visits"]
    return {sources[int(src)].file for src in pd.unique(frame["_src"])} if len(frame) else set()


def grade(ctx) -> pd.Series:
    """The grade the company works with, per project id: the typed tier, else the computed one."""
    from kaxl.sop.scoring import qualification

    projects = projects_indexed(ctx)
    computed = qualification(ctx).set_index("project_id")["grade"]
    return projects["tier"].where(projects["tier"].notna(), computed.reindex(projects.index))


def cadence(ctx) -> pd.DataFrame:
    """One row per project: is it watched by VIS-003, was its customer met in person in the
    window, the customer's last in-person visit (≤ as-of), when the next one is due, the next
    planned one (cached per run; columns :data:`CADENCE_COLUMNS`)."""
    return ctx.shared("field:cadence", _cadence)


def _cadence(ctx) -> pd.DataFrame:
    projects = project_rows(ctx)
    as_of = pd.Timestamp(ctx.as_of)
    days = int(ctx.settings.visit_cadence_days)
    files = tracking_files(ctx)
    sources = ctx.ledger.sources["projects"]
    tracked_src = [i for i, source in enumerate(sources) if source.file in files]
    tracked = projects["_src"].isin(tracked_src)
    graded = projects["project_id"].map(grade(ctx)).eq("A").fillna(False).astype(bool)
    strategic = projects["relationship"].eq("strategic").fillna(False).astype(bool)
    watched = projects["status"].eq("active").fillna(False).astype(bool) & (graded | strategic) & tracked

    seen = visits(ctx)
    in_person = seen.loc[seen["kind"].eq("in_person") & seen["visit_date"].notna() & seen["_customer"].notna(),
                         ["_customer", "visit_date"]]  # only what the cadence reads
    past = in_person[in_person["visit_date"] <= as_of]
    ahead = in_person[in_person["visit_date"] > as_of]
    last = past.groupby("_customer")["visit_date"].max()
    upcoming = ahead.groupby("_customer")["visit_date"].min()
    key = customer_key(projects["customer"])
    last_seen = lookup(key, last)
    next_seen = lookup(key, upcoming)
    met = last_seen.notna() & (last_seen >= as_of - pd.Timedelta(days=days))
    return pd.DataFrame({
        "project_id": projects["project_id"].to_numpy(dtype=object),
        "customer": projects["customer"].to_numpy(dtype=object),
        "account_manager": projects["account_manager"].to_numpy(dtype=object),
        "watched": watched.to_numpy(dtype=bool),
        "met": met.to_numpy(dtype=bool),
        "last_in_person": last_seen.to_numpy(),
        "due_date": (last_seen + pd.Timedelta(days=days)).to_numpy(),
        "next_in_person": next_seen.to_numpy(),
        "_pindex": projects["_pindex"].to_numpy(),
    }, columns=CADENCE_COLUMNS)


def per_project(ctx) -> pd.DataFrame:
    """Per project id: last visit (any kind, ≤ as-of), last in-person visit and the number of
    visits in the ``visit_cadence_days`` up to as-of."""
    seen = visits(ctx)
    as_of = pd.Timestamp(ctx.as_of)
    window = as_of - pd.Timedelta(days=int(ctx.settings.visit_cadence_days))
    past = seen.loc[seen["visit_date"].notna() & (seen["visit_date"] <= as_of), ["project_id", "visit_date", "kind"]]
    by_project = past.groupby("project_id")
    in_person = past[past["kind"].eq("in_person")].groupby("project_id")["visit_date"].max()
    recent = past[past["visit_date"] >= window].groupby("project_id").size()
    out = pd.DataFrame({"last_visit": by_project["visit_date"].max()})
    out["last_in_person_visit"] = in_person.reindex(out.index)
    out["visits_recent"] = recent.reindex(out.index).fillna(0).astype(np.int64)
    return out
