"""The check: ledger frames + settings + as_of → findings, alerts, scores, KPIs.

Everything here is a pure function of its inputs (no clock, no I/O): the CLI, the Excel
buttons, the summary and the digest all call :func:`run_check` on a ledger they read once.
"""

from __future__ import annotations

import datetime as dt
import importlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from kaxl.contract.columns import ROLE_COLUMNS
from kaxl.contract.findings import SEVERITY_ORDER, Finding
from kaxl.reading.ledger import Ledger
from kaxl.sop.owner_roles import contact_roles, owner_role

SCHEMA_VERSION = "1.0"

# The SOP rule modules, in SOP order. Each exposes ``run(ctx: RuleContext) -> RuleOutput`` and
# may name the optional sheets (SPEC §7) its rules are about in ``NEEDS``: it runs only when the
# workbook keeps them all (there, with a row: Ledger.keeps), so a company that does not keep a
# sheet, or has not started the template's empty tab, gets no finding about it.
SOP_MODULES = (
    "kaxl.validators.initiation",
    "kaxl.validators.stakeholders",
    "kaxl.validators.proposal",
    "kaxl.validators.bids",
    "kaxl.validators.contracts",
    "kaxl.validators.renewals",
    "kaxl.validators.receivables",
    "kaxl.validators.risks",
    "kaxl.validators.projects",
    "kaxl.validators.leads",
    "kaxl.validators.visits",
    "kaxl.validators.delivery",
    "kaxl.validators.health",
    "kaxl.validators.issues",
)

ALERT_COLUMNS = [
    "project_id", "customer", "rule", "kind", "severity", "owner_role", "owner", "due_date", "days",
    "contract_id", "installment", "escalation_level", "amount", "message_zh", "message_en",
    "account_manager", "cell",
]


@dataclass
class Upcoming:
    """A node whose deadline is still ahead: not a finding, an alert "due in N working days"."""

    project_id: str
    rule: str
    owner_role: str
    owner: str | None
    due_date: dt.date
    days: int  # negative: days ahead (working days for working-day rules, calendar otherwise)
    message_zh: str
    message_en: str
    cell: str | None = None
    contract_id: str | None = None
    installment: int | None = None
    amount: float | None = None


@dataclass
class RuleContext:
    ledger: Ledger
    settings: Any  # kaxl.contract.settings.Settings
    calendar: Any  # kaxl.contract.calendar.WorkCalendar
    as_of: dt.date
    cache: dict[str, Any] = field(default_factory=dict)  # tables several rules share (node table…)

    def shared(self, name: str, build: Any) -> Any:
        """Compute a derived table once per run (e.g. the node table used by rules, scores, KPIs)."""
        if name not in self.cache:
            self.cache[name] = build(self)
        return self.cache[name]


@dataclass
class RuleOutput:
    findings: list[Finding] = field(default_factory=list)
    upcoming: list[Upcoming] = field(default_factory=list)


@dataclass
class CheckResult:
    as_of: dt.date
    ledger: Ledger
    settings: Any
    findings: list[Finding]  # sorted by Finding.sort_key (severity, file, sheet, row): what every output lists
    alerts: pd.DataFrame
    projects: pd.DataFrame
    receivables: pd.DataFrame
    kpis: dict[str, Any]
    kpis_by_manager: dict[str, dict[str, Any]]
    deductions: pd.DataFrame = field(default_factory=pd.DataFrame)
    # kaxl.history.frames.History when a history store is configured (SPEC §8), set by the
    # commands after recording this run's snapshot; None otherwise (no since-last-week views).
    history: Any = None
    # The run's RuleContext, its shared tables cached (milestones, customers' health, issues…): the
    # summary's tabs read them instead of computing them again (None for a result built elsewhere).
    context: Any = field(default=None, repr=False, compare=False)

    @property
    def counts(self) -> dict[str, int]:
        counts = {"error": 0, "warning": 0, "info": 0}
        for finding in self.findings:
            counts[finding.severity] = counts.get(finding.severity, 0) + 1
        return counts

    @property
    def exit_code(self) -> int:
        """0 clean, 1 errors found (SPEC §5); 2 is raised before a result exists."""
        return 1 if self.counts["error"] else 0


