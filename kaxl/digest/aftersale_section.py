"""The after-sale sections of the weekly e-mail (SPEC §7; seeds 001 §(四)(五), 002 §(五), 004 §四).

- 交付经理 DM — 交付 Delivery: every contract they deliver that is still in delivery, with its
  next milestone (late, due this week or planned), then the DEL findings on their contracts
  that someone else must act on (a cost overrun is the AM's, an acceptance invoice the CO's).
  Their own findings are in their action list already.
- 客户成功 CS — 客户健康 Customer health: each of their customers below ``health_threshold``
  (health, trend, whether the retention plan is owed or drawn up), then the assessments due
  (HLT-002's findings and upcoming nodes).
- 销售经理 AM — 签约之后 After the signature: a short view of their accounts (at most
  :data:`AM_LINES` lines): late milestones, customers below the threshold, issues and complaints
  escalated by age — who is on each.

A milestone, a customer or an issue belongs to the person the check's own tables name
(:mod:`kaxl.sop.delivery`, :mod:`kaxl.sop.health`, :mod:`kaxl.sop.issues`): the row's own owner,
else the project's delivery_manager / csm, else the AM — so a blank owner column goes to the AM
and the section can never disagree with the findings. A workbook that keeps none of the three
sheets gets no section. ISS-001's error step reaches management through the escalations
(level 3, :mod:`kaxl.digest.recipients`), not through a section.

The per-run tables are built once per check result (a one-slot cache: every recipient's
e-mail is planned from the same result) and split by person once.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pandas as pd

from kaxl.digest.recipients import DUE_WINDOW_DAYS, Contact, Section, SectionLine, _text

SHEETS = ("delivery", "health", "issues")
AM_LINES = 8  # the AM's section stays short: the DM and the CS have the detail
TONE_ORDER = {"overdue": 0, "due": 1, "open": 2, "good": 3}


@dataclass
class _Facts:
    """What the sections read, split by person (row positions per name)."""

    result: Any
    milestones: pd.DataFrame  # the next open milestone per contract, plus every contract's owner
    contract_findings: pd.DataFrame  # DEL findings: contract_id, rule, owner, cell, severity, texts
    customers: pd.DataFrame  # latest health per customer, with csm, am, project_id, cell
    issues: pd.DataFrame  # open issues and complaints past the first escalation step
    dm_contracts: dict[str, set[str]]
    cs_customers: dict[str, set[str]]
    am_customers: dict[str, set[str]]  # every AM with a project of the customer (as the KPIs count)


_LAST: list[_Facts] = []  # one slot: the facts of the last result asked about


def sections(result: Any, contact: Contact, contacts: list[Contact]) -> list[Section]:
    """The reader's after-sale section (none when they have nothing there or no sheet is kept)."""
    if contact.role not in ("DM", "CS", "AM") or not any(result.ledger.keeps(k) for k in SHEETS):
        return []
    facts = _facts(result)
    if contact.role == "DM":
        lines = _delivery_lines(facts, contact.name)
        return [Section("delivery", "交付", "Delivery", tuple(lines))] if lines else []
    if contact.role == "CS":
        lines = _health_lines(facts, contact.name)
        return [Section("health", "客户健康", "Customer health", tuple(lines))] if lines else []
    lines = _account_lines(facts, contact.name)
    return [Section("aftersale", "签约之后", "After the signature", tuple(lines))] if lines else []


# ------------------------------------------------------------------------------ the facts


def _facts(result: Any) -> _Facts:
    if _LAST and _LAST[0].result is result:
        return _LAST[0]
    from kaxl.contract.calendar import WorkCalendar
    from kaxl.sop.engine import RuleContext

    ctx = RuleContext(result.ledger, result.settings, WorkCalendar.from_ledger(result.ledger, result.settings),
                      result.as_of)
    milestones = _milestone_facts(ctx) if result.ledger.keeps("delivery") else _empty()
    customers = _customer_facts(ctx) if result.ledger.keeps("health") else _empty()
    issues = _issue_facts(ctx) if result.ledger.keeps("issues") else _empty()
    findings = [f for f in result.findings if f.rule.startswith("DEL-")]
    contract_findings = pd.DataFrame({
        "project_id": [f.project_id for f in findings], "rule": [f.rule for f in findings],
        "owner": [f.owner for f in findings], "cell": [f.cell for f in findings],
        "severity": [f.severity for f in findings]})
    dm = _by(milestones, "_owner", "contract_id")
    cs: dict[str, set[str]] = {}
    for column in ("csm", "retention_owner"):
        for name, keys in _by(customers, column, "_customer").items():
            cs.setdefault(name, set()).update(keys)
    am = _by(_customer_projects(ctx), "account_manager", "_customer") if result.ledger.keeps("health") else {}
    facts = _Facts(result, milestones, contract_findings, customers, issues, dm, cs, am)
    _LAST[:] = [facts]
    return facts


