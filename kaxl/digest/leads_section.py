"""The 线索 Leads section of a doer's weekly e-mail (SPEC §7; seed 002 表1).

Alerts are per project (SPEC §5), so a lead that is not linked to a project — not screened
yet, or marked converted with its project_id left blank — has no alert row and would reach
nobody. SPEC §7 gives every LEA finding to the lead's owner (负责人, an AM): this section is
how it reaches them. One line per such lead, most urgent first:

- LEA-001 not screened and past ``lead_screen_days`` (overdue), then the leads whose screening
  falls due this week (the upcoming node the rule cannot raise without a project);
- LEA-002 converted without a project (to fix), and LEA-001 screened late (a slip already made:
  kept, as nobody else will tell the owner).

Leads linked to a project are left out: their findings and upcoming nodes are ordinary alerts
in the owner's action list. The lines are the findings' own messages, so the section never
disagrees with `kaxl check`, and each names the ledger cell to fill. Only a workbook that keeps
a 线索登记 sheet gets the section.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from kaxl.digest.recipients import DOERS, DUE_WINDOW_DAYS, Contact, Section, SectionLine, _text

RULES = ("LEA-001", "LEA-002")
TONE_ORDER = {"overdue": 0, "due": 1, "open": 2}


def sections(result: Any, contact: Contact, contacts: list[Contact]) -> list[Section]:
    """The reader's 线索 Leads section (none when no unlinked lead of theirs needs anything)."""
    if contact.role not in DOERS or not result.ledger.keeps("leads"):
        return []
    lines = [_finding_line(f) for f in result.findings
             if f.rule in RULES and f.project_id is None and f.owner == contact.name]
    lines += _due_this_week(result, contact.name)
    lines.sort(key=lambda line: (TONE_ORDER.get(line.tone, 9), line.due_date or dt.date.max, line.cell or ""))
    return [Section("leads", "线索", "Leads", tuple(lines))] if lines else []


def _finding_line(finding: Any) -> SectionLine:
    missing = finding.rule == "LEA-001" and finding.node_state == "missing"
    return SectionLine(finding.message_zh, finding.message_en, project_id=None, cell=finding.cell,
                       due_date=finding.due_date, tone="overdue" if missing else "open")


def _due_this_week(result: Any, name: str) -> list[SectionLine]:
    """Unlinked leads of ``name`` not screened yet whose screening deadline is in the coming week."""
    ledger = result.ledger
    leads = ledger.frames["leads"]
    if leads.empty:
        return []
    projects = set(ledger.frames["projects"]["project_id"].dropna())
    days = int(result.settings.lead_screen_days)
    start = pd.Timestamp(result.as_of)
    due = leads["registered_date"] + pd.Timedelta(days=days)
    mine = leads["owner"].map(_text).eq(name)
    chosen = leads[mine & leads["screened_date"].isna() & ~leads["project_id"].isin(projects)
                   & due.ge(start) & due.lt(start + pd.Timedelta(days=DUE_WINDOW_DAYS))]
    lines = []
    for index, row in zip(chosen.index, chosen.to_dict("records")):
        deadline = due[index].date()
        left = (deadline - result.as_of).days
        lead, customer = _text(row.get("lead_id")) or "?", _text(row.get("customer"))
        zh = f"线索 {lead}（{customer}）" if customer else f"线索 {lead}"
        en = f"Lead {lead} ({customer})" if customer else f"Lead {lead}"
        when_zh = "今天到期" if left == 0 else f"还有 {left} 天"
        when_en = "due today" if left == 0 else f"due in {left} day{'s' if left != 1 else ''}"
        lines.append(SectionLine(
            f"{zh} 于 {row['registered_date']:%Y-%m-%d} 登记，须在 {deadline:%Y-%m-%d} 前完成初筛（48小时），{when_zh}。",
            f"{en} was registered on {row['registered_date']:%Y-%m-%d} and must be screened by {deadline:%Y-%m-%d} "
            f"(48 h), {when_en}.",
            project_id=None, cell=ledger.locate("leads", index, "screened_date")["cell"], due_date=deadline,
            tone="due"))
    return lines
