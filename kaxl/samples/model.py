"""The sample ledger's building blocks: the working-day calendar, the team, one project's
rows (:class:`Bundle`) and the generation context, shared by the generator and the mistakes."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, NamedTuple

from kaxl.samples.words import CITIES, CUSTOMERS, GIVEN, PROVINCES, SURNAMES

DEFAULT_AS_OF = dt.date(2026, 11, 16)
DEFAULT_SEED = 7
HISTORY_DAYS = 540  # ledgers span about 18 months back
SAMPLE_CREATED = dt.datetime(2026, 1, 1)
EMAIL_DOMAIN = "example.com"  # reserved domain: a demo digest can never reach a real person
COMPANY_DAYS = ((dt.date(2026, 12, 31), "holiday", "公司年会（公司调休） company annual meeting"),)
DAY = dt.timedelta(days=1)


class Formula(NamedTuple):
    """A formula cell as someone left it: ``cached`` "" = never calculated, "#N/A" = an error."""

    formula: str
    cached: str = ""


# ------------------------------------------------------------------------------ working days


def _statutory_last_year() -> int:
    try:
        from chinese_calendar.constants import holidays

        return max(holidays).year
    except Exception:  # noqa: BLE001 - no statutory calendar: weekends only
        return 0


LAST_STATUTORY_YEAR = _statutory_last_year()


class Workdays:
    """The working-day calendar the rules count with: company days, then the statutory one.

    A year the statutory calendar does not cover falls back to Monday–Friday; the generator
    then also writes ``calendar_fallback = weekends`` so kaxl counts the same way.
    """

    def __init__(self, company: dict[dt.date, bool]) -> None:
        self.company = company
        self.is_workday = lru_cache(maxsize=None)(self._is_workday)

    def _is_workday(self, day: dt.date) -> bool:
        if day in self.company:
            return self.company[day]
        if day.year <= LAST_STATUTORY_YEAR:
            import chinese_calendar

            return chinese_calendar.is_workday(day)
        return day.weekday() < 5

    def add(self, day: dt.date, n: int) -> dt.date:
        """The n-th working day after ``day`` (``day`` itself not counted); n = 0 → ``day``."""
        step = DAY if n >= 0 else -DAY
        for _ in range(abs(n)):
            day += step
            while not self.is_workday(day):
                day += step
        return day

    def sub(self, day: dt.date, n: int) -> dt.date:
        return self.add(day, -n)

    def on_or_after(self, day: dt.date) -> dt.date:
        while not self.is_workday(day):
            day += DAY
        return day


# ------------------------------------------------------------------------------ people


@dataclass
class Team:
    """Our side: account managers, pre-sales, ops, sales directors, management (通讯录)."""

    ams: list[str]
    pss: list[str]
    cos: list[str]
    directors: list[str]
    management: list[str]
    contacts: list[dict[str, Any]]


def _unique_names(rng: random.Random, count: int) -> list[tuple[str, str]]:
    """``count`` distinct (name, e-mail local part) pairs."""
    pairs = [(s, g) for s in SURNAMES for g in GIVEN]
    rng.shuffle(pairs)
    out: list[tuple[str, str]] = []
    emails: set[str] = set()
    for (sur, sur_py), (given, given_py) in pairs[:count]:
        local = f"{given_py}.{sur_py}"
        n = 2
        while local in emails:
            local, n = f"{given_py}.{sur_py}{n}", n + 1
        emails.add(local)
        out.append((sur + given, local))
    return out


def make_team(rng: random.Random, projects: int) -> Team:
    n_am = min(max(projects // 8, 3), 400)
    sizes = {"AM": n_am, "PS": n_am // 2 + 1, "CO": n_am // 3 + 1, "sales_director": n_am // 6 + 1, "management": 2}
    names = _unique_names(rng, sum(sizes.values()))
    groups: dict[str, list[tuple[str, str]]] = {}
    start = 0
    for role, size in sizes.items():
        groups[role] = names[start:start + size]
        start += size
    management = [n for n, _ in groups["management"]]
    directors = [n for n, _ in groups["sales_director"]]
    contacts: list[dict[str, Any]] = []
    for role, members in groups.items():
        for i, (name, local) in enumerate(members):
            if role == "management":
                manager = None
            elif role == "sales_director":
                manager = management[0]
            elif role == "AM":
                manager = directors[i % len(directors)]
            else:
                manager = management[i % len(management)] if role == "CO" else directors[i % len(directors)]
            contacts.append({"name": name, "role": role, "email": f"{local}@{EMAIL_DOMAIN}", "manager": manager})
    return Team([n for n, _ in groups["AM"]], [n for n, _ in groups["PS"]], [n for n, _ in groups["CO"]],
                directors, management, contacts)


def person(rng: random.Random) -> str:
    return rng.choice(SURNAMES)[0] + rng.choice(GIVEN)[0]


def pick_customers(rng: random.Random, count: int) -> list[tuple[str, str]]:
    """Up to ``count`` distinct (customer, industry) pairs: national brands and regional branches."""
    names: dict[str, str] = {}
    for industry, patterns in CUSTOMERS:
        for pattern in patterns:
            for province in PROVINCES if "{p}" in pattern else ("",):
                for city in CITIES if "{c}" in pattern else ("",):
                    names.setdefault(pattern.format(p=province, c=city), industry)
    pool = list(names.items())
    rng.shuffle(pool)
    return pool[:count]


# ------------------------------------------------------------------------------ one project


@dataclass
class Bundle:
    """One project's rows across the sheets, plus the facts the mistake makers look at."""

    index: int
    pid: str
    fate: str
    facts: dict[str, Any]
    project: dict[str, Any]
    initiation: dict[str, Any] | None = None
    stakeholders: list[dict[str, Any]] = field(default_factory=list)
    bid: dict[str, Any] | None = None
    contracts: list[dict[str, Any]] = field(default_factory=list)
    receivables: list[dict[str, Any]] = field(default_factory=list)
    risks: list[dict[str, Any]] = field(default_factory=list)

    @property
    def stage(self) -> str:
        return self.facts["stage"]

    @property
    def active(self) -> bool:
        return self.facts["status"] == "active"


