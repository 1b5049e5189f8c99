"""The sample's field sheets (SPEC §7): 线索登记 leads and 拜访记录 visits.

Leads (seed 002 表1, 003 §四): every project but a few old ones starts as a lead registered on
its lead date, screened within 48 h, graded A or B and 转立项 converted to it, with its KA
admission (准入) applied for before the initiation form and approved before the review, except
a few projects still at Initiation whose admission is pending, and a few lost or paused ones
that stopped before it came through. Beside them about two leads per
project that did not become one: recent ones not screened yet, others 培育 nurtured, 暂不跟进
parked or 放弃 dropped, from every source.

Visits (seed 002 表2, 003 §七): an active project is visited every one to two weeks over the
last four months, face to face, by phone, video or at an event, and its customer is met in
person at least once in the last 25 days (the monthly face-to-face rule); a won project about
once a month; a lost or paused one until it stopped. In-person visits are planned 3–8 working
days ahead, every visit is recorded the same or the next day, and each record's 下次跟进日期 is
the date of the visit that followed it. The people met are the project's stakeholders, typed
the way people type them (张伟、王总 / 李娜经理，赵静). A visit names a person only on or
before their last_contact on the map (or when that is recent anyway), so visits never hide
the map's stale key persons: the first-wave STK-002 findings stay as they were.

:func:`mistakes` breaks one row per rule (LEA-001..003, PRJ-001, VIS-001..005) per ``times``.
Everything is drawn from the module's own seeded Random in a fixed order: same seed, same rows.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from typing import Any

from kaxl.samples.model import DAY, HISTORY_DAYS, STAGE_RANK, Bundle, Context, person, wan

# What `kaxl demo` says about these sheets: (zh, en, the sheets, the rules they demonstrate).
DEMO = ("现场", "In the field", ("leads", "visits"),
        ("LEA-001", "LEA-002", "LEA-003", "PRJ-001", "VIS-001", "VIS-002", "VIS-003", "VIS-004", "VIS-005"))
KA_MIN_AMOUNT = 300_000  # the sample company's KA threshold (settings ka_min_amount): 30万
VISIT_MONTHS_DAYS = 120  # how far back an active project's visit log reaches
FACE_TO_FACE_DAYS = 25  # an active customer was met in person at most this long ago
SOURCES = ("exhibition", "referral", "tender", "website", "data_platform", "other")
SOURCE_WEIGHTS = (18, 24, 26, 12, 14, 6)
KINDS = ("in_person", "phone", "video", "event")
KIND_WEIGHTS = (45, 35, 15, 5)
PURPOSES = {
    "in_person": ("需求调研", "方案汇报", "高层拜访", "商务沟通", "技术交流", "项目进展汇报", "关系维护"),
    "phone": ("需求确认", "进度沟通", "预约拜访", "答疑澄清", "报价沟通"),
    "video": ("方案演示", "技术澄清", "远程评审"),
    "event": ("技术研讨会", "客户座谈会", "产品体验活动"),
}
OUTCOMES = ("客户认可方案方向，需补充报价", "明确了预算审批流程", "客户提出与现网系统兼容性疑问", "确认POC安排",
            "决策人表示支持，待内部立项", "了解到竞争对手已接触客户", "客户要求压缩实施周期", "客户确认需求清单")
NEXT_STEPS = ("提交修订方案", "安排技术交流", "发送报价单", "约见决策人", "准备POC环境", "跟进预算审批",
              "邀请参观标杆客户")
TITLE_AFTER = {"executive": "总", "director": "总监", "manager": "经理", "staff": ""}  # titles kaxl knows
SEPARATORS = ("、", "、", "、", "、", "，", ", ", "\n", "；")


def build(ctx: Context, bundles: list[Bundle], rng: random.Random) -> dict[str, list[dict[str, Any]]]:
    """The leads and visits of a (possibly already broken) portfolio, as clean values."""
    return {"leads": _leads(ctx, bundles, rng), "visits": _visits(ctx, bundles, rng)}


# ------------------------------------------------------------------------------ leads


def _leads(ctx: Context, bundles: list[Bundle], rng: random.Random) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for b in bundles:
        if rng.random() < 0.92:
            rows.append(_converted(ctx, b, rng))
        for _ in range(rng.choices((0, 1, 2, 3, 4), weights=(10, 25, 35, 20, 10))[0]):
            rows.append(_other_lead(ctx, b, rng))
    rows.sort(key=lambda r: r["registered_date"])  # a register: in the order leads came in
    width = ctx.id_width
    for n, row in enumerate(rows, start=1):
        row["lead_id"] = f"XS-{row['registered_date'].year}-{n:0{width}d}"
    return rows


def _converted(ctx: Context, b: Bundle, rng: random.Random) -> dict[str, Any]:
    """The lead a project came from: screened in time, admitted before the review."""
    wd, as_of, facts = ctx.wd, ctx.as_of, b.facts
    registered = facts["L"]
    applied: dt.date | None = wd.add(registered, rng.randint(0, 1))
    approved: dt.date | None = wd.add(applied, rng.randint(1, 3))
    if facts["status"] in ("lost", "on_hold") and rng.random() < 0.25:
        approved = None  # stopped before the admission came through
    elif "R" in facts["done"]:  # reviewed: admission came first
        approved = min(approved, facts["R"])
    elif approved > as_of or rng.random() < 0.6:
        approved = None  # still at Initiation: admission pending (no finding yet)
    if applied > as_of:
        applied = approved = None
    return {
        "lead_id": None, "customer": facts["customer"], "source": _source(rng), "registered_date": registered,
        "owner": b.project["account_manager"], "industry": b.project["industry"],
        "estimated_amount": b.project["estimated_amount"],
        "screened_date": min(registered + rng.randint(0, 2) * DAY, as_of),
        "grade": rng.choices(("A", "B"), weights=(7, 3))[0], "result": "converted", "project_id": b.pid,
        "admission_applied": applied, "admission_approved": approved,
        "admission_approver": rng.choice(ctx.team.directors) if approved else None,
    }


def _other_lead(ctx: Context, b: Bundle, rng: random.Random) -> dict[str, Any]:
    """A lead that did not (or not yet) become a project."""
    as_of = ctx.as_of
    customer, industry = rng.choice(ctx.customers)
    registered = as_of - dt.timedelta(days=int(HISTORY_DAYS * rng.random() ** 1.3))
    row: dict[str, Any] = {
        "lead_id": None, "customer": customer, "source": _source(rng), "registered_date": registered,
        "owner": rng.choice(ctx.team.ams), "industry": industry,
        "estimated_amount": max(wan(rng.lognormvariate(math.log(1_200_000), 0.9)), 100_000),
        "screened_date": None, "grade": None, "result": None, "project_id": None,
        "admission_applied": None, "admission_approved": None, "admission_approver": None,
    }
    if (as_of - registered).days <= 2 and rng.random() < 0.6:
        return row  # registered in the last 48 h: screening still due
    grade = rng.choices(("A", "B", "C"), weights=(15, 45, 40))[0]
    result = {"A": "nurture", "B": rng.choice(("nurture", "nurture", "parked")), "C": "parked"}[grade]
    if rng.random() < 0.2:
        result = "dropped"
    row.update(screened_date=min(registered + rng.randint(0, 2) * DAY, as_of), grade=grade, result=result)
    return row


def _source(rng: random.Random) -> str:
    return rng.choices(SOURCES, weights=SOURCE_WEIGHTS)[0]


# ------------------------------------------------------------------------------ visits


def _visits(ctx: Context, bundles: list[Bundle], rng: random.Random) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for b in bundles:
        rows.extend(_project_visits(ctx, b, rng))
    rows.sort(key=lambda r: r["visit_date"])  # a log: in date order
    return rows


def _schedule(ctx: Context, b: Bundle, rng: random.Random) -> tuple[list[dt.date], bool]:
    """The project's visit dates (working days) and whether it is watched for face-to-face."""
    wd, as_of, facts = ctx.wd, ctx.as_of, b.facts
    status, lead = facts["status"], facts["L"]
    if status == "active":
        start, end, gaps = max(lead, as_of - VISIT_MONTHS_DAYS * DAY), as_of + 14 * DAY, (4, 12)
    elif status == "won":
        start, end, gaps = max(lead, as_of - VISIT_MONTHS_DAYS * DAY), as_of + 10 * DAY, (18, 35)
    else:
        cut = facts["cut"]
        if cut < as_of - 2 * VISIT_MONTHS_DAYS * DAY:
            return [], False
        start, end, gaps = max(lead, cut - 60 * DAY), cut, (7, 16)
    days: list[dt.date] = []
    day = wd.on_or_after(start + rng.randint(0, 3) * DAY)
    while day <= end:
        days.append(day)
        day = wd.on_or_after(day + rng.randint(*gaps) * DAY)
    return days, status == "active"


