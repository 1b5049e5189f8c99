"""A realistic, deterministic sample ledger of any size (demo, tests, benchmark).

Each project lives a planned SOP life — lead, initiation form, review, research, briefing,
price approval, sealing, bid, contract, installments — with gaps drawn inside the SOP's
deadlines (counted on the same working-day calendar kaxl uses). The as-of date cuts that life:
what was planned after it has not happened yet, which gives every stage and status their
natural share (old leads are won or lost, recent ones are still in the pipeline).
:mod:`kaxl.samples.mistakes` then breaks a few projects on purpose, one mistake of every
kind, and :func:`as_typed` writes the values the way people type them (120万, 2026年3月5日, √…).

Same (projects, seed, as_of, clean) → same rows → byte-identical workbook: every random draw
comes from one seeded ``random.Random`` in a fixed order, nothing reads the clock, and the
workbook carries a fixed creation date.
"""

from __future__ import annotations

import datetime as dt
import importlib
import math
import os
import random
from pathlib import Path
from typing import Any

from kaxl.contract.columns import SHEETS, sheet
from kaxl.contract.settings import SETTINGS, format_default
from kaxl.samples.field import KA_MIN_AMOUNT
from kaxl.samples.mistakes import PER_PROJECTS, add_mistakes, finish
from kaxl.samples.model import (
    COMPANY_DAYS,
    DAY,
    DEFAULT_AS_OF,
    DEFAULT_SEED,
    HISTORY_DAYS,
    LAST_STATUTORY_YEAR,
    STAGE_RANK,
    Bundle,
    Context,
    Workdays,
    add_risk,
    make_team,
    person,
    pick_customers,
    wan,
)
from kaxl.samples.typed import as_typed
from kaxl.samples.words import (
    DIRECTOR_TITLES,
    EXEC_TITLES,
    LOST_REASONS,
    MANAGER_TITLES,
    NEEDS,
    RISK_TEXTS,
    STAFF_TITLES,
)
from kaxl.samples.workbook import write_sample

# Modules adding the rows of SPEC §7's sheets to a sample, each with
#   build(ctx, bundles, rng) -> {sheet key: [rows]}   (rows as clean values, from the bundles)
#   mistakes(ctx, bundles, rows, rng, times) -> None  (one mistake of each of its rules per
#                                                      ``times``, in place; not for clean samples)
# Each gets its own seeded Random, so adding one never changes the rows of the others.
SHEET_MODULES: tuple[str, ...] = ("kaxl.samples.field", "kaxl.samples.aftersale")

__all__ = ["DEFAULT_AS_OF", "DEFAULT_SEED", "build_bundles", "generate", "make_sample", "sheet_sizes", "write_sample"]