STAGE_RANK = {"initiation": 0, "proposal": 1, "bidding": 2, "contracting": 3, "payment": 4, "closed": 5}


@dataclass
class Context:
    rng: random.Random
    wd: Workdays
    as_of: dt.date
    team: Team
    customers: list[tuple[str, str]]
    calendar_limit: dt.date  # future working-day deadlines stay inside the known calendar
    id_width: int
    counters: dict[str, int] = field(default_factory=dict)
    customer_projects: dict[str, int] = field(default_factory=dict)  # projects per customer

    def next_id(self, kind: str) -> int:
        self.counters[kind] = self.counters.get(kind, 0) + 1
        return self.counters[kind]


def wan(value: float, step: int = 10_000) -> int:
    return int(round(value / step)) * step



def add_risk(b: Bundle, ctx: Context, category: str, text: str, response: str | None, *, open_: bool,
              likelihood: int | None = None, impact: int | None = None) -> dict[str, Any]:
    rng = ctx.rng
    risk = {
        "risk_id": f"R-{ctx.next_id('risk'):0{ctx.id_width}d}", "project_id": b.pid, "description": text,
        "category": category, "likelihood": likelihood or rng.randint(1, 4), "impact": impact or rng.randint(1, 4),
        "response": response, "owner": b.project["account_manager"] if rng.random() < 0.6 else b.project["presales"],
        "status": "open" if open_ else "closed",
        "review_date": ctx.as_of + dt.timedelta(days=rng.randint(8, 30)) if open_ else b.facts["cut"],
    }
    if risk["owner"] is None:
        risk["owner"] = b.project["account_manager"]
    b.risks.append(risk)
    return risk