def _project_visits(ctx: Context, b: Bundle, rng: random.Random) -> list[dict[str, Any]]:
    wd, as_of = ctx.wd, ctx.as_of
    days, watched = _schedule(ctx, b, rng)
    if not days:
        return []
    kinds = [rng.choices(KINDS, weights=KIND_WEIGHTS)[0] for _ in days]
    kinds[0] = "in_person"  # the first visit is face to face (首次拜访)
    if watched:  # the monthly face-to-face rule: one in person in the last 25 days
        recent = [i for i, d in enumerate(days) if as_of - FACE_TO_FACE_DAYS * DAY <= d <= as_of]
        if not recent:
            day = max(wd.sub(as_of, rng.randint(1, 12)), days[0])
            if day in days:
                recent = [days.index(day)]
            else:
                days.append(day)
                days.sort()
                kinds.insert(days.index(day), "in_person")
                recent = [days.index(day)]
        if not any(kinds[i] == "in_person" for i in recent):
            kinds[rng.choice(recent)] = "in_person"
    am, ps = b.project["account_manager"], b.project["presales"]
    rows = []
    for i, (day, kind) in enumerate(zip(days, kinds)):
        later = days[i + 1] if i + 1 < len(days) else None
        visitor = ps if ps and kind in ("in_person", "video") and rng.random() < 0.2 else am
        row: dict[str, Any] = {
            "project_id": b.pid, "visit_date": day, "visitor": visitor, "kind": kind,
            "contacts": _contacts(ctx, b, day, kind, rng), "plan_date": _plan(ctx, day, kind, rng),
            "record_date": None, "purpose": rng.choice(PURPOSES[kind]), "outcome": None, "next_step": None,
            "next_date": None,
        }
        if day <= as_of:
            record = day + rng.choice((0, 0, 0, 1)) * DAY
            if record <= as_of:
                row.update(record_date=record, outcome=rng.choice(OUTCOMES))
                if later is not None:
                    row.update(next_step=rng.choice(NEXT_STEPS), next_date=later)
                elif watched:  # agreed, still ahead: an upcoming node
                    row.update(next_step=rng.choice(NEXT_STEPS), next_date=as_of + rng.randint(3, 20) * DAY)
        rows.append(row)
    return rows