def run_check(ledger: Ledger, as_of: dt.date, *, kpis: bool = True) -> CheckResult:
    """Every rule of SPEC §3 and every computed value of §4, on an already-read ledger.

    ``kpis=False`` leaves the KPIs out (empty dicts): for an output that shows none of them, such
    as the annotated copy, they are work nobody reads."""
    from kaxl.sop import enrich
    from kaxl.sop import kpis as kpi_values
    from kaxl.validators.references import no_data_yet, validate_references
    from kaxl.validators.schema import validate_schema

    settings, calendar, setup_findings = _settings_and_calendar(ledger)
    ctx = RuleContext(ledger, settings, calendar, as_of)
    findings: list[Finding] = [*ledger.findings, *validate_schema(ledger), *validate_references(ledger),
                               *no_data_yet(ledger), *setup_findings]
    upcoming: list[Upcoming] = []
    for name in SOP_MODULES:  # imported here, not at the top: the Excel button's import stays light
        module = importlib.import_module(name)
        if not all(ledger.keeps(key) for key in getattr(module, "NEEDS", ())):
            continue
        output = module.run(ctx)
        findings += output.findings
        upcoming += output.upcoming
    findings += calendar.findings()
    findings = attach_owners(ledger, dedupe(findings))
    findings.sort(key=Finding.sort_key)
    projects = enrich.projects(ctx, findings)
    receivables = enrich.receivables(ctx)
    portfolio = kpi_values.portfolio_kpis(ctx, projects, receivables) if kpis else {}
    by_manager = kpi_values.kpis_by_manager(ctx, projects, receivables) if kpis else {}
    return CheckResult(as_of, ledger, settings, findings, build_alerts(ledger, findings, upcoming), projects,
                       receivables, portfolio, by_manager, enrich.deductions(ctx, findings), context=ctx)


def _settings_and_calendar(ledger: Ledger):
    from kaxl.contract.calendar import WorkCalendar
    from kaxl.contract.settings import read_settings

    settings, findings = read_settings(ledger)
    calendar = WorkCalendar.from_ledger(ledger, settings)
    findings += calendar.setup_findings
    return settings, calendar, findings


def dedupe(findings: list[Finding]) -> list[Finding]:
    """One finding per problem: on one cell, a schema rule keeps only its most specific finding.

    An unreadable value (SCH-004) or an uncached formula (SCH-010) also leaves the cell empty,
    which would otherwise be reported again as "required cell empty" (SCH-003).
    """
    specific = {(f.file, f.cell) for f in findings if f.rule in ("SCH-004", "SCH-010") and f.cell}
    seen: set[tuple] = set()
    out: list[Finding] = []
    for finding in findings:
        if finding.rule == "SCH-003" and (finding.file, finding.cell) in specific:
            continue
        key = (finding.rule, finding.file, finding.cell, finding.project_id, finding.message_en)
        if key in seen:
            continue
        seen.add(key)
        out.append(finding)
    return out


def attach_owners(ledger: Ledger, findings: list[Finding]) -> list[Finding]:
    """Give every finding on a project's row its project_id and the person who owns the fix, and
    the owner_role of that person (their Contacts role, see kaxl.sop.owner_roles).

    Lookups are dicts built column-wise (row → project only for the rows where some finding
    lacks a project): a ``DataFrame.loc`` per finding and a Python pass over every ledger row
    cost over a second on a 20,000-project ledger.
    """
    projects = _projects_by_id(ledger)
    roles = contact_roles(ledger)
    needed: dict[tuple[str | None, str], set[int]] = {}
    for f in findings:
        if f.project_id is None and f.sheet is not None and f.row is not None:
            needed.setdefault((f.file, f.sheet), set()).add(f.row)
    row_project = _row_projects(ledger, needed) if needed else {}
    owners: dict[str, dict[str, str | None]] = {}

    def owner_of(project_id: str, role: str) -> str | None:
        column = ROLE_COLUMNS.get(role, "account_manager")
        if column not in owners:
            owners[column] = _owners(projects, column)
        return owners[column].get(project_id)

    out: list[Finding] = []
    for finding in findings:
        project_id = finding.project_id
        if project_id is None and finding.sheet is not None and finding.row is not None:
            rows = row_project.get((finding.file, finding.sheet))
            project_id = rows.get(finding.row) if rows is not None else None
        owner = finding.owner
        if owner is None and project_id is not None and finding.owner_role:
            owner = owner_of(project_id, finding.owner_role)
        role = owner_role(finding.owner_role, owner, roles)
        if project_id != finding.project_id or owner != finding.owner or role != finding.owner_role:
            finding = finding.with_owner(project_id, role, owner)
        out.append(finding)
    return out