def _project(index: int, ctx: Context) -> Bundle:
    rng, wd, as_of = ctx.rng, ctx.wd, ctx.as_of
    # Recent leads are more numerous than old ones: a live pipeline, plus 18 months of history.
    lead = as_of - dt.timedelta(days=3 + int((HISTORY_DAYS - 3) * rng.random() ** 1.5))
    fate = rng.choices(("win", "lose_bid", "lose_proposal", "hold"), weights=(42, 24, 12, 8))[0]
    pace = rng.choice((1.0, 1.3, 1.8, 2.4))
    pid = f"KA-{lead.year}-{index + 1:0{ctx.id_width}d}"
    customer, industry = rng.choice(ctx.customers)
    amount = max(wan(rng.lognormvariate(math.log(2_500_000), 0.8)), 300_000)
    plan: dict[str, Any] = {"L": lead}
    plan["F"] = wd.add(lead, rng.randint(1, 3))
    plan["R"] = wd.add(plan["F"], rng.randint(1, 5))
    plan["P"] = plan["R"] + dt.timedelta(days=rng.randint(3, 10))
    plan["B"] = wd.on_or_after(plan["P"] + dt.timedelta(days=int(rng.randint(15, 45) * pace)))
    plan["D"] = wd.on_or_after(plan["B"] + dt.timedelta(days=int(rng.randint(20, 45) * pace)))
    plan["PA"] = wd.sub(plan["D"], rng.randint(5, 8))
    plan["SE"] = wd.sub(plan["D"], rng.randint(2, 3))
    plan["RES"] = plan["D"] + dt.timedelta(days=rng.randint(5, 15))
    plan["S"] = wd.on_or_after(plan["RES"] + dt.timedelta(days=rng.randint(5, 20)))
    event = None
    if fate == "lose_proposal":
        event = plan["P"] + dt.timedelta(days=rng.randint(10, 40))
    elif fate == "lose_bid":
        event = plan["RES"]
    elif fate == "hold":
        event = plan["R"] + dt.timedelta(days=rng.randint(5, 30))
    cut = min(as_of, event) if event else as_of
    done = {k: v for k, v in plan.items() if v <= cut}

    status = "active"
    if event is not None and event <= as_of:
        status = {"lose_proposal": "lost", "lose_bid": "lost", "hold": "on_hold"}[fate]
    elif fate == "win" and plan["S"] <= as_of:
        status = "won"
    stage = "initiation"
    if "R" in done:
        stage = "proposal"
    if plan["B"] + DAY <= cut and fate != "lose_proposal":
        stage = "bidding"
    if fate == "win" and plan["RES"] <= as_of:
        stage = "contracting"
    if status == "won" and plan["S"] + dt.timedelta(days=10) <= as_of:
        stage = "payment"
    facts = {**plan, "done": done, "cut": cut, "status": status, "stage": stage, "amount": amount,
             "event": event, "customer": customer}

    am = ctx.team.ams[index % len(ctx.team.ams)] if rng.random() < 0.7 else rng.choice(ctx.team.ams)
    project = {
        "project_id": pid, "customer": customer, "industry": industry,
        "relationship": rng.choices(("strategic", "key", "general"), weights=(2, 4, 5))[0],
        "strategic": rng.random() < 0.2, "tier": None, "account_manager": am,
        "presales": rng.choice(ctx.team.pss) if stage != "initiation" or rng.random() < 0.5 else None,
        "commercial_ops": rng.choice(ctx.team.cos), "stage": stage, "status": status, "lead_date": lead,
        "estimated_amount": amount,
        "expected_close": plan["S"] if status in ("active", "won") else None,
        "lost_reason": rng.choice(LOST_REASONS) if status == "lost" else None,
    }
    bundle = Bundle(index, pid, fate, facts, project)
    _stakeholders(bundle, ctx)
    _initiation(bundle, ctx)
    _bid(bundle, ctx)
    if status == "won":
        _contract(bundle, ctx)
    _risks(bundle, ctx)
    return bundle


def _initiation(b: Bundle, ctx: Context) -> None:
    rng, done = ctx.rng, b.facts["done"]
    if "F" not in done:
        return  # the form is not due yet: no row
    dm = next((s["name"] for s in b.stakeholders if s["role"] == "decision_maker"), person(rng))
    reviewed = "R" in done
    b.initiation = {
        "project_id": b.pid, "form_date": done["F"],
        "budget": wan(b.facts["amount"] * rng.uniform(0.9, 1.3)),
        "budget_status": rng.choices(("approved", "pending"), weights=(7, 3))[0],
        "decision_maker": dm, "need": rng.choice(NEEDS), "urgency": rng.randint(2, 5),
        "purchase_date": b.facts["L"] + dt.timedelta(days=rng.randint(60, 200)),
        "strategy_fit": rng.randint(2, 5),
        "review_date": done["R"] if reviewed else None,
        "review_result": rng.choices(("pass", "conditional"), weights=(8, 2))[0] if reviewed else None,
        "crm_date": min(ctx.wd.add(done["F"], rng.randint(0, 2)), b.facts["cut"]),
    }


_ROLE_PLAN = (
    ("decision_maker", "executive", EXEC_TITLES),
    ("economic_buyer", "director", DIRECTOR_TITLES),
    ("technical_evaluator", "director", DIRECTOR_TITLES),
    ("user", "manager", MANAGER_TITLES),
    ("influencer", "manager", MANAGER_TITLES),
    ("coach", "staff", STAFF_TITLES),
)