def _empty() -> pd.DataFrame:
    return pd.DataFrame()


def _by(frame: pd.DataFrame, column: str, key: str) -> dict[str, set[str]]:
    if frame.empty or column not in frame:
        return {}
    rows = frame[frame[column].notna()]
    return {str(name): set(group[key]) for name, group in rows.groupby(rows[column].astype(str))}


def _milestone_facts(ctx) -> pd.DataFrame:
    """Per milestone: contract, project, customer, owner, AM, done or not, and its cells."""
    from kaxl.sop.delivery import milestone_label, milestones
    from kaxl.sop.nodes import projects_by_id

    rows = milestones(ctx)
    rows = rows[rows["project_id"].notna()].copy()
    if rows.empty:
        return rows
    projects = projects_by_id(ctx.ledger).set_index("project_id")
    rows["customer"] = rows["project_id"].map(projects["customer"])
    rows["label"] = rows["milestone"].map(milestone_label)
    return rows


def _customer_facts(ctx) -> pd.DataFrame:
    from kaxl.sop.health import customers, project_customer

    table = customers(ctx)
    if table.empty:
        return table
    owners = project_customer(ctx)
    out = table.reset_index(drop=True).copy()
    for column in ("project_id", "csm", "account_manager"):
        out[column] = out["_customer"].map(owners[column]).to_numpy(dtype=object)
    out["retention_owner"] = out["retention_owner"].where(out["retention_owner"].notna(), None)
    return out


def _customer_projects(ctx) -> pd.DataFrame:
    from kaxl.sop.health import customer_projects

    rows = customer_projects(ctx)
    return rows[rows["_customer"].notna()]


def _issue_facts(ctx) -> pd.DataFrame:
    from kaxl.sop.issues import issues
    from kaxl.sop.nodes import projects_by_id

    first, second = (int(v) for v in ctx.settings.issue_escalation_days)  # as ISS-001 reads them
    rows = issues(ctx)
    rows = rows[rows["_open"] & rows["raised_date"].notna() & rows["_age"].gt(first)].copy()
    if rows.empty:
        return rows
    rows["_error"] = rows["_age"].gt(second)

    projects = projects_by_id(ctx.ledger).set_index("project_id")
    rows["customer"] = rows["project_id"].map(projects["customer"])
    return rows


# ------------------------------------------------------------------------------ DM


def _next_open(facts: _Facts, contracts: set[str]) -> pd.DataFrame:
    rows = facts.milestones
    if rows.empty:
        return rows
    mine = rows[rows["contract_id"].isin(contracts) & ~rows["_done"] & rows["planned_date"].notna()]
    return mine.sort_values(["planned_date", "_index"], kind="stable").drop_duplicates("contract_id")


def _when(planned: dt.date, as_of: dt.date) -> tuple[str, str, str]:
    """(zh, en, tone) of a milestone's planned date against as-of."""
    days = (planned - as_of).days
    if days < 0:
        return f"已延期 {-days} 天", f"{-days} day{'s' if days != -1 else ''} late", "overdue"
    if days == 0:
        return "今天到期", "due today", "due"
    if days < DUE_WINDOW_DAYS:
        return f"{days} 天后到期", f"due in {days} day{'s' if days != 1 else ''}", "due"
    return f"还有 {days} 天", f"in {days} days", "open"


def _milestone_line(facts: _Facts, row: dict, who: str | None = None) -> SectionLine:
    as_of = facts.result.as_of
    planned = pd.Timestamp(row["planned_date"]).date()
    when_zh, when_en, tone = _when(planned, as_of)
    customer = _text(row.get("customer")) or str(row["project_id"])
    head = f"{row['contract_id']} · {customer}"
    by_zh, by_en = (f"（交付经理 {who}）", f" (delivery manager {who})") if who else ("", "")
    zh = f"{head}：下一里程碑「{row['label']}」{planned:%m-%d}，{when_zh}{by_zh}。"
    en = f"{head}: next milestone {row['label']} on {planned:%m-%d}, {when_en}{by_en}."
    return SectionLine(zh, en, project_id=str(row["project_id"]), cell=_cell(facts, row), due_date=planned,
                       tone=tone)