def _row_projects(ledger: Ledger, needed: dict[tuple[str | None, str], set[int]]
                  ) -> dict[tuple[str | None, str], dict[int, str]]:
    """(file, sheet title) → {Excel row → project_id} for the ``needed`` rows of each sheet that
    name a project (only the rows some finding is on are looked at, not every ledger row)."""
    contract_project = dict(zip(ledger.frames["contracts"]["contract_id"], ledger.frames["contracts"]["project_id"]))
    row_project: dict[tuple[str | None, str], dict[int, str]] = {}
    for key, frame in ledger.frames.items():
        wanted = [(src_id, source) for src_id, source in enumerate(ledger.sources[key])
                  if (source.file, source.title) in needed]
        if frame.empty or not wanted:
            continue
        if "project_id" in frame.columns:
            ids = frame["project_id"].to_numpy(dtype=object)
        elif key == "receivables":
            ids = frame["contract_id"].map(contract_project).to_numpy(dtype=object)
        else:
            continue
        srcs = frame["_src"].to_numpy()
        rows = frame["_row"].to_numpy()
        for src_id, source in wanted:
            sheet_key = (source.file, source.title)
            here = np.flatnonzero((srcs == src_id) & np.isin(rows, list(needed[sheet_key])))
            row_project[sheet_key] = {row: pid for row, pid in zip(rows[here].tolist(), ids[here].tolist())
                                      if isinstance(pid, str)}
    return row_project


def _owners(projects: pd.DataFrame, column: str) -> dict[str, str | None]:
    """project_id → the person in ``column``, else the account manager, else None."""
    am = projects["account_manager"].to_numpy(dtype=object)
    person = projects[column].to_numpy(dtype=object) if column in projects.columns else am
    chosen = [p if isinstance(p, str) else (a if isinstance(a, str) else None) for p, a in zip(person, am)]
    return dict(zip(projects.index, chosen))


def _projects_by_id(ledger: Ledger) -> pd.DataFrame:
    """Projects indexed by id (first row of a duplicated id; rows without an id left out)."""
    projects = ledger.frames["projects"]
    return projects[projects["project_id"].notna()].drop_duplicates("project_id").set_index("project_id")


def build_alerts(ledger: Ledger, findings: list[Finding], upcoming: list[Upcoming]) -> pd.DataFrame:
    """Findings someone must act on (SOP rules, not schema hygiene) plus upcoming nodes."""
    projects = _projects_by_id(ledger)
    roles = contact_roles(ledger)
    # Rows as lists in ALERT_COLUMNS order, NaN where a kind has no value (customer and AM are
    # filled below): the same cells a list of dicts would give pandas, without a dict per alert.
    nan = np.nan
    rows: list[list[Any]] = []
    for f in findings:
        if f.rule.startswith(("SCH-", "SET-", "CAL-")) or f.severity == "info" or f.project_id is None:
            continue
        rows.append([f.project_id, nan, f.rule, "finding", f.severity, f.owner_role, f.owner, f.due_date, f.days,
                     f.contract_id, f.installment, f.escalation_level, f.amount, f.message_zh, f.message_en,
                     nan, f.cell])
    for u in upcoming:
        rows.append([u.project_id, nan, u.rule, "upcoming", "info", owner_role(u.owner_role, u.owner, roles), u.owner,
                     u.due_date, u.days, u.contract_id, u.installment, nan, u.amount, u.message_zh, u.message_en,
                     nan, u.cell])
    alerts = pd.DataFrame(rows, columns=ALERT_COLUMNS)
    for column in ("days", "installment", "escalation_level"):  # whole numbers in JSON, not 2.0
        alerts[column] = alerts[column].astype("Int64")
    if alerts.empty:
        return alerts
    alerts["customer"] = alerts["project_id"].map(projects["customer"]) if not projects.empty else None
    alerts["account_manager"] = alerts["project_id"].map(projects["account_manager"]) if not projects.empty else None
    alerts["_sev"] = alerts["severity"].map(SEVERITY_ORDER)
    alerts = alerts.sort_values(["_sev", "due_date", "project_id"], na_position="last", kind="stable")
    return alerts.drop(columns="_sev").reset_index(drop=True)


def result_json(result: CheckResult) -> dict[str, Any]:
    """The JSON document of SPEC §5."""
    from kaxl.reports.jsonout import to_document

    return to_document(result)