def _stakeholders(b: Bundle, ctx: Context) -> None:
    rng, as_of = ctx.rng, ctx.as_of
    count = rng.randint(1, 3) if b.stage == "initiation" else rng.randint(3, 6)
    lead, cut = b.facts["L"], b.facts["cut"]
    for role, level, titles in _ROLE_PLAN[:count]:
        attitude = rng.choices(("supporter", "neutral", "opponent"), weights=(50, 35, 15))[0]
        influence = {"executive": 5, "director": 4}.get(level, 3) - rng.randint(0, 1)
        is_kp = role in ("decision_maker", "economic_buyer") or (role == "technical_evaluator" and rng.random() < 0.5)
        if is_kp and b.active:
            last = max(as_of - dt.timedelta(days=rng.randint(0, 25)), lead)
        else:
            last = lead + dt.timedelta(days=rng.randint(0, max((cut - lead).days, 0)))
        owner = b.project["account_manager"] if level in ("executive", "director") else (
            b.project["presales"] or b.project["account_manager"])
        b.stakeholders.append({
            "project_id": b.pid, "name": person(rng), "title": rng.choice(titles), "level": level, "role": role,
            "attitude": attitude, "influence": influence, "owner": owner, "last_contact": last,
            "is_kp": is_kp if role not in ("decision_maker", "economic_buyer") or rng.random() < 0.7 else None,
        })
    for s in b.stakeholders:  # an influential opponent needs an open risk with a response (STK-003)
        if s["attitude"] == "opponent" and s["influence"] >= 4:
            if b.active:
                add_risk(b, ctx, "market", f"客户{s['title']}{s['name']}倾向竞争对手", "安排高层拜访，提供标杆案例",
                          open_=True)
            else:
                s["influence"] = 3


def _bid(b: Bundle, ctx: Context) -> None:
    rng, done, cut = ctx.rng, b.facts["done"], b.facts["cut"]
    if "R" not in done:
        return
    bidding = STAGE_RANK[b.stage] >= STAGE_RANK["bidding"] or b.fate == "lose_bid" and b.facts["status"] == "lost"
    rounds = rng.randint(2, 4) if bidding else rng.randint(1, 2)
    bid_date = b.facts["D"]
    known_bid = bidding and (bid_date <= cut or bid_date <= ctx.calendar_limit)
    bid_amount = wan(b.facts["amount"] * rng.uniform(0.9, 1.05), 100)
    result = None
    if b.fate == "win" and b.facts["RES"] <= cut:
        result = "won"
    elif b.fate == "lose_bid" and b.facts["status"] == "lost":
        result = "lost"
    elif known_bid and bid_date <= cut:
        result = "pending"
    briefed = "B" in done
    b.bid = {
        "project_id": b.pid, "research_rounds": rounds,
        "briefing_date": done.get("B"), "briefing_level": rng.choice(("executive", "director")) if briefed else None,
        "control_points_locked": True if bidding else (rng.random() < 0.3 or None),
        "poc_date": (b.facts["P"] + dt.timedelta(days=rng.randint(5, 20))) if briefed and rng.random() < 0.4 else None,
        "bid_date": bid_date if known_bid else None,
        "price_approval_date": done.get("PA") if known_bid else None,
        "sealed_date": done.get("SE") if known_bid else None,
        "bid_amount": bid_amount if bidding else None,
        "cost": wan(bid_amount * rng.uniform(0.55, 0.72), 100) if bidding else None,
        "discount": round(rng.uniform(0, 0.08), 2) if bidding else None,
        "discount_approver": None, "result": result,
    }
    if b.bid["poc_date"] and b.bid["poc_date"] > cut:
        b.bid["poc_date"] = None


_SCHEDULES = (  # (milestone, share or None = the rest, days after signing)
    (("预付款", None, (7, 15)), ("到货款", 0.6, (45, 90)), ("验收款", None, (100, 200)), ("质保金", "q", (365, 400))),
    (("预付款", None, (7, 15)), ("验收款", None, (30, 75))),
)