def _cell(facts: _Facts, row: dict) -> str | None:
    """The milestone's 完成日期 cell (looked up for the lines written only: a handful per person)."""
    return _text(facts.result.ledger.locate("delivery", row["_index"], "actual_date")["cell"])


def _delivery_lines(facts: _Facts, name: str) -> list[SectionLine]:
    from kaxl.contract.rules import rule

    contracts = facts.dm_contracts.get(name, set())
    if not contracts:
        return []
    nxt = _next_open(facts, contracts)
    lines = [_milestone_line(facts, row) for row in nxt.to_dict("records")]
    lines.sort(key=lambda line: (TONE_ORDER[line.tone], line.due_date or dt.date.max))
    # the DEL findings on these contracts that someone else acts on (the DM's own are actions)
    theirs = facts.milestones[facts.milestones["contract_id"].isin(contracts)]
    customer = dict(zip(theirs["project_id"], theirs["customer"]))
    others = facts.contract_findings
    others = others[others["project_id"].isin(set(customer)) & others["owner"].ne(name)] if not others.empty else others
    for f in others.to_dict("records"):
        r = rule(f["rule"])
        owner = _text(f["owner"]) or "—"
        who = _text(customer.get(f["project_id"])) or str(f["project_id"])
        lines.append(SectionLine(f"{who}：{f['rule']} {r.title_zh}（{owner} 跟进）。",
                                 f"{who}: {f['rule']} {r.title_en} ({owner} to act).",
                                 project_id=str(f["project_id"]), cell=_text(f["cell"]),
                                 tone="overdue" if f["severity"] == "error" else "open"))
    return lines


# ------------------------------------------------------------------------------ CS


def _arrow(trend: Any) -> tuple[str, str]:
    if trend is None or pd.isna(trend):
        return "", ""
    value = int(trend)
    arrow = "↑" if value > 0 else "↓" if value < 0 else "→"
    return f"，较上次 {arrow}{abs(value)}", f", {arrow}{abs(value)} since the last one"


def _health_line(facts: _Facts, row: dict, who: bool = False) -> SectionLine:
    settings = facts.result.settings
    threshold = float(settings.health_threshold)
    customer = _text(row.get("customer")) or str(row["_customer"])
    health = int(row["health"])
    trend_zh, trend_en = _arrow(row.get("trend"))
    assessed = pd.Timestamp(row["assessed_date"]).date()
    plan = row.get("retention_plan_date")
    planned = plan is not None and not pd.isna(plan) and pd.Timestamp(plan) >= pd.Timestamp(row["assessed_date"])
    owner = _text(row.get("retention_owner")) or _text(row.get("csm")) or _text(row.get("account_manager"))
    if planned:
        plan_zh = f"挽回计划已于 {pd.Timestamp(plan):%Y-%m-%d} 制定" + (f"（负责人 {owner}）" if owner else "")
        plan_en = f"retention plan drawn up on {pd.Timestamp(plan):%Y-%m-%d}" + (f" (owner {owner})" if owner else "")
        tone = "open"
    else:
        plan_zh = "挽回计划待制定" + (f"（{owner}）" if who and owner else "")
        plan_en = "a retention plan is owed" + (f" ({owner})" if who and owner else "")
        tone = "overdue"
    zh = f"{customer}：健康度 {health}{trend_zh}，低于 {threshold:g}（{assessed:%m-%d} 评估）；{plan_zh}。"
    en = f"{customer}: health {health}{trend_en}, below {threshold:g} (assessed {assessed:%m-%d}); {plan_en}."
    cell = facts.result.ledger.locate("health", row["_index"], "retention_plan_date")["cell"]
    return SectionLine(zh, en, project_id=_text(row.get("project_id")), cell=_text(cell), tone=tone)


