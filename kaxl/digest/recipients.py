"""Who gets which digest (SPEC §5): a pure function of the check result and the contacts.

- AM / PS / CO: their own alerts (``owner`` is them) and their upcoming nodes of the coming
  week, grouped by project. The overdue ladder (SPEC §3) also puts every overdue installment of
  a project in front of its AM and its CO, whoever the alert names as owner; other escalations
  (ISS-001's first step, SPEC §7) go to the AM only. DM / CS: their own items likewise.
- sales director: an overview of their team (contacts whose ``manager`` is them) and the
  escalations at level ≥ 2 of that team — the ladder's "plus the AM's manager". Escalations of
  an AM with no manager in the contacts go to every sales director, so none is lost.
- management: the portfolio KPIs against target plus every escalation at level ≥ 3 (and the
  level-2 ones of anyone reporting to them directly, when there is no director in between).

People with nothing to report get no e-mail. No I/O and no clock here: the same plan feeds the
previews, the SMTP sender and the tests.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from kaxl.sop.installments import AGING_BUCKETS, AGING_LABELS

DUE_WINDOW_DAYS = 7  # "this week" = as_of and the six days after it
# People who act on their own items (the owner of an alert), each with their own e-mail.
DOERS = ("AM", "PS", "CO", "DM", "CS")
ROLE_LABELS = {"AM": ("销售经理", "Account manager"), "PS": ("售前", "Pre-sales"), "CO": ("商务", "Commercial ops"),
               "DM": ("交付经理", "Delivery manager"), "CS": ("客户成功", "Customer success"),
               "sales_director": ("销售总监", "Sales director"), "management": ("管理层", "Management")}
CATEGORY_ORDER = {"overdue": 0, "due": 1, "open": 2}
CATEGORY_LABELS = {"overdue": ("逾期", "Overdue"), "due": ("本周到期", "Due this week"), "open": ("待处理", "To fix")}
LEVEL_LABELS = {1: ("L1 销售经理+商务", "L1 AM + CO"), 2: ("L2 升级销售总监", "L2 sales director"),
                3: ("L3 升级管理层", "L3 management"), 4: ("L4 坏账风险/法务", "L4 bad-debt risk, legal")}


@dataclass(frozen=True)
class Contact:
    name: str
    role: str  # AM | PS | CO | DM | CS | sales_director | management
    email: str
    manager: str | None = None

    @property
    def role_label(self) -> tuple[str, str]:
        return ROLE_LABELS.get(self.role, (self.role, self.role))


@dataclass(frozen=True)
class Item:
    """One line of a digest: an alert as the reader needs it."""

    project_id: str
    customer: str
    rule: str
    category: str  # overdue | due | open
    severity: str
    due_date: dt.date | None
    days: int | None
    message_zh: str
    message_en: str
    owner: str | None = None
    escalation_level: int | None = None
    amount: float | None = None
    account_manager: str | None = None
    cell: str | None = None  # the ledger cell to fix (a finding) or to fill (an upcoming node)


@dataclass(frozen=True)
class SectionLine:
    """One line of a :class:`Section`: bilingual text, and where it points in the ledger."""

    text_zh: str
    text_en: str
    project_id: str | None = None
    cell: str | None = None
    due_date: dt.date | None = None
    tone: str = "open"  # overdue | due | open | good: the line's colour in the e-mail and chat


@dataclass(frozen=True)
class Section:
    """A block of a digest beyond the recipient's own actions (visits to plan, the after-sale
    view of their accounts, what changed since last week…): built by the modules named in
    :data:`SECTION_MODULES`, rendered the same way by the e-mail and every chat channel."""

    key: str
    title_zh: str
    title_en: str
    lines: tuple[SectionLine, ...]
    first: bool = False  # True: opens the digest (before the actions); else after them


# Each module exposes ``sections(result, contact, contacts) -> list[Section]`` for one recipient.
SECTION_MODULES: tuple[str, ...] = ("kaxl.digest.since_last_week",  # first: 自上周以来 opens the digest
                                 "kaxl.digest.visits_section",
                                 "kaxl.digest.leads_section",
                                 "kaxl.digest.aftersale_section")


@dataclass(frozen=True)
class ProjectGroup:
    project_id: str
    customer: str
    items: tuple[Item, ...]


@dataclass(frozen=True)
class TeamRow:
    """One team member in a director's overview."""

    name: str
    role: str
    overdue: int
    due: int
    open: int
    overdue_amount: float | None  # None: not an account manager (no portfolio of their own)
    win_rate: float | None
    on_time_collection_rate: float | None