def _contract(b: Bundle, ctx: Context) -> None:
    rng, wd, as_of = ctx.rng, ctx.wd, ctx.as_of
    signed = b.facts["S"]
    amount = b.bid["bid_amount"] if b.bid and b.bid["bid_amount"] else b.facts["amount"]
    cid = f"HT-{signed.year}-{ctx.next_id('contract'):0{ctx.id_width}d}"
    advance = rng.choice((0.1, 0.2, 0.3, 0.3, 0.5))
    years = rng.randint(1, 3)
    end = signed.replace(year=signed.year + years) if not (signed.month == 2 and signed.day == 29) else signed + 365 * years * DAY
    while end < as_of + dt.timedelta(days=100):  # renewals are a deliberate mistake, not an accident
        end += dt.timedelta(days=365)
    handover = wd.add(signed, rng.randint(1, 5))
    archived = wd.add(signed, rng.randint(1, 3))
    b.contracts.append({
        "contract_id": cid, "project_id": b.pid, "signed_date": signed, "amount": amount, "advance_ratio": advance,
        "special_approval": None, "legal_signoff": wd.sub(signed, rng.randint(1, 4)),
        "finance_signoff": wd.sub(signed, rng.randint(1, 3)), "acceptance_defined": True, "liability_defined": True,
        "handover_date": handover if handover <= as_of else None,
        "archived_date": archived if archived <= as_of else None, "end_date": end,
    })
    schedule = _SCHEDULES[0] if rng.random() < 0.8 else _SCHEDULES[1]
    retention = rng.choice((0.05, 0.1))
    shares: list[float] = []
    for i, (_, share, _) in enumerate(schedule):
        if i == 0:
            shares.append(advance)
        elif share == "q":
            shares.append(retention)
        elif share is None:
            shares.append(0.0)  # the rest, below
        else:
            shares.append(round((1 - advance - (retention if len(schedule) == 4 else 0)) * share, 2))
    amounts = [int(round(amount * s)) for s in shares]
    rest = len(schedule) - 2 if len(schedule) == 4 else 1
    amounts[rest] = int(amount) - sum(a for i, a in enumerate(amounts) if i != rest)
    all_received = True
    for n, ((milestone, _, (lo, hi)), due_amount) in enumerate(zip(schedule, amounts), start=1):
        due = signed + dt.timedelta(days=rng.randint(lo, hi))
        row = {"contract_id": cid, "installment": n, "milestone": milestone, "due_date": due,
               "amount_due": due_amount, "invoice_date": None, "received_date": None, "amount_received": None,
               "followup_date": None, "followup_note": None}
        invoice = due - dt.timedelta(days=rng.randint(3, 15))
        if invoice <= as_of:
            row["invoice_date"] = max(invoice, signed)
        if due <= as_of + dt.timedelta(days=8):  # due, or due within the warning window: paid on time
            received = min(due - dt.timedelta(days=rng.randint(0, 5)), as_of)
            row.update(received_date=max(received, row["invoice_date"] or signed), amount_received=due_amount)
            row["invoice_date"] = row["invoice_date"] or min(due, as_of)
        else:
            all_received = False
        b.receivables.append(row)
    if all_received and b.stage == "payment":
        b.facts["stage"] = b.project["stage"] = "closed"


def _risks(b: Bundle, ctx: Context) -> None:
    rng = ctx.rng
    if rng.random() < 0.35:
        category, text, response = rng.choice(RISK_TEXTS)
        add_risk(b, ctx, category, text, response, open_=b.active or b.stage == "payment")


# ------------------------------------------------------------------------------ the ledger


def _settings_rows(as_of: dt.date) -> list[dict[str, Any]]:
    rows = []
    for setting in SETTINGS:
        value: Any = format_default(setting)
        if setting.kind in ("int", "number", "ratio"):
            value = setting.default
        if setting.key == "calendar_fallback" and (as_of + dt.timedelta(days=30)).year > LAST_STATUTORY_YEAR:
            value = "weekends"  # the sample reaches past the published calendar: count Mon–Fri there
        if setting.key == "ka_min_amount":
            value = KA_MIN_AMOUNT  # the sample company's KA threshold (PRJ-001 is off while 0)
        rows.append({"key": setting.key, "value": value, "note": f"{setting.zh} / {setting.en}"})
    return rows