def _below(facts: _Facts, keys: set[str]) -> pd.DataFrame:
    """The customers among ``keys`` whose latest health is below the threshold, lowest first."""
    table = facts.customers
    if table.empty or not keys:
        return table.iloc[:0]
    threshold = float(facts.result.settings.health_threshold)
    rows = table[table["_customer"].isin(keys) & table["health"].notna()]
    rows = rows[rows["health"].astype(float) < threshold]
    return rows.sort_values(["health", "_customer"], kind="stable")


def _health_lines(facts: _Facts, name: str) -> list[SectionLine]:
    keys = facts.cs_customers.get(name, set())
    lines = [_health_line(facts, row) for row in _below(facts, keys).to_dict("records")]
    alerts = facts.result.alerts
    if not alerts.empty:
        due = alerts[alerts["rule"].eq("HLT-002") & alerts["owner"].eq(name)]
        due = due.assign(_due=pd.to_datetime(due["due_date"], errors="coerce")).sort_values(["_due", "project_id"])
        for alert in due.to_dict("records"):
            lines.append(_assessment_line(facts, alert))
    return lines


def _assessment_line(facts: _Facts, alert: dict) -> SectionLine:
    as_of = facts.result.as_of
    customer = _text(alert.get("customer")) or str(alert["project_id"])
    due = alert.get("_due")
    due = None if due is None or pd.isna(due) else pd.Timestamp(due).date()
    if alert["kind"] == "finding" or due is None or due < as_of:
        days = int(facts.result.settings.health_review_days)
        zh = f"{customer}：超过 {days} 天未评估健康度，须尽快评估。"
        en = f"{customer}: no health assessment in {days} days; assess it now."
        tone = "overdue"
    else:
        when_zh, when_en, tone = _when(due, as_of)
        zh = f"{customer}：健康度须在 {due:%Y-%m-%d} 前再次评估，{when_zh}。"
        en = f"{customer}: the next health assessment is due by {due:%Y-%m-%d}, {when_en}."
    return SectionLine(zh, en, project_id=str(alert["project_id"]), cell=_text(alert.get("cell")), due_date=due,
                       tone=tone)


# ------------------------------------------------------------------------------ AM


def _account_lines(facts: _Facts, name: str) -> list[SectionLine]:
    lines: list[SectionLine] = []
    rows = facts.milestones
    if not rows.empty:
        mine = set(rows.loc[rows["_am"].eq(name), "contract_id"])
        late = _next_open(facts, mine)
        late = late[late["planned_date"] < pd.Timestamp(facts.result.as_of)]
        lines += [_milestone_line(facts, row, who=_text(row.get("_owner")) if row.get("_owner") != name else None)
                  for row in late.to_dict("records")]
    lines += [_health_line(facts, row, who=True)
              for row in _below(facts, facts.am_customers.get(name, set())).to_dict("records")]
    issues = facts.issues
    if not issues.empty:
        mine = issues[issues["_am"].eq(name)].sort_values(["_age", "_index"], ascending=[False, True], kind="stable")
        lines += [_issue_line(facts, row) for row in mine.to_dict("records")]
    if len(lines) > AM_LINES:
        more = len(lines) - (AM_LINES - 1)
        lines = [*lines[:AM_LINES - 1], SectionLine(f"另有 {more} 项，详见台账。", f"{more} more in the ledger.")]
    return lines


def _issue_line(facts: _Facts, row: dict) -> SectionLine:
    kind_zh, kind_en = ("投诉", "Complaint") if row.get("kind") == "complaint" else ("问题", "Issue")
    customer = _text(row.get("customer")) or str(row["project_id"])
    text = _text(row.get("description"))
    owner = _text(row.get("_owner"))
    age = int(row["_age"])
    step_zh, step_en = ("已升级至管理层", "escalated to management") if row["_error"] else \
        ("已升级至销售经理", "escalated to the account manager")
    what = f"（{text}）" if text else ""
    zh = f"{kind_zh} {row['issue_id']} · {customer}{what}：已开放 {age} 天，{step_zh}" + \
        (f"，责任人 {owner}" if owner else "") + "。"
    en = f"{kind_en} {row['issue_id']} · {customer}" + (f" ({text})" if text else "") + \
        f": open {age} days, {step_en}" + (f", owner {owner}" if owner else "") + "."
    cell = facts.result.ledger.locate("issues", row["_index"], "resolved_date")["cell"]
    return SectionLine(zh, en, project_id=str(row["project_id"]), cell=_text(cell),
                       tone="overdue" if row["_error"] else "due")