@dataclass(frozen=True)
class KpiRow:
    key: str
    label_zh: str
    label_en: str
    value: float | None
    target: float | None
    status: str | None
    unit: str
    higher_is_better: bool = True


@dataclass(frozen=True)
class Bar:
    """A pure-HTML bar (a table cell with a width): survives Outlook, needs no image."""

    label_zh: str
    label_en: str
    value: float
    pct: int  # 0-100 of the widest bar
    color: str


@dataclass
class Digest:
    """One recipient's e-mail, before rendering."""

    recipient: Contact
    as_of: dt.date
    week: str  # "2026-W47"
    groups: list[ProjectGroup] = field(default_factory=list)
    team: list[TeamRow] = field(default_factory=list)
    escalations: list[Item] = field(default_factory=list)
    kpis: list[KpiRow] = field(default_factory=list)
    aging: list[Bar] = field(default_factory=list)
    collection: list[list[object]] = field(default_factory=list)  # (month, due, received, on time) in 万元
    sections: list[Section] = field(default_factory=list)
    truncated: int = 0  # items left out to keep the e-mail readable (max_items)
    team_overdue: int = 0  # distinct alerts across the team (one installment chased by AM and CO counts once)
    team_due: int = 0

    @property
    def items(self) -> list[Item]:
        return [item for group in self.groups for item in group.items]

    def count(self, category: str) -> int:
        return sum(1 for item in self.items if item.category == category)

    @property
    def overdue(self) -> int:
        """Overdue lines this person must act on: their own plus the escalations they receive."""
        own = self.count("overdue")
        seen = {(i.project_id, i.rule, i.due_date, i.message_en) for i in self.items}
        return own + sum(1 for e in self.escalations if (e.project_id, e.rule, e.due_date, e.message_en) not in seen)

    @property
    def due(self) -> int:
        return self.count("due")

    @property
    def kpis_off_target(self) -> int:
        return sum(1 for k in self.kpis if k.status in ("red", "amber"))

    @property
    def sections_first(self) -> list[Section]:
        return [s for s in self.sections if s.first]

    @property
    def sections_after(self) -> list[Section]:
        return [s for s in self.sections if not s.first]

    @property
    def is_empty(self) -> bool:
        team_news = any(row.overdue or row.due or row.open for row in self.team)
        return not (self.groups or self.escalations or self.kpis or team_news or any(s.lines for s in self.sections))


