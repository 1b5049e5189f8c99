"""Deliberate mistakes for the sample ledger: one of every kind per 40 projects.

Each maker names the rule it demonstrates, which projects it can break without hiding
another mistake, and how it breaks one. :func:`add_mistakes` picks the projects from the
seeded generator (projects nobody has broken yet first), so the same seed breaks the same
rows. The mistakes are the ones real ledgers have: a form filled in late, a sealing done on
the bid day, an advance payment of zero, a date typed as 2026-13-05, an id with a typo.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kaxl.samples.model import STAGE_RANK, Bundle, Context, Formula, add_risk, person

DAYS = dt.timedelta(days=1)


@dataclass(frozen=True)
class Maker:
    rule: str
    can: Callable[[Bundle, Context], bool]
    apply: Callable[[Bundle, Context, int], None]  # the int is the n-th use, to vary the mistake


def _past(b: Bundle, stage: str) -> bool:
    return STAGE_RANK[b.stage] > STAGE_RANK[stage]


def _at_least(b: Bundle, stage: str) -> bool:
    return STAGE_RANK[b.stage] >= STAGE_RANK[stage]


def _old(b: Bundle, ctx: Context, key: str, days: int) -> bool:
    value = b.facts.get(key)
    return value is not None and value <= ctx.as_of - days * DAYS


def _has_bid_dates(b: Bundle) -> bool:
    return bool(b.bid and b.bid["bid_date"] and b.bid["price_approval_date"] and b.bid["sealed_date"])


def _future_installment(b: Bundle, ctx: Context) -> dict[str, Any] | None:
    return next((r for r in b.receivables if r["due_date"] > ctx.as_of + 10 * DAYS), None)


def _paid_installment(b: Bundle, ctx: Context) -> dict[str, Any] | None:
    return next((r for r in b.receivables if r["received_date"] is not None), None)


# ------------------------------------------------------------------------------ SOP mistakes


def _ini001(b: Bundle, ctx: Context, n: int) -> None:
    if n % 2 == 1 and b.active and b.stage == "initiation":
        b.initiation = None  # form never filled in, deadline passed
        return
    late = ctx.wd.add(b.facts["L"], 6 + n % 4)
    b.initiation["form_date"] = late
    for key in ("review_date", "crm_date"):
        if b.initiation[key] is not None and b.initiation[key] < late:
            b.initiation[key] = min(ctx.wd.add(late, 1), ctx.as_of)


def _ini002(b: Bundle, ctx: Context, n: int) -> None:
    b.initiation[("budget_status", "decision_maker", "purchase_date", "budget", "need")[n % 5]] = None


def _ini003(b: Bundle, ctx: Context, n: int) -> None:
    if n % 2:
        b.initiation["review_result"] = "reject"
    else:
        b.initiation["review_date"] = b.initiation["review_result"] = None


def _ini004(b: Bundle, ctx: Context, n: int) -> None:
    b.project["lead_date"] = b.initiation["form_date"] + (3 + n % 5) * DAYS  # lead typed after the form


def _ini005(b: Bundle, ctx: Context, n: int) -> None:
    b.project["tier"] = "C"  # a complete, well-fitting form computes A or B


def _stk001(b: Bundle, ctx: Context, n: int) -> None:
    if n % 2:
        for s in b.stakeholders:
            if s["role"] == "decision_maker":
                s["role"] = "influencer"
    else:
        b.stakeholders.clear()


def _stk002(b: Bundle, ctx: Context, n: int) -> None:
    dm = next(s for s in b.stakeholders if s["role"] == "decision_maker")
    dm["last_contact"] = ctx.as_of - (45 + 7 * (n % 5)) * DAYS


def _stk003(b: Bundle, ctx: Context, n: int) -> None:
    target = b.stakeholders[-1]
    target.update(attitude="opponent", influence=5 if n % 2 == 0 else 4)
    for risk in b.risks:
        risk["status"] = "closed"


def _pro001(b: Bundle, ctx: Context, n: int) -> None:
    b.bid["research_rounds"] = 1 if n % 3 else 0


def _pro002(b: Bundle, ctx: Context, n: int) -> None:
    if n % 2:
        b.bid["briefing_date"] = b.bid["briefing_level"] = None
    else:
        b.bid["briefing_level"] = "manager"


def _pro003(b: Bundle, ctx: Context, n: int) -> None:
    b.bid["control_points_locked"] = False


def _bid001(b: Bundle, ctx: Context, n: int) -> None:
    if n % 2 and b.bid["bid_date"] < ctx.as_of and b.active:
        b.bid["price_approval_date"] = None
    else:
        b.bid["price_approval_date"] = ctx.wd.sub(b.bid["bid_date"], 2)


def _bid002(b: Bundle, ctx: Context, n: int) -> None:
    b.bid["sealed_date"] = b.bid["bid_date"] if n % 2 == 0 else ctx.wd.sub(b.bid["bid_date"], 1)


def _bid003(b: Bundle, ctx: Context, n: int) -> None:
    if n % 2:
        b.bid["cost"] = round(b.bid["bid_amount"] * 0.95, -2)
    else:
        b.bid.update(discount=0.3, discount_approver=None)


def _con001(b: Bundle, ctx: Context, n: int) -> None:
    contract = b.contracts[0]
    contract.update(advance_ratio=0 if n % 2 == 0 else None, special_approval=None)
    rows = [r for r in b.receivables if r["contract_id"] == contract["contract_id"]]
    if len(rows) > 1 and rows[0]["milestone"] == "预付款":  # no advance: its money moves to the next one
        rows[1]["amount_due"] += rows[0]["amount_due"]
        if rows[1]["amount_received"] is not None:
            rows[1]["amount_received"] = rows[1]["amount_due"]
        b.receivables.remove(rows[0])
        for number, row in enumerate(rows[1:], start=1):
            row["installment"] = number


def _con002(b: Bundle, ctx: Context, n: int) -> None:
    contract = b.contracts[0]
    if n % 2:
        contract["legal_signoff"] = None
    else:
        contract["finance_signoff"] = contract["signed_date"] + 3 * DAYS


def _con003(b: Bundle, ctx: Context, n: int) -> None:
    b.contracts[0]["acceptance_defined" if n % 2 == 0 else "liability_defined"] = False


def _con004(b: Bundle, ctx: Context, n: int) -> None:
    b.contracts[0]["handover_date"] = ctx.wd.add(b.contracts[0]["signed_date"], 9 + n % 5)


def _con005(b: Bundle, ctx: Context, n: int) -> None:
    b.contracts[0]["archived_date"] = ctx.wd.add(b.contracts[0]["signed_date"], 6 + n % 5)


def _con006(b: Bundle, ctx: Context, n: int) -> None:
    _future_installment(b, ctx)["amount_due"] += 50_000 * (1 + n % 3)


def _ren001(b: Bundle, ctx: Context, n: int) -> None:
    b.contracts[0]["end_date"] = ctx.as_of + (20 + 13 * (n % 5)) * DAYS


def _unpaid(row: dict[str, Any], due: dt.date, *, invoice: bool = True, partial: float = 0) -> None:
    row.update(due_date=due, received_date=None, amount_received=None,
               invoice_date=due - 7 * DAYS if invoice else None)
    if partial:
        row.update(amount_received=round(row["amount_due"] * partial), received_date=due - 2 * DAYS)


def _pay001(b: Bundle, ctx: Context, n: int) -> None:
    _unpaid(_future_installment(b, ctx), ctx.as_of + (3 + n % 4) * DAYS)


def _pay002(b: Bundle, ctx: Context, n: int) -> None:
    _unpaid(_future_installment(b, ctx), ctx.as_of)


_LADDER = (12, 45, 75, 130)  # one overdue installment on every escalation level


def _pay003(b: Bundle, ctx: Context, n: int) -> None:
    row = _paid_installment(b, ctx)
    _unpaid(row, ctx.as_of - _LADDER[n % 4] * DAYS, partial=0.5 if n % 4 == 1 else 0)
    row.update(followup_date=ctx.as_of - 3 * DAYS, followup_note="已电话催款，客户答复月底付款")


def _pay004(b: Bundle, ctx: Context, n: int) -> None:
    row = _paid_installment(b, ctx)
    _unpaid(row, ctx.as_of - (5 + n % 10) * DAYS, invoice=False)


def _pay005(b: Bundle, ctx: Context, n: int) -> None:
    row = _paid_installment(b, ctx)
    if n % 2:
        row["received_date"] = ctx.as_of + 10 * DAYS
    else:
        row["amount_received"] = row["amount_due"] + 20_000


def _rsk001(b: Bundle, ctx: Context, n: int) -> None:
    risk = add_risk(b, ctx, "credit", "客户资金紧张，可能延期付款", "每周跟进付款计划", open_=True,
                     likelihood=4, impact=5 if n % 2 else 4)
    risk["response" if n % 2 == 0 else "owner"] = None


def _rsk002(b: Bundle, ctx: Context, n: int) -> None:
    risk = add_risk(b, ctx, "delivery", "交付资源不足", "申请增派实施人员", open_=True, likelihood=2, impact=3)
    risk["review_date"] = ctx.as_of - (10 + 9 * (n % 4)) * DAYS


# ------------------------------------------------------------------------------ schema mistakes


def _sch003(b: Bundle, ctx: Context, n: int) -> None:
    if n % 2 and b.facts["status"] == "lost":
        b.project["lost_reason"] = None
    else:
        b.stakeholders[-1]["name"] = None


def _sch004(b: Bundle, ctx: Context, n: int) -> None:
    if n % 3 == 0 and b.receivables:
        b.receivables[-1].update(followup_date="2026-13-05", followup_note="客户说下月初付款")
    elif n % 3 == 1 and b.bid and b.bid["cost"] is not None:
        b.bid["cost"] = "约" + str(int(b.bid["cost"] // 10_000)) + "万"
    else:
        b.stakeholders[0]["last_contact"] = "2026-02-30"


def _sch005(b: Bundle, ctx: Context, n: int) -> None:
    if n % 2:
        b.project["relationship"] = "老客户"
    else:
        b.stakeholders[0]["attitude"] = "比较支持"


def _sch008(b: Bundle, ctx: Context, n: int) -> None:
    if n % 2 == 0:
        b.stakeholders[0]["influence"] = 6
    else:
        b.initiation["strategy_fit"] = 8


def _sch010(b: Bundle, ctx: Context, n: int) -> None:
    if n % 2 == 0:
        b.project["expected_close"] = Formula("=TODAY()+90")  # never calculated: no cached value
    else:
        b.initiation["budget"] = Formula(f'=VLOOKUP("{b.pid}",预算表!A:B,2,FALSE)', "#N/A")


def _cal001(b: Bundle, ctx: Context, n: int) -> None:
    bid_date = b.bid["bid_date"]
    b.bid["bid_date"] = f"{bid_date.year + 36}-{bid_date.month:02d}-{bid_date.day:02d}"  # 2026 → 2062


def _any(b: Bundle, ctx: Context) -> bool:
    return True


MAKERS: tuple[Maker, ...] = (
    # Destructive ones first, on projects nobody else touches.
    Maker("STK-001", lambda b, c: b.active and _past(b, "initiation") and len(b.stakeholders) > 1, _stk001),
    Maker("INI-001", lambda b, c: b.initiation is not None and _old(b, c, "L", 30), _ini001),
    Maker("INI-003", lambda b, c: b.active and b.initiation is not None and _past(b, "initiation"), _ini003),
    Maker("INI-004", lambda b, c: b.initiation is not None and b.stage in ("proposal", "initiation"), _ini004),
    Maker("INI-002", lambda b, c: b.active and b.initiation is not None and _past(b, "initiation"), _ini002),
    Maker("INI-005", lambda b, c: b.initiation is not None and b.initiation["strategy_fit"] >= 4
          and b.initiation["budget_status"] == "approved", _ini005),
    Maker("STK-002", lambda b, c: b.active and _old(b, c, "L", 60) and any(
        s["role"] == "decision_maker" for s in b.stakeholders), _stk002),
    Maker("STK-003", lambda b, c: b.active and len(b.stakeholders) > 1, _stk003),
    Maker("PRO-001", lambda b, c: b.active and b.bid is not None and _past(b, "proposal"), _pro001),
    Maker("PRO-002", lambda b, c: b.active and b.bid is not None and _past(b, "proposal"), _pro002),
    Maker("PRO-003", lambda b, c: b.active and b.bid is not None and _at_least(b, "bidding"), _pro003),
    Maker("BID-001", lambda b, c: _has_bid_dates(b), _bid001),
    Maker("BID-002", lambda b, c: _has_bid_dates(b), _bid002),
    Maker("BID-003", lambda b, c: b.bid is not None and b.bid["bid_amount"] is not None, _bid003),
    Maker("CON-001", lambda b, c: bool(b.contracts), _con001),
    Maker("CON-002", lambda b, c: bool(b.contracts), _con002),
    Maker("CON-003", lambda b, c: bool(b.contracts), _con003),
    Maker("CON-004", lambda b, c: bool(b.contracts) and _old(b, c, "S", 30), _con004),
    Maker("CON-005", lambda b, c: bool(b.contracts) and _old(b, c, "S", 30), _con005),
    Maker("CON-006", lambda b, c: _future_installment(b, c) is not None, _con006),
    Maker("REN-001", lambda b, c: bool(b.contracts) and c.customer_projects[b.facts["customer"]] == 1, _ren001),
    Maker("PAY-001", lambda b, c: _future_installment(b, c) is not None, _pay001),
    Maker("PAY-002", lambda b, c: _future_installment(b, c) is not None, _pay002),
    Maker("PAY-003", lambda b, c: _paid_installment(b, c) is not None and _old(b, c, "S", 140), _pay003),
    Maker("PAY-003", lambda b, c: _paid_installment(b, c) is not None and _old(b, c, "S", 140), _pay003),
    Maker("PAY-003", lambda b, c: _paid_installment(b, c) is not None and _old(b, c, "S", 140), _pay003),
    Maker("PAY-003", lambda b, c: _paid_installment(b, c) is not None and _old(b, c, "S", 140), _pay003),
    Maker("PAY-004", lambda b, c: _paid_installment(b, c) is not None and _old(b, c, "S", 30), _pay004),
    Maker("PAY-005", lambda b, c: _paid_installment(b, c) is not None, _pay005),
    Maker("RSK-001", lambda b, c: b.active, _rsk001),
    Maker("RSK-002", lambda b, c: b.active, _rsk002),
    Maker("SCH-003", lambda b, c: bool(b.stakeholders) or b.facts["status"] == "lost", _sch003),
    Maker("SCH-004", lambda b, c: bool(b.stakeholders), _sch004),
    Maker("SCH-005", lambda b, c: bool(b.stakeholders), _sch005),
    Maker("SCH-008", lambda b, c: bool(b.stakeholders) and b.initiation is not None, _sch008),
    Maker("SCH-010", lambda b, c: b.initiation is not None, _sch010),
    Maker("CAL-001", lambda b, c: b.bid is not None and b.bid["bid_date"] is not None and not b.contracts, _cal001),
)
PER_PROJECTS = 40  # one mistake of each kind per this many projects


def add_mistakes(ctx: Context, bundles: list[Bundle]) -> dict[str, list[dict[str, Any]]]:
    """Break projects in place; return extra rows that belong to no project's bundle."""
    rng = ctx.rng
    times = max(1, len(bundles) // PER_PROJECTS)
    used: set[int] = set()
    uses: dict[str, int] = {}
    for maker in MAKERS:
        # One scan per maker (not per mistake): 20,000 projects must stay fast.
        candidates = [b for b in bundles if maker.can(b, ctx)]
        rng.shuffle(candidates)
        candidates.sort(key=lambda b: b.index in used)  # stable: untouched projects first
        applied = 0
        for chosen in candidates:
            if applied == times:
                break
            if not maker.can(chosen, ctx):  # an earlier mistake may have changed it
                continue
            n = uses.get(maker.rule, 0)
            uses[maker.rule] = n + 1
            maker.apply(chosen, ctx, n)
            used.add(chosen.index)
            applied += 1
    return _loose_rows(ctx, bundles, times)


def _loose_rows(ctx: Context, bundles: list[Bundle], times: int) -> dict[str, list[dict[str, Any]]]:
    """Mistakes that are whole rows: duplicates (SCH-006) and dangling references (SCH-007)."""
    rng = ctx.rng
    extra: dict[str, list[dict[str, Any]]] = {"projects": [], "stakeholders": [], "receivables": [], "risks": []}
    with_risks = [b for b in bundles if b.risks]
    with_contracts = [b for b in bundles if b.contracts and b.receivables]
    for n in range(times):
        original = rng.choice(bundles)
        extra["projects"].append(dict(original.project))  # the same project pasted twice
        ghost = person(rng)
        extra["stakeholders"].append({"project_id": f"KA-{ctx.as_of.year}-{9 * 10 ** ctx.id_width + n}", "name": ghost, "title": "IT经理",
                                      "level": "manager", "role": "user", "attitude": "neutral", "influence": 2,
                                      "last_contact": ctx.as_of - 5 * DAYS})
        if with_risks:
            first = rng.choice(with_risks).risks[0]
            extra["risks"].append({**first, "description": "客户组织架构调整", "category": "market",
                                   "likelihood": 2, "impact": 2, "response": "保持高层沟通", "status": "closed"})
        if with_contracts:
            b = rng.choice(with_contracts)
            row = b.receivables[-1]
            typo = row["contract_id"].replace("HT-", "HT")  # the id typed without its dash
            extra["receivables"].append({**row, "contract_id": typo, "installment": 1, "amount_received": None,
                                         "received_date": None, "followup_note": "合同号待核对"})
            if len(b.receivables) > 1:  # two installments numbered alike
                b.receivables[-1]["installment"] = b.receivables[-2]["installment"]
    return extra


def finish(ctx: Context, rows: dict[str, list[dict[str, Any]]]) -> None:
    """Sheet-level mistakes: an unknown column, settings typos, a manager not in Contacts."""
    rng = ctx.rng
    for i, row in enumerate(rows["projects"]):
        if i % 7 == 3:
            row["备注 Remarks"] = rng.choice(("客户年底有预算", "重点跟进", "需总部支持", "老客户推荐"))
    rows["settings"].append({"key": "reminder_hour", "value": 9, "note": "提醒时间（kaxl 没有这个参数）"})
    for row in rows["settings"]:
        if row["key"] == "escalation_days":
            row["value"] = "1,31,61"  # one level short: the default is used
    if rows["contacts"]:
        rows["contacts"][0]["manager"] = "王总"  # the escalation target is not in Contacts