def build_bundles(projects: int, seed: int, as_of: dt.date) -> tuple[Context, list[Bundle]]:
    """The clean portfolio as per-project bundles (before mistakes and typing)."""
    if projects < 1:
        raise ValueError("projects must be at least 1")
    rng = random.Random(seed)
    team = make_team(rng, projects)
    customers = pick_customers(rng, max(12, projects // 2))
    company = {day: kind == "workday" for day, kind, _ in COMPANY_DAYS}
    last_year = max(LAST_STATUTORY_YEAR, as_of.year)
    limit = min(dt.date(last_year, 12, 20), as_of + dt.timedelta(days=120))
    ctx = Context(rng, Workdays(company), as_of, team, customers, limit, max(4, len(str(projects))))
    bundles = [_project(i, ctx) for i in range(projects)]
    for b in bundles:
        ctx.customer_projects[b.facts["customer"]] = ctx.customer_projects.get(b.facts["customer"], 0) + 1
    return ctx, bundles


def assemble(ctx: Context, bundles: list[Bundle]) -> dict[str, list[dict[str, Any]]]:
    """Rows per sheet key, in project order."""
    out: dict[str, list[dict[str, Any]]] = {s.key: [] for s in SHEETS}
    for b in bundles:
        out["projects"].append(b.project)
        if b.initiation is not None:
            out["initiation"].append(b.initiation)
        out["stakeholders"].extend(b.stakeholders)
        if b.bid is not None:
            out["bids"].append(b.bid)
        out["contracts"].extend(b.contracts)
        out["receivables"].extend(b.receivables)
        out["risks"].extend(b.risks)
    out["contacts"] = [dict(c) for c in ctx.team.contacts]
    out["settings"] = _settings_rows(ctx.as_of)
    out["calendar"] = [{"date": day, "day_type": kind, "note": note} for day, kind, note in COMPANY_DAYS
                       if day.year >= ctx.as_of.year - 2]
    return out


def make_sample(projects: int = 40, seed: int = DEFAULT_SEED, as_of: dt.date = DEFAULT_AS_OF, *,
                clean: bool = False, core_only: bool = False) -> dict[str, list[dict[str, Any]]]:
    """The sample ledger as rows per sheet key ({sheet key: [row dicts keyed by column key]}).

    Values are as a person would type them (see :func:`as_typed`); ``clean=False`` adds one
    deliberate mistake of every kind per 40 projects (:mod:`kaxl.samples.mistakes`).
    ``core_only`` leaves out SPEC §7's optional sheets (a company that keeps only the first ten
    tabs); the other sheets' rows are the same, each sheet module having its own Random.
    """
    ctx, bundles = build_bundles(projects, seed, as_of)
    extras: dict[str, list[dict[str, Any]]] = {}
    if not clean:
        extras = add_mistakes(ctx, bundles)
    rows = assemble(ctx, bundles)
    for key, more in extras.items():
        rows[key].extend(more)
    times = max(1, projects // PER_PROJECTS)
    for name in () if core_only else SHEET_MODULES:
        module = importlib.import_module(name)
        rng = random.Random(f"{seed}:{name}")  # (a str seed is hashed with SHA-512: the same everywhere)
        for key, more in module.build(ctx, bundles, rng).items():
            rows.setdefault(key, []).extend(more)
        if not clean:
            module.mistakes(ctx, bundles, rows, rng, times)
    if not clean:
        finish(ctx, rows)
    return as_typed(rows, random.Random(seed + 1))


def generate(path: str | os.PathLike[str], projects: int = 40, seed: int = DEFAULT_SEED,
             as_of: dt.date = DEFAULT_AS_OF, *, clean: bool = False, core_only: bool = False) -> Path:
    """:func:`make_sample` + :func:`write_sample`: what ``kaxl sample`` runs."""
    return write_sample(make_sample(projects, seed, as_of, clean=clean, core_only=core_only), path,
                        core_only=core_only)


def sheet_sizes(rows: dict[str, list[dict[str, Any]]]) -> dict[str, int]:
    """Rows per sheet title, for the command's summary line."""
    return {sheet(k).title: len(v) for k, v in rows.items()}