def _plan(ctx: Context, day: dt.date, kind: str, rng: random.Random) -> dt.date | None:
    wd = ctx.wd
    if kind == "in_person":
        plan = wd.sub(day, rng.randint(3, 8))
    elif kind == "event":
        plan = wd.sub(day, rng.randint(5, 15))
    elif rng.random() < 0.4:
        plan = wd.sub(day, rng.randint(0, 2))
    else:
        return None
    return plan if plan <= ctx.as_of else None  # not planned yet: due ahead (an upcoming node)


def _contacts(ctx: Context, b: Bundle, day: dt.date, kind: str, rng: random.Random) -> str | None:
    """One to three of the project's stakeholders, typed as people type them."""
    fresh = ctx.as_of - 30 * DAY
    people = [s for s in b.stakeholders if s["name"] and isinstance(s["last_contact"], dt.date)
              and (day <= s["last_contact"] or s["last_contact"] >= fresh)]
    if not people:
        return None
    count = min(len(people), rng.choices((1, 2, 3), weights=(50, 35, 15) if kind == "in_person" else (80, 15, 5))[0])
    names = []
    for s in rng.sample(people, count):
        r = rng.random()
        title = TITLE_AFTER.get(s["level"], "")
        if r < 0.12 and title:
            names.append(s["name"] + title)  # 张伟总
        elif r < 0.22 and title:
            names.append(s["name"][0] + title)  # 王总
        else:
            names.append(s["name"])
    return rng.choice(SEPARATORS).join(names)


# ------------------------------------------------------------------------------ mistakes


