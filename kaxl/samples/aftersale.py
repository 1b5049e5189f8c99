"""After the signature in the sample ledger (SPEC §7): delivery milestones, health assessments,
issues and complaints, and the delivery managers and customer-success people who own them.

Every signed contract gets its milestones (需求确认 → 开发 → 测试 → 培训 → 上线 → 验收), planned
between signing and the 验收款 installment so that a clean contract is signed off before that
installment is invoiced; what was planned before the as-of date is done (a few late), the rest is
open with a recent weekly report. Each customer with a contract is assessed every quarter (the
latest within ``health_review_days``, some with a blank relationship that kaxl computes, one
below the threshold with its retention plan); each won project has issues and complaints of
all ages and priorities, answered and resolved in time except a few slow resolutions (the
complaint KPI). Dates that need the working-day calendar stay inside the year it knows.

:func:`mistakes` then breaks exactly one row per rule DEL-001..006, HLT-001..002, ISS-001..003
(``times`` each, for larger samples), on rows no other after-sale mistake touches.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from typing import Any

from kaxl.contract.settings import SETTINGS_BY_KEY
from kaxl.samples.model import DAY, EMAIL_DOMAIN, Bundle, Context
from kaxl.samples.words import GIVEN, SURNAMES

# What `kaxl demo` says about these sheets (kaxl.samples.demo.sheet_module_lines).
DEMO = ("签约之后", "After the signature", ("delivery", "health", "issues"),
        ("DEL-001", "DEL-002", "DEL-003", "DEL-004", "DEL-005", "DEL-006", "HLT-001", "HLT-002",
         "ISS-001", "ISS-002", "ISS-003"))
MILESTONES = ("requirements", "build", "test", "training", "go_live", "acceptance")
SHARES = (0.08, 0.35, 0.2, 0.07, 0.15, 0.15)  # of the span from signing to acceptance, cumulative below
CONFIRM_DAYS = int(SETTINGS_BY_KEY["delivery_confirm_days"].default)
CONTACT_DAYS = int(SETTINGS_BY_KEY["stakeholder_contact_days"].default)
REVIEW_DAYS = int(SETTINGS_BY_KEY["health_review_days"].default)
THRESHOLD = float(SETTINGS_BY_KEY["health_threshold"].default)
KP_ROLES = ("decision_maker", "economic_buyer")
ISSUE_TEXTS = (
    ("issue", "报表导出速度慢"), ("issue", "接口对接字段不一致"), ("issue", "移动端登录偶发失败"),
    ("issue", "数据同步延迟超过1小时"), ("issue", "权限配置需要调整"), ("issue", "打印模板格式错乱"),
    ("complaint", "上线后系统多次宕机"), ("complaint", "实施人员频繁更换"), ("complaint", "培训内容与实际操作不符"),
    ("complaint", "需求变更响应慢"), ("complaint", "发票信息有误"), ("complaint", "客服电话无人接听"),
)
DEPARTMENTS = ("交付部", "技术支持部", "产品部", "客户成功部", "财务部")
NOTES = ("季度回访", "上线后首次评估", "续约前评估", "年度评估", None, None)


# ------------------------------------------------------------------------------ people


def _people(ctx: Context, bundles: list[Bundle], rng: random.Random) -> tuple[list[str], list[str], list[dict]]:
    """Delivery managers and customer-success people, named like the rest of the team and added
    to Contacts (their manager: the first of management)."""
    taken = {c["name"] for c in ctx.team.contacts}
    emails = {c["email"] for c in ctx.team.contacts}
    size = max(2, len(ctx.team.ams) // 3)
    pairs = [(s, g) for s in SURNAMES for g in GIVEN if s[0] + g[0] not in taken]
    rng.shuffle(pairs)
    chosen = pairs[:2 * size]
    contacts: list[dict[str, Any]] = []
    names: list[str] = []
    for i, ((sur, sur_py), (given, given_py)) in enumerate(chosen):
        local, n = f"{given_py}.{sur_py}", 2
        while f"{local}@{EMAIL_DOMAIN}" in emails:
            local, n = f"{given_py}.{sur_py}{n}", n + 1
        emails.add(f"{local}@{EMAIL_DOMAIN}")
        names.append(sur + given)
        contacts.append({"name": sur + given, "role": "DM" if i < size else "CS", "email": f"{local}@{EMAIL_DOMAIN}",
                         "manager": ctx.team.management[i % len(ctx.team.management)]})
    return names[:size], names[size:], contacts


# ------------------------------------------------------------------------------ build


def build(ctx: Context, bundles: list[Bundle], rng: random.Random) -> dict[str, list[dict[str, Any]]]:
    dms, css, contacts = _people(ctx, bundles, rng)
    signed = [b for b in bundles if b.contracts]
    for b in signed:
        b.project["delivery_manager"] = dms[b.index % len(dms)]
        b.project["csm"] = css[b.index % len(css)]
    delivery: list[dict[str, Any]] = []
    for b in signed:
        for contract in b.contracts:
            delivery.extend(_milestones(ctx, b, contract, rng))
    issues: list[dict[str, Any]] = []
    for b in signed:
        issues.extend(_issues(ctx, b, rng))
    return {"delivery": delivery, "health": _health(ctx, signed, rng), "issues": issues, "contacts": contacts}


def _acceptance_days(b: Bundle, contract: dict[str, Any], keys: tuple[str, ...]) -> list[dt.date]:
    return [r[k] for r in b.receivables if r["contract_id"] == contract["contract_id"] and r["milestone"] == "验收款"
            for k in keys if isinstance(r.get(k), dt.date)]


def _milestones(ctx: Context, b: Bundle, contract: dict[str, Any], rng: random.Random) -> list[dict[str, Any]]:
    wd, as_of = ctx.wd, ctx.as_of
    start = contract["signed_date"]
    if not isinstance(start, dt.date):
        return []
    anchor = min(_acceptance_days(b, contract, ("invoice_date", "received_date", "due_date")),
                 default=start + dt.timedelta(days=rng.randint(90, 180)))
    # invoiced or collected by now: the acceptance is done and signed off (else DEL-006)
    must_accept = min(_acceptance_days(b, contract, ("invoice_date", "received_date")), default=as_of + DAY) <= as_of
    acceptance = max(anchor - dt.timedelta(days=rng.randint(4, 10)), start + dt.timedelta(days=6))
    span = (acceptance - start).days
    budget_total = float(contract["amount"] or 0) * rng.uniform(0.45, 0.65)
    rows: list[dict[str, Any]] = []
    done_so_far = 0.0
    first_open = True
    for name, share in zip(MILESTONES, SHARES):
        done_so_far += share
        planned = wd.on_or_after(start + dt.timedelta(days=max(1, round(span * done_so_far))))
        if name == "acceptance":
            planned = max(wd.on_or_after(acceptance), rows[-1]["planned_date"] if rows else planned)
            if must_accept:
                planned = min(planned, as_of - DAY)
        if planned > ctx.calendar_limit:
            break  # beyond the calendar kaxl knows: not planned in detail yet
        budget = round(budget_total * share / 1000) * 1000
        row: dict[str, Any] = {"contract_id": contract["contract_id"], "milestone": name, "planned_date": planned,
                               "actual_date": None, "plan_confirmed": None, "signoff_date": None, "last_report": None,
                               "owner": b.project["delivery_manager"] if rng.random() < 0.8 else None,
                               "budget": budget, "actual_cost": None, "change_request": None}
        confirm = wd.sub(planned, CONFIRM_DAYS + rng.randint(0, 4))
        if confirm > as_of:
            confirm = wd.sub(planned, CONFIRM_DAYS) if wd.sub(planned, CONFIRM_DAYS) <= as_of else None
        row["plan_confirmed"] = confirm
        if planned < as_of or (planned == as_of and rng.random() < 0.5) or (name == "acceptance" and must_accept):
            late = name != "acceptance" and planned + dt.timedelta(days=8) < as_of and rng.random() < 0.15
            actual = planned + dt.timedelta(days=rng.randint(1, 7)) if late else planned - dt.timedelta(days=rng.randint(0, 2))
            actual = max(actual, start)
            row["actual_date"] = actual
            row["signoff_date"] = min(actual + dt.timedelta(days=rng.randint(0, 2)), as_of)
            row["last_report"] = actual
            cost = budget * rng.uniform(0.8, 1.08)
            if rng.random() < 0.06:  # an overrun the customer agreed to: a change request covers it
                cost, row["change_request"] = budget * rng.uniform(1.2, 1.4), f"BG-{ctx.as_of.year}-{rng.randint(100, 999)}"
            row["actual_cost"] = round(cost / 100) * 100
        elif first_open:
            first_open = False
            row["last_report"] = as_of - dt.timedelta(days=rng.randint(0, 6))
            row["actual_cost"] = round(budget * rng.uniform(0.1, 0.6) / 100) * 100
        rows.append(row)
    return rows


def _key_persons(bundles: list[Bundle]) -> dict[str, list[dt.date | None]]:
    """Per customer: the last_contact of each key person on its maps (one per name)."""
    out: dict[str, dict[str, dt.date | None]] = defaultdict(dict)
    for b in bundles:
        for s in b.stakeholders:
            name = s.get("name")
            kp = s.get("is_kp") is True or s.get("role") in KP_ROLES
            if kp and isinstance(name, str) and name.strip():
                contact = s.get("last_contact")
                known = out[b.facts["customer"]].get(name.strip().casefold())
                value = contact if isinstance(contact, dt.date) and not isinstance(contact, dt.datetime) else None
                out[b.facts["customer"]][name.strip().casefold()] = max(filter(None, (known, value)), default=None)
    return {k: list(v.values()) for k, v in out.items()}


def _all_contacted(contacts: list[dt.date | None], day: dt.date) -> bool:
    return bool(contacts) and all(c is not None and day - dt.timedelta(days=CONTACT_DAYS) <= c <= day for c in contacts)


def _health(ctx: Context, signed: list[Bundle], rng: random.Random) -> list[dict[str, Any]]:
    as_of = ctx.as_of
    first: dict[str, dt.date] = {}
    csm: dict[str, str] = {}
    for b in signed:
        day = min(c["signed_date"] for c in b.contracts)
        customer = b.facts["customer"]
        first[customer] = min(first.get(customer, day), day)
        csm.setdefault(customer, b.project["csm"])
    persons = _key_persons([b for b in signed])
    rows: list[dict[str, Any]] = []
    retained = False
    for customer in sorted(first, key=lambda c: (first[c], c)):
        latest = max(as_of - dt.timedelta(days=rng.randint(3, 75)), first[customer])
        dates = [latest]
        while dates[-1] - dt.timedelta(days=95) >= first[customer] + dt.timedelta(days=20) and len(dates) < 6:
            dates.append(dates[-1] - dt.timedelta(days=rng.randint(88, 95)))
        dates.reverse()
        for i, day in enumerate(dates):
            last = i == len(dates) - 1
            low, high = (80, 98) if last else (62, 98)
            row: dict[str, Any] = {"customer": customer, "assessed_date": day, "usage": rng.randint(low, high),
                                   "value": rng.randint(low, high), "relationship": rng.randint(low, high),
                                   "csat": rng.randint(72, 98) if rng.random() < 0.85 else None,
                                   "retention_plan_date": None, "retention_owner": None, "note": rng.choice(NOTES)}
            if not last and rng.random() < 0.25:
                row["relationship"] = None  # computed by kaxl (it only shapes the trend)
            if last and _all_contacted(persons.get(customer, []), day) and rng.random() < 0.6:
                row.update(relationship=None, usage=rng.randint(90, 98), value=rng.randint(90, 98))
            if last and not retained and len(dates) > 1 and day + dt.timedelta(days=8) <= as_of:
                retained = True  # below the threshold, with its retention plan: no finding
                row.update(usage=72, value=70, relationship=78, note="上线后使用率下降，已制定挽回计划",
                           retention_plan_date=day + dt.timedelta(days=rng.randint(2, 7)), retention_owner=csm[customer])
            rows.append(row)
    return rows


def _issues(ctx: Context, b: Bundle, rng: random.Random) -> list[dict[str, Any]]:
    wd, as_of = ctx.wd, ctx.as_of
    start = min(c["signed_date"] for c in b.contracts)
    span = max((as_of - start).days, 0)
    rows = []
    for _ in range(rng.choice((0, 0, 1, 1, 2, 3))):
        kind, text = rng.choice(ISSUE_TEXTS)
        raised = start + dt.timedelta(days=rng.randint(0, span))
        row: dict[str, Any] = {
            "issue_id": f"WT-{ctx.next_id('aftersale-issue'):0{ctx.id_width}d}", "project_id": b.pid, "kind": kind,
            "raised_date": raised, "description": text, "priority": rng.choices(("high", "medium", "low"), (2, 5, 3))[0],
            "owner": rng.choice((b.project["delivery_manager"], b.project["csm"], b.project["account_manager"], None)),
            "department": rng.choice(DEPARTMENTS), "replied_date": None, "resolved_date": None, "status": "open"}
        reply = wd.add(raised, rng.choice((0, 1, 1, 2)))
        if kind == "complaint" or rng.random() < 0.7:
            row["replied_date"] = reply if reply <= as_of else None
        if (as_of - raised).days > 3:  # older than the first escalation step: resolved by now
            steps = rng.choice((1, 2, 3, 4, 5, 5, 6, 8)) if kind == "complaint" else rng.randint(0, 10)
            row["resolved_date"] = min(wd.add(raised, steps), as_of)
            row["status"] = "resolved"
            if row["replied_date"] is None and kind == "complaint":
                row["replied_date"] = reply
        rows.append(row)
    return rows


# ------------------------------------------------------------------------------ mistakes


def _paste_people(bundles: list[Bundle], rows: dict[str, list[dict[str, Any]]]) -> None:
    """A project pasted twice (SCH-006, copied before :func:`build` named its people) names the
    same delivery manager and customer success as the original: which of the two rows the reader
    keeps then never changes whom a finding goes to (rows shuffled, one ledger or two)."""
    people = {b.project["project_id"]: b.project for b in bundles if "csm" in b.project}
    for row in rows.get("projects", []):
        source = people.get(row.get("project_id"))
        if source is not None and source is not row:
            row["delivery_manager"], row["csm"] = source["delivery_manager"], source["csm"]


def mistakes(ctx: Context, bundles: list[Bundle], rows: dict[str, list[dict[str, Any]]], rng: random.Random,
             times: int) -> None:
    """One row broken per rule and per ``times`` (DEL-001..006, HLT-001..002, ISS-001..003)."""
    as_of, wd = ctx.as_of, ctx.wd
    _paste_people(bundles, rows)
    by_contract: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows.get("delivery", []):
        by_contract[row["contract_id"]].append(row)
    contracts = sorted(by_contract)
    rng.shuffle(contracts)
    used: set[str] = set()

    def take(test) -> list[dict[str, Any]] | None:
        for cid in contracts:
            if cid not in used and test(by_contract[cid]):
                used.add(cid)
                return by_contract[cid]
        return None

    def done(ms):
        return [m for m in ms if m["actual_date"] is not None and m["milestone"] != "acceptance"]

    def in_delivery(ms):
        return any(m["actual_date"] is None for m in ms)

    invoiced = {r["contract_id"] for r in rows.get("receivables", [])
                if r["milestone"] == "验收款" and (r.get("invoice_date") or r.get("received_date"))}
    for _ in range(times):
        # DEL-001: the milestone before the first open one was never finished
        ms = take(lambda m: in_delivery(m) and bool(done(m)) and done(m)[-1]["planned_date"] < as_of - 3 * DAY)
        if ms:
            late = done(ms)[-1]
            late.update(actual_date=None, signoff_date=None, actual_cost=None)
        # DEL-002: a plan the client confirmed two working days before, not five
        ms = take(lambda m: bool(done(m)))
        if ms:
            row = done(ms)[0]
            row["plan_confirmed"] = wd.sub(row["planned_date"], 2)
        # DEL-003: a contract in delivery whose weekly reports stopped
        ms = take(in_delivery)
        if ms:
            for m in ms:
                m["last_report"] = None
            next(m for m in ms if m["actual_date"] is None)["last_report"] = as_of - dt.timedelta(days=rng.randint(12, 20))
        # DEL-004: done without the three-party sign-off
        ms = take(lambda m: bool(done(m)))
        if ms:
            done(ms)[-1]["signoff_date"] = None
        # DEL-005: a cost overrun without a change request
        ms = take(lambda m: any(x["budget"] and x["actual_cost"] and not x["change_request"] for x in done(m)))
        if ms:
            row = next(x for x in done(ms) if x["budget"] and x["actual_cost"] and not x["change_request"])
            row["actual_cost"] = round(row["budget"] * 1.25 / 100) * 100
        # DEL-006: the acceptance payment invoiced before the acceptance (still ahead, not signed off)
        ms = take(lambda m: m[-1]["milestone"] == "acceptance" and m[-1]["actual_date"] is not None
                  and m[0]["contract_id"] in invoiced and not in_delivery(m))
        if ms:
            accept = ms[-1]
            planned = wd.on_or_after(as_of + dt.timedelta(days=rng.randint(6, 12)))
            accept.update(planned_date=planned, actual_date=None, signoff_date=None, actual_cost=None,
                          plan_confirmed=min(wd.sub(planned, CONFIRM_DAYS), as_of),
                          last_report=as_of - dt.timedelta(days=rng.randint(0, 5)))
    _health_mistakes(ctx, rows.get("health", []), rng, times)
    _issue_mistakes(ctx, rows.get("issues", []), rng, times)


def _health_mistakes(ctx: Context, health: list[dict[str, Any]], rng: random.Random, times: int) -> None:
    as_of = ctx.as_of
    series: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in health:
        series[row["customer"]].append(row)
    customers = sorted(c for c, rows in series.items()
                       if len(rows) > 1 and all(r["relationship"] is not None and not r["retention_plan_date"] for r in rows))
    rng.shuffle(customers)
    for _ in range(times):
        if len(customers) < 2:
            return
        # HLT-001: the latest assessment fell below the threshold and nobody planned the retention
        rows = series[customers.pop()]
        rows[-2].update(usage=88, value=85, relationship=90)
        rows[-1].update(usage=68, value=72, relationship=65, note="使用率明显下降，客户高层有不满")
        # HLT-002: the latest assessment was never done: the one before is over a quarter old
        rows = series[customers.pop()]
        health.remove(rows[-1])
        rows[-2].update(usage=86, value=84, relationship=88)
        rows[-2]["assessed_date"] = min(rows[-2]["assessed_date"], as_of - dt.timedelta(days=REVIEW_DAYS + rng.randint(5, 30)))


def _issue_mistakes(ctx: Context, issues: list[dict[str, Any]], rng: random.Random, times: int) -> None:
    as_of, wd = ctx.as_of, ctx.wd
    resolved = [r for r in issues if r["status"] == "resolved" and (as_of - r["raised_date"]).days > 20]
    rng.shuffle(resolved)
    for n in range(times):
        if len(resolved) < 3:
            return
        # ISS-001: an issue open for weeks (error: to management); every other one a few days (warning: the AM)
        row = resolved.pop()
        raised = as_of - dt.timedelta(days=rng.randint(9, 20) if n % 2 == 0 else rng.randint(4, 6))
        row.update(kind="issue", raised_date=raised, replied_date=raised, resolved_date=None, status="open",
                   priority="high", description="上线后核心报表数据不准确")
        # ISS-002: a complaint answered four working days after it was raised
        row = resolved.pop()
        row.update(kind="complaint", replied_date=wd.add(row["raised_date"], 4))
        row["resolved_date"] = max(row["resolved_date"], row["replied_date"])
        # ISS-003: marked resolved, the date never filled in
        resolved.pop()["resolved_date"] = None
