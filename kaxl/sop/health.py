"""The customer health model (SPEC §7; seed 001 §(五)): computed, never typed.

health = round(w_usage × usage + w_value × value + w_rel × relationship), weights from the
setting ``health_weights`` (default 0.4, 0.3, 0.3; a setting that does not sum to 1 or has a
negative part is refused by :mod:`kaxl.contract.settings` with SET-001 and the default is used —
never renormalised). Rounding is half up (79.5 → 80), as Excel's ROUND does, not Python's
banker's rounding: a customer exactly on the threshold must not fall below it by an accident of
arithmetic.

A blank relationship is computed: 100 × the share of the customer's key persons — every KP
(is_kp, or a decision_maker / economic_buyer) on the stakeholder maps of all its projects, one
person per name — contacted within ``stakeholder_contact_days`` up to the assessment date, a
contact being last_contact or any visit naming the person (:func:`kaxl.sop.contact.visit_credits`).
No key persons: 0. A customer's health is its latest assessment's; the trend is the difference
from the one before.

The frame functions (:func:`health_score`, :func:`relationship_scores`, :func:`customer_table`)
are pure; the ``ctx`` wrappers cache them per run for the rules, values, KPIs and summary.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kaxl.sop.nodes import project_rows
from kaxl.sop.visits import customer_key

KP_ROLES = ("decision_maker", "economic_buyer")
CUSTOMER_COLUMNS = ["customer", "_customer", "_index", "assessed_date", "usage", "value", "relationship",
                    "relationship_computed", "health", "previous_health", "trend", "csat", "retention_plan_date",
                    "retention_owner", "assessments"]


def health_score(usage: pd.Series, value: pd.Series, relationship: pd.Series,
                 weights: tuple[float, float, float]) -> pd.Series:
    """Whole-number health, rounded half up; NA where a part is missing."""
    w_usage, w_value, w_rel = weights
    raw = (w_usage * pd.to_numeric(usage, errors="coerce") + w_value * pd.to_numeric(value, errors="coerce")
           + w_rel * pd.to_numeric(relationship, errors="coerce")).astype(float)
    # 1e-9: 0.4 × 75 is 30.000000000000004 in binary; 79.49999999 must not become 79 by error either
    return pd.Series(np.floor(raw.to_numpy() + 0.5 + 1e-9), index=raw.index).astype("Int64")


def relationship_scores(assessments: pd.DataFrame, key_persons: pd.DataFrame, contacts: pd.DataFrame,
                        days: int) -> pd.Series:
    """100 × share of each assessment's customer's key persons contacted in the ``days`` up to its
    assessed_date (inclusive both ends).

    assessments: ``_customer``, ``assessed_date`` (index = the assessment's row label) ·
    key_persons: ``_customer``, ``_person`` (one row per person) · contacts: ``_customer``,
    ``_person``, ``date`` (every known contact). Returns a float Series indexed like assessments.
    """
    out = pd.Series(0.0, index=assessments.index)
    if assessments.empty or key_persons.empty:
        return out
    totals = key_persons.groupby("_customer")["_person"].nunique()
    wanted = assessments[["_customer", "assessed_date"]].assign(_aid=assessments.index)
    hits = wanted.merge(contacts, on="_customer", how="inner")
    if not hits.empty:
        window = (hits["date"] <= hits["assessed_date"]) & (hits["date"] >= hits["assessed_date"] - pd.Timedelta(days=days))
        met = hits[window].groupby("_aid")["_person"].nunique()
    else:
        met = pd.Series(dtype=float)
    total = wanted["_customer"].map(totals).fillna(0).to_numpy(dtype=float)
    seen = met.reindex(wanted["_aid"]).fillna(0).to_numpy(dtype=float)
    share = np.divide(seen, total, out=np.zeros_like(seen), where=total > 0)
    return pd.Series(100.0 * share, index=assessments.index)


def customer_table(assessments: pd.DataFrame) -> pd.DataFrame:
    """One row per customer key from scored assessments: the latest (by assessed_date, then row)
    with the previous health and the trend; csat is the latest assessment's that has one; the
    retention plan is the latest plan date typed on any of its rows."""
    if assessments.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in CUSTOMER_COLUMNS}).set_index("_customer", drop=False)
    ordered = assessments.sort_values(["_customer", "assessed_date", "_index"], kind="stable")
    grouped = ordered.groupby("_customer", sort=False)
    latest = grouped.tail(1).set_index("_customer", drop=False)
    previous = grouped.nth(-2).set_index("_customer")["health"] if len(ordered) > len(latest) else pd.Series(dtype="Int64")
    out = latest[["customer", "_customer", "_index", "assessed_date", "usage", "value", "relationship",
                  "relationship_computed", "health", "retention_owner"]].copy()
    out["previous_health"] = previous.reindex(out.index).astype("Int64")
    out["trend"] = (out["health"].astype("Int64") - out["previous_health"]).astype("Int64")
    with_csat = ordered[ordered["csat"].notna()]
    out["csat"] = with_csat.groupby("_customer")["csat"].last().reindex(out.index).astype(float)
    out["retention_plan_date"] = ordered.groupby("_customer")["retention_plan_date"].max().reindex(out.index)
    out["assessments"] = grouped.size().reindex(out.index).astype(int)
    return out[CUSTOMER_COLUMNS]


# ------------------------------------------------------------------------------ per run (ctx)


def customer_projects(ctx) -> pd.DataFrame:
    """Projects with their customer key (``_customer``), cached per run."""
    def build(ctx) -> pd.DataFrame:
        projects = project_rows(ctx).copy()
        projects["_customer"] = customer_key(projects["customer"])
        return projects

    return ctx.shared("aftersale:customer_projects", build)


def key_persons(ctx) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(key persons, contacts) of every customer: persons by (customer, case-folded name); contacts
    are their last_contact dates and every visit that credits them, up to as-of."""
    def build(ctx) -> tuple[pd.DataFrame, pd.DataFrame]:
        from kaxl.sop.contact import visit_credits

        stakeholders = ctx.ledger.frames["stakeholders"]
        projects = customer_projects(ctx).set_index("project_id")
        kp = stakeholders["is_kp"].fillna(False).astype(bool) | stakeholders["role"].isin(KP_ROLES)
        people = stakeholders[kp & stakeholders["name"].notna() & stakeholders["project_id"].isin(projects.index)]
        # names normalised once per distinct name; persons and contacts de-duplicated on integer
        # codes of (customer, person[, date]) rather than on the strings
        name_codes, names = pd.factorize(people["name"].astype(str))
        keys = pd.Series(names).str.replace(r"\s+", "", regex=True).str.casefold()
        person_code = pd.factorize(keys)[0][name_codes] if len(keys) else np.zeros(0, dtype=np.int64)
        persons = pd.DataFrame({"_customer": people["project_id"].map(projects["_customer"]),
                                "_person": pd.Series(keys.to_numpy()[name_codes], index=people.index,
                                                     dtype=keys.dtype)},
                               index=people.index)
        named = persons["_customer"].notna().to_numpy(dtype=bool)
        persons, person_code = persons[named], person_code[named]
        customer_code = pd.factorize(persons["_customer"])[0]
        as_of = pd.Timestamp(ctx.as_of)
        typed = pd.to_datetime(stakeholders.loc[persons.index, "last_contact"]).astype("datetime64[ns]")
        credits = visit_credits(ctx)
        credits = credits[credits["_sindex"].isin(persons.index)]
        dates = pd.concat([
            pd.DataFrame({"_sindex": persons.index.to_numpy(), "date": typed.to_numpy()}),
            credits.rename(columns={"visit_date": "date"})], ignore_index=True)
        dates = dates[dates["date"].notna() & (dates["date"] <= as_of)]
        contacts = persons.reindex(dates["_sindex"].to_numpy()).reset_index(drop=True)
        contacts["date"] = dates["date"].to_numpy()
        at = persons.index.get_indexer(dates["_sindex"].to_numpy())  # every contact is a person's
        first_person = ~pd.DataFrame({"c": customer_code, "p": person_code}).duplicated().to_numpy()
        first_contact = ~pd.DataFrame({"c": customer_code[at], "p": person_code[at],
                                       "d": dates["date"].to_numpy().view("i8")}).duplicated().to_numpy()
        return persons[first_person], contacts[first_contact]

    return ctx.shared("aftersale:key_persons", build)


def assessments(ctx) -> pd.DataFrame:
    """The assessments of known customers, scored: ``_index``, ``_customer``, the relationship
    used (typed, else computed; ``relationship_computed``) and ``health`` (cached per run)."""
    return ctx.shared("aftersale:assessments", _assessments)


def _assessments(ctx) -> pd.DataFrame:
    frame = ctx.ledger.frames["health"]
    known = set(customer_projects(ctx)["_customer"].dropna())
    out = frame.copy()
    out["_index"] = out.index
    out["_customer"] = customer_key(out["customer"])
    out = out[out["_customer"].isin(known) & out["assessed_date"].notna()]
    typed = pd.to_numeric(out["relationship"], errors="coerce").astype(float)
    blank = typed.isna()
    out["relationship_computed"] = blank.to_numpy(dtype=bool)
    if blank.any():
        persons, contacts = key_persons(ctx)
        computed = relationship_scores(out[blank], persons, contacts, int(ctx.settings.stakeholder_contact_days))
        typed = typed.copy()
        typed[blank] = computed.round(1)
    out["relationship"] = typed
    out["health"] = health_score(out["usage"], out["value"], out["relationship"], tuple(ctx.settings.health_weights))
    return out


def customers(ctx) -> pd.DataFrame:
    """One row per assessed customer (:func:`customer_table` of :func:`assessments`), cached."""
    return ctx.shared("aftersale:customers", lambda c: customer_table(assessments(c)))


def project_customer(ctx) -> pd.DataFrame:
    """Per customer key, the project its findings are filed under and who owns them: the
    customer's project with a 客户成功 named, else any, preferring live ones (active / won) and
    then the latest lead (cached per run). Columns: project_id, _pindex, csm, account_manager."""
    def build(ctx) -> pd.DataFrame:
        projects = customer_projects(ctx)
        projects = projects[projects["_customer"].notna()].copy()
        csm = projects["csm"] if "csm" in projects else pd.Series(None, index=projects.index, dtype=object)
        projects["_has_cs"] = csm.notna()
        projects["_live"] = projects["status"].isin(("active", "won"))
        ordered = projects.sort_values(["_has_cs", "_live", "lead_date", "_pindex"], ascending=[False, False, False, True],
                                       kind="stable", na_position="last")
        first = ordered.drop_duplicates("_customer").set_index("_customer")
        out = pd.DataFrame({"project_id": first["project_id"], "_pindex": first["_pindex"],
                            "account_manager": first["account_manager"]})
        out["csm"] = csm.reindex(first["_pindex"]).to_numpy(dtype=object) if len(first) else []
        return out

    return ctx.shared("aftersale:project_customer", build)