def mistakes(ctx: Context, bundles: list[Bundle], rows: dict[str, list[dict[str, Any]]], rng: random.Random,
             times: int) -> None:
    """One broken row per rule per ``times``, each on a project no other of these mistakes uses."""
    as_of, wd = ctx.as_of, ctx.wd
    used: set[str] = set()
    by_pid = {b.pid: b for b in bundles}
    visits: dict[str, list[dict[str, Any]]] = {}
    for row in rows["visits"]:
        visits.setdefault(row["project_id"], []).append(row)
    leads = rows["leads"]
    converted = {r["project_id"]: r for r in leads if r["result"] == "converted"}
    pasted = {pid for pid, n in _counts(r["project_id"] for r in rows["projects"]).items() if n > 1}

    def pick(candidates: list[Any], key: Any = lambda x: x, *, shuffle: bool = True) -> list[Any]:
        """``times`` candidates on projects not used yet, in a seeded order (else in theirs)."""
        candidates = list(candidates)
        if shuffle:
            rng.shuffle(candidates)
        out = []
        for c in candidates:
            pid = key(c)
            if pid in used or pid in pasted:
                continue
            used.add(pid)
            out.append(c)
            if len(out) == times:
                break
        return out

    def past(pid: str) -> list[dict[str, Any]]:
        return [v for v in visits.get(pid, []) if v["visit_date"] <= as_of]

    # LEA-001: screened late, or never screened (a lead of no project: keyed by its own id)
    old = [r for r in leads if r["screened_date"] and r["registered_date"] <= as_of - 10 * DAY]
    for n, lead in enumerate(pick(old, lambda r: r["project_id"] or r["lead_id"])):
        if n % 2 == 0 or lead["result"] == "converted":
            lead["screened_date"] = lead["registered_date"] + (3 + n % 4) * DAY
        else:
            lead.update(screened_date=None, grade=None, result=None)
    # LEA-002: marked converted, project id forgotten
    for lead in pick(list(converted.values()), lambda r: r["project_id"]):
        lead["project_id"] = None
    # LEA-003: a live project past Initiation whose admission was applied for but never approved
    moved = [b for b in bundles if b.active and STAGE_RANK[b.stage] > 0 and b.pid in converted]
    for b in pick(moved, lambda b: b.pid):
        converted[b.pid].update(admission_approved=None, admission_approver=None)
    # PRJ-001: a small deal on the KA ledger, not a strategic benchmark
    small = [b for b in bundles if not b.project["strategic"]]
    for b in pick(small, lambda b: b.pid):
        b.project["estimated_amount"] = wan(rng.uniform(0.4, 0.9) * KA_MIN_AMOUNT)
    # VIS-001: recorded days late, or never recorded
    done = [v for pid in visits for v in past(pid) if v["record_date"] and v["visit_date"] <= as_of - 6 * DAY]
    for n, v in enumerate(pick(done, lambda v: v["project_id"])):
        if n % 2 == 0:
            v["record_date"] = v["visit_date"] + (3 + n % 3) * DAY
        else:
            v.update(record_date=None, outcome=None, next_step=None, next_date=None)
    # VIS-002: an in-person visit planned the day before, or not at all
    met = [v for pid in visits for v in past(pid) if v["kind"] == "in_person" and v["plan_date"]]
    for n, v in enumerate(pick(met, lambda v: v["project_id"])):
        v["plan_date"] = wd.sub(v["visit_date"], 1) if n % 2 == 0 else None
    # VIS-003: a strategic customer (only one project) met in person before, but not for over a month
    alone = [b for b in bundles if b.active and ctx.customer_projects[b.facts["customer"]] == 1 and b.pid in visits]
    rng.shuffle(alone)
    # met in person before the window first (the finding then says when), strategic ones first
    alone.sort(key=lambda b: (not any(v["kind"] == "in_person" and v["visit_date"] < as_of - 35 * DAY
                                      for v in visits[b.pid]), b.project["relationship"] != "strategic"))
    for b in pick(alone, lambda b: b.pid, shuffle=False):
        b.project["relationship"] = "strategic"
        for v in visits[b.pid]:
            if as_of - 35 * DAY <= v["visit_date"] <= as_of and v["kind"] == "in_person":
                v["kind"] = "phone"
    # VIS-004: the follow-up agreed at the last visit never happened
    quiet = [b for b in bundles if b.active and past(b.pid) and past(b.pid)[-1]["record_date"]
             and past(b.pid)[-1]["visit_date"] <= as_of - 6 * DAY]
    for b in pick(quiet, lambda b: b.pid):
        last = past(b.pid)[-1]
        last.update(next_step=last["next_step"] or NEXT_STEPS[0], next_date=last["visit_date"] + 3 * DAY)
    # VIS-005: someone met who is not on the project's stakeholder map
    named = [v for pid in visits for v in past(pid) if v["contacts"] and by_pid[pid].stakeholders]
    for v in pick(named, lambda v: v["project_id"]):
        surnames = {s["name"][0] for s in by_pid[v["project_id"]].stakeholders if s["name"]}
        stranger = person(rng)
        while stranger[0] in surnames:
            stranger = person(rng)
        v["contacts"] = f"{v['contacts']}、{stranger}"


def _counts(values: Any) -> dict[Any, int]:
    out: dict[Any, int] = {}
    for v in values:
        out[v] = out.get(v, 0) + 1
    return out