def iso_week(day: dt.date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def contacts_of(result: Any) -> list[Contact]:
    """People from the 通讯录 Contacts tab with a name and an address (first row of a duplicate)."""
    frame = result.ledger.frames.get("contacts")
    if frame is None or frame.empty:
        return []
    out: dict[str, Contact] = {}
    for name, role, email, manager in zip(frame["name"], frame["role"], frame["email"], frame["manager"]):
        name, email = _text(name), _text(email)
        if not name or not email or "@" not in email or name in out:
            continue
        out[name] = Contact(name, _text(role) or "AM", email, _text(manager))
    return list(out.values())


def plan(result: Any, *, max_items: int = 200) -> list[Digest]:
    """Every non-empty digest for this check result, in contacts order."""
    contacts = contacts_of(result)
    alerts = categorised(result.alerts, result.as_of)
    by_name = {c.name: c for c in contacts}
    co_of = _project_column(result, "commercial_ops")
    week = iso_week(result.as_of)
    desks = _Desks(alerts, co_of)
    has_manager = alerts["account_manager"].map(lambda am: _has_manager(by_name, am))
    digests: list[Digest] = []
    for contact in contacts:
        digest = Digest(contact, result.as_of, week)
        if contact.role in DOERS:
            digest.groups, digest.truncated = _groups(desks.of(contact.name), max_items)
        elif contact.role == "sales_director":
            team = [c for c in contacts if c.manager == contact.name]
            digest.team = _team_rows(result, desks, team)
            on_team = desks.alerts.iloc[sorted({i for person in team for i in desks.positions(person.name)})]
            digest.team_overdue = int(on_team["category"].eq("overdue").sum())
            digest.team_due = int(on_team["category"].eq("due").sum())
            names = {c.name for c in team}
            orphan = ~has_manager
            level2 = alerts["escalation_level"].fillna(0).ge(2)
            chosen = alerts[level2 & (alerts["account_manager"].isin(names) | orphan)]
            digest.escalations = _items(chosen.sort_values(["escalation_level", "days"], ascending=False))
        elif contact.role == "management":
            digest.kpis = kpi_rows(result.kpis)
            digest.aging = aging_bars(result.kpis.get("aging") or {})
            digest.collection = collection_rows(result)
            # every L3+, and L2 of anyone who reports straight to them (no director in between)
            reports = {c.name for c in contacts if c.manager == contact.name}
            level = alerts["escalation_level"].fillna(0)
            chosen = alerts[level.ge(3) | (level.ge(2) & alerts["account_manager"].isin(reports))]
            digest.escalations = _items(chosen.sort_values(["escalation_level", "days"], ascending=False))
        digest.sections = sections_for(result, contact, contacts)
        if not digest.is_empty:
            digests.append(digest)
    return digests


def sections_for(result: Any, contact: Contact, contacts: list[Contact]) -> list[Section]:
    """The sections of one recipient's digest, from every module of :data:`SECTION_MODULES`."""
    import importlib

    out: list[Section] = []
    for name in SECTION_MODULES:
        out += [s for s in importlib.import_module(name).sections(result, contact, contacts) if s.lines]
    return out


def unreached(result: Any) -> list[str]:
    """Alert owners who are not in the contacts (nobody will tell them): the CLI warns about them."""
    names = {c.name for c in contacts_of(result)}
    owners = result.alerts["owner"].dropna().astype(str).unique() if not result.alerts.empty else []
    return sorted(o for o in owners if o not in names)


def categorised(alerts: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """Alerts with a ``category`` (overdue / due this week / to fix); later upcoming nodes dropped.

    Vectorised: a 20,000-project ledger has tens of thousands of alerts.
    """
    frame = alerts.copy()
    if frame.empty:
        frame["category"] = pd.Series(dtype=object)
        return frame
    due = pd.to_datetime(frame["due_date"], errors="coerce")
    start = pd.Timestamp(as_of)
    end = start + pd.Timedelta(days=DUE_WINDOW_DAYS)
    days = pd.to_numeric(frame["days"], errors="coerce")
    is_finding = frame["kind"].eq("finding")
    overdue = is_finding & (days.gt(0) | (due.lt(start) & days.isna()))
    this_week = ~overdue & due.ge(start) & due.lt(end)
    category = pd.Series("open", index=frame.index, dtype=object)
    category[this_week] = "due"
    category[overdue] = "overdue"
    keep = is_finding | this_week  # upcoming nodes beyond the coming week wait for next week
    frame["category"] = category
    frame["escalation_level"] = pd.to_numeric(frame["escalation_level"], errors="coerce")
    frame["days"] = days
    return frame[keep]


class _Desks:
    """What lands on each person's desk: alerts they own, plus (the ladder) every escalated
    overdue alert of a project where they are the AM, and every escalated overdue installment
    (a receivables row) of a project where they are the CO. Other escalations — ISS-001's first
    step, SPEC §7 — go to the AM only: collecting is the CO's part of the ladder, issues are not.

    Grouped once for everybody: one boolean scan per person would be contacts × alerts work
    on a 20,000-project ledger.
    """

    def __init__(self, alerts: pd.DataFrame, co_of: pd.Series) -> None:
        self.alerts = alerts.reset_index(drop=True)
        ladder = self.alerts["escalation_level"].fillna(0).ge(1) & self.alerts["category"].eq("overdue")
        escalated = self.alerts[ladder]
        installments = escalated[escalated["installment"].notna()]  # receivables rows (PAY-003's ladder)
        self._parts = [
            _positions(self.alerts, self.alerts["owner"]),
            _positions(escalated, escalated["account_manager"]),
            _positions(installments, installments["project_id"].map(co_of)),
        ]

    def positions(self, name: str) -> list[int]:
        found: set[int] = set()
        for part in self._parts:
            found.update(part.get(name, ()))
        return sorted(found)

    def of(self, name: str) -> pd.DataFrame:
        return self.alerts.iloc[self.positions(name)]


def _positions(frame: pd.DataFrame, by: pd.Series) -> dict[str, list[int]]:
    """{name: row positions in the full (0..n-1 indexed) alerts frame}."""
    keep = by.notna()
    if not keep.any():
        return {}
    index = pd.Series(frame.index[keep.to_numpy()], dtype="int64")
    return {str(k): list(v) for k, v in index.groupby(by[keep].astype(str).to_numpy()).agg(list).items()}


def _groups(alerts: pd.DataFrame, max_items: int) -> tuple[list[ProjectGroup], int]:
    if alerts.empty:
        return [], 0
    frame = alerts.assign(_cat=alerts["category"].map(CATEGORY_ORDER), _neg_days=-alerts["days"].fillna(0),
                          _due=pd.to_datetime(alerts["due_date"], errors="coerce"))
    frame = frame.sort_values(["_cat", "_neg_days", "_due", "project_id"], kind="stable", na_position="last")
    truncated = max(0, len(frame) - max_items)
    frame = frame.head(max_items)
    # projects in the order of their most urgent line; rows turned into Items once (to_dict per
    # group would dominate the run time on a 20,000-project ledger)
    by_project: dict[str, list[Item]] = {}
    for item in _items(frame):
        by_project.setdefault(item.project_id, []).append(item)
    groups = [ProjectGroup(pid, items[0].customer, tuple(items)) for pid, items in by_project.items()]
    return groups, truncated


def _items(frame: pd.DataFrame) -> list[Item]:
    out = []
    for row in frame.to_dict("records"):
        out.append(Item(
            project_id=str(row["project_id"]), customer=_text(row.get("customer")) or "",
            rule=str(row["rule"]), category=str(row["category"]), severity=str(row["severity"]),
            due_date=_date(row.get("due_date")), days=_int(row.get("days")),
            message_zh=_text(row.get("message_zh")) or "", message_en=_text(row.get("message_en")) or "",
            owner=_text(row.get("owner")), escalation_level=_int(row.get("escalation_level")),
            amount=_float(row.get("amount")), account_manager=_text(row.get("account_manager")),
            cell=_text(row.get("cell"))))
    return out


def _team_rows(result: Any, desks: _Desks, team: list[Contact]) -> list[TeamRow]:
    rows = []
    by_manager = getattr(result, "kpis_by_manager", {}) or {}
    for person in team:  # the same selection as the member's own e-mail, so the numbers agree
        theirs = desks.of(person.name)
        kpis = by_manager.get(person.name, {})  # the very numbers the summary workbook shows
        rows.append(TeamRow(
            person.name, person.role, int(theirs["category"].eq("overdue").sum()), int(theirs["category"].eq("due").sum()),
            int(theirs["category"].eq("open").sum()), _float((kpis.get("overdue_amount") or {}).get("value")),
            _float((kpis.get("win_rate") or {}).get("value")),
            _float((kpis.get("on_time_collection_rate") or {}).get("value"))))
    return rows


def kpi_rows(kpis: dict[str, Any]) -> list[KpiRow]:
    """The KPIs that have a target (aging and pipeline are shown as bars, not tiles)."""
    rows = []
    for key, kpi in kpis.items():
        if not isinstance(kpi, dict) or "target" not in kpi:
            continue
        rows.append(KpiRow(key, str(kpi.get("label_zh", key)), str(kpi.get("label_en", key)), _float(kpi.get("value")),
                           _float(kpi.get("target")), kpi.get("status"), str(kpi.get("unit", "")),
                           bool(kpi.get("higher_is_better", True))))
    return rows


AGING_COLORS = {"not_due": "#8fb3d9", "d1_30": "#f2c14e", "d31_60": "#f08a3c", "d61_90": "#e0533d", "d90_plus": "#9e1b1b"}


def collection_rows(result: Any, months: int = 6) -> list[list[object]]:
    """The last ``months`` due months' collection for management's chart (the summary's numbers)."""
    receivables = getattr(result, "receivables", None)
    if receivables is None or receivables.empty:
        return []
    from kaxl.reports.summary_data import monthly_collection_rows

    return monthly_collection_rows(receivables, result.as_of, months=months)


def aging_bars(aging: dict[str, float]) -> list[Bar]:
    values = {key: float(aging.get(key) or 0.0) for key in AGING_BUCKETS}
    top = max(values.values(), default=0.0)
    if top <= 0:
        return []
    return [Bar(*AGING_LABELS[key], values[key], round(100 * values[key] / top), AGING_COLORS[key])
            for key in AGING_BUCKETS]


def _has_manager(by_name: dict[str, Contact], am: Any) -> bool:
    """True when this AM's escalations already reach a manager in the contacts."""
    person = by_name.get(am) if isinstance(am, str) else None
    return bool(person and person.manager and person.manager in by_name)


def _project_column(result: Any, column: str) -> pd.Series:
    projects = result.ledger.frames["projects"]
    projects = projects[projects["project_id"].notna()].drop_duplicates("project_id")
    return projects.set_index("project_id")[column]


def _text(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return None
    text = str(value).strip()
    return text or None


def _int(value: Any) -> int | None:
    try:
        return None if value is None or pd.isna(value) else int(value)
    except (TypeError, ValueError):
        return None


def _float(value: Any) -> float | None:
    try:
        return None if value is None or pd.isna(value) else float(value)
    except (TypeError, ValueError):
        return None


def _date(value: Any) -> dt.date | None:
    if value is None or (not isinstance(value, dt.date) and pd.isna(value)):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return pd.Timestamp(value).date()
