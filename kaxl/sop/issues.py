"""Issue and complaint facts shared by the ISS rules, ``open_issues`` and ``complaint_on_time_rate``
(SPEC §7; seeds 003 §六(四), 004 §四).

An issue is **open** unless its status says 已解决 resolved — or, with no status typed, it has a
resolved_date: an explicit 开放 open stays open whatever dates it carries. Its age is calendar
days since raised_date. A complaint's reply is due ``complaint_reply_days`` and its resolution
``complaint_resolve_days`` working days after raised_date (调休 calendar; NaT in a year no
calendar knows, which CAL-001 reports).
"""

from __future__ import annotations

import pandas as pd

from kaxl.sop.nodes import projects_indexed


def issues(ctx) -> pd.DataFrame:
    """Issues of known projects (cached per run) with ``_index``, ``_open``, ``_age`` (calendar
    days at as-of), ``_owner`` (the issue's 责任人, else the AM), ``_am``, and for complaints
    ``_reply_due`` / ``_resolve_due``."""
    return ctx.shared("aftersale:issues", _issues)


def _issues(ctx) -> pd.DataFrame:
    frame = ctx.ledger.frames["issues"]
    projects = projects_indexed(ctx)
    out = frame[frame["project_id"].isin(projects.index)].copy(deep=False)
    out["_index"] = out.index
    out["_am"] = out["project_id"].map(projects["account_manager"])
    out["_owner"] = out["owner"].where(out["owner"].notna(), out["_am"])
    resolved = out["status"].eq("resolved") | (out["status"].isna() & out["resolved_date"].notna())
    out["_open"] = ~resolved.fillna(False).astype(bool)
    as_of = pd.Timestamp(ctx.as_of)
    out["_age"] = (as_of - out["raised_date"]).dt.days
    complaint = out["kind"].eq("complaint") & out["raised_date"].notna()
    out["_complaint"] = complaint.fillna(False).astype(bool)
    reply = pd.Series(pd.NaT, index=out.index, dtype="datetime64[ns]")
    resolve = pd.Series(pd.NaT, index=out.index, dtype="datetime64[ns]")
    if out["_complaint"].any():
        raised = out.loc[out["_complaint"], "raised_date"]
        reply[out["_complaint"]] = ctx.calendar.shift_series(raised, int(ctx.settings.complaint_reply_days))
        resolve[out["_complaint"]] = ctx.calendar.shift_series(raised, int(ctx.settings.complaint_resolve_days))
    out["_reply_due"] = reply
    out["_resolve_due"] = resolve
    return out


def open_counts(ctx) -> pd.Series:
    """Open issues and complaints per project id."""
    rows = issues(ctx)
    return rows[rows["_open"]].groupby("project_id").size()
