"""The 拜访 Visits section of a doer's weekly e-mail (SPEC §7; seed 002 表2, 003 §七).

One compact line per visit matter the reader owns, most urgent first: grade-A / strategic
customers not met in person within ``visit_cadence_days`` (VIS-003), in-person visits still to
plan (VIS-002), visit records owed (VIS-001) and agreed follow-ups (VIS-004). The *items* are the
check's own alerts (findings, and upcoming nodes of the coming week) — so the section can never
disagree with the findings — and the *words* come from the visit row the alert points at (date,
kind, people met), because "11-25 面谈 · 华东电力 (周总)" is what a salesperson recognises.

Each line names the ledger cell to fill. Only a workbook that keeps a 拜访记录 sheet gets the
section: a company that does not track visits hears nothing about them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from kaxl.digest.recipients import DOERS, Contact, Section, SectionLine, _date, _int, _text, categorised

KIND_LABELS = {"in_person": ("面谈", "in person"), "phone": ("电话", "phone"), "video": ("视频", "video"),
               "event": ("活动", "event")}
# section order: the monthly face-to-face rule first (the seeds' hardest line), then the visit chores
RULE_ORDER = {"VIS-003": 0, "VIS-002": 1, "VIS-001": 2, "VIS-004": 3}
RULE_COLUMN = {"VIS-001": "record_date", "VIS-002": "plan_date", "VIS-004": "next_date"}
TONES = {"overdue": "overdue", "due": "due", "open": "open"}


def sections(result: Any, contact: Contact, contacts: list[Contact]) -> list[Section]:
    """The reader's 拜访 Visits section (none when nothing is owed or the ledger keeps no visits)."""
    if contact.role not in DOERS or not result.ledger.keeps("visits") or result.alerts.empty:
        return []
    alerts = result.alerts[result.alerts["rule"].isin(list(RULE_ORDER)) & result.alerts["owner"].eq(contact.name)]
    if alerts.empty:
        return []
    alerts = categorised(alerts, result.as_of)
    if alerts.empty:
        return []
    alerts = alerts.assign(_order=alerts["rule"].map(RULE_ORDER),
                           _cat=alerts["category"].map({"overdue": 0, "due": 1, "open": 2}),
                           _due=pd.to_datetime(alerts["due_date"], errors="coerce"))
    alerts = alerts.sort_values(["_order", "_cat", "_due", "project_id"], kind="stable", na_position="last")
    rows = _visit_rows(result, alerts)
    lines = []
    for alert in alerts.to_dict("records"):
        visit = rows.get((alert["project_id"], alert["cell"]))
        if _still_to_do(alert["rule"], visit, result.as_of):
            lines.append(_line(result, alert, visit))
    return [Section("visits", "拜访", "Visits", tuple(lines))] if lines else []


def _still_to_do(rule: str, visit: dict | None, as_of: dt.date) -> bool:
    """Only what the reader can still do: a record not yet written (not one written late), a plan
    for a visit still ahead (a past visit's missing plan is a slip the action list reports)."""
    if rule not in RULE_COLUMN:
        return True
    if visit is None:
        return rule == "VIS-004"
    if rule in ("VIS-001", "VIS-002") and _day(visit.get(RULE_COLUMN[rule])) is not None:
        return False
    if rule == "VIS-002":
        date = _day(visit.get("visit_date"))
        return date is not None and date >= as_of
    return True


def _visit_rows(result: Any, alerts: pd.DataFrame) -> dict[tuple[str, str], dict]:
    """{(project_id, cell): the visit row} for the visits these alerts point at.

    Only the reader's projects are looked at (a handful of rows), so the cells are computed row
    by row without touching the rest of a 20,000-project ledger's visits.
    """
    ledger = result.ledger
    frame = ledger.frames["visits"]
    pointed = alerts[alerts["rule"].isin(list(RULE_COLUMN))]
    if pointed.empty or frame.empty:
        return {}
    wanted = set(zip(pointed["project_id"], pointed["cell"]))
    mine = frame[frame["project_id"].isin(set(pointed["project_id"]))]
    out: dict[tuple[str, str], dict] = {}
    for index, row in zip(mine.index, mine.to_dict("records")):
        for column in set(RULE_COLUMN.values()):
            cell = ledger.locate("visits", index, column)["cell"]
            if (row["project_id"], cell) in wanted:
                out[(row["project_id"], cell)] = row
    return out


def _line(result: Any, alert: dict, visit: dict | None) -> SectionLine:
    rule, category = alert["rule"], alert["category"]
    customer = _text(alert.get("customer")) or str(alert["project_id"])
    due = _date(alert.get("due_date"))
    days = _int(alert.get("days"))
    when_zh, when_en = _when(category, days, rule == "VIS-002")
    if rule == "VIS-003":
        zh, en = _cadence_text(result, customer, due, category)
    else:
        visit = visit or {}
        head_zh, head_en = _visit_head(customer, visit)
        if rule == "VIS-001":
            zh, en = f"{head_zh}：拜访记录待提交", f"{head_en}: the visit record is owed"
        elif rule == "VIS-002":
            zh, en = f"{head_zh}：拜访计划待制定", f"{head_en}: the visit plan is still to write"
        else:
            step = _text(visit.get("next_step"))
            zh = f"{head_zh}：约定的跟进尚未进行" + (f"（{step}）" if step else "")
            en = f"{head_en}: the agreed follow-up has not happened" + (f" ({step})" if step else "")
    return SectionLine(f"{zh}，{when_zh}。", f"{en}, {when_en}.", project_id=str(alert["project_id"]),
                       cell=_text(alert.get("cell")), due_date=due, tone=TONES.get(category, "open"))


def _day(value: Any) -> dt.date | None:
    """A date of a visit row (NaT — itself a datetime — is no date)."""
    return None if value is None or pd.isna(value) else _date(value)


def _visit_head(customer: str, visit: dict) -> tuple[str, str]:
    """"11-25 面谈 · 华东电力（周总、吴处）" — the visit as its visitor remembers it."""
    date = _day(visit.get("visit_date"))
    kind_zh, kind_en = KIND_LABELS.get(visit.get("kind") or "", ("拜访", "visit"))
    people = _text(visit.get("contacts"))
    people = " ".join(people.split()) if people else None
    when = f"{date:%m-%d} " if date else ""
    return (f"{when}{kind_zh} · {customer}" + (f"（{people}）" if people else ""),
            f"{when}{kind_en} · {customer}" + (f" ({people})" if people else ""))


def _cadence_text(result: Any, customer: str, due: dt.date | None, category: str) -> tuple[str, str]:
    days = int(result.settings.visit_cadence_days)
    if due is None:
        return (f"{customer}：重点客户（A 级或战略合作伙伴）没有面谈拜访记录，须每 {days} 天至少面谈一次",
                f"{customer}: a key customer (grade A or strategic) with no in-person visit on record; "
                f"meet them every {days} days")
    last = due - dt.timedelta(days=days)
    if category == "overdue":
        return (f"{customer}：重点客户上次面谈 {last:%Y-%m-%d}，超过 {days} 天未见面",
                f"{customer}: a key customer last met in person on {last:%Y-%m-%d}, more than {days} days ago")
    return (f"{customer}：重点客户上次面谈 {last:%Y-%m-%d}，须在 {due:%m-%d} 前再次面谈",
            f"{customer}: a key customer last met in person on {last:%Y-%m-%d}; meet them again by {due:%m-%d}")


def _when(category: str, days: int | None, working: bool) -> tuple[str, str]:
    unit_zh, unit_en = ("个工作日", "working day") if working else ("天", "day")
    if category == "overdue" and days:
        return f"已逾期 {days} {unit_zh}", f"{days} {unit_en}{'s' if days != 1 else ''} overdue"
    if days is not None and days < 0:
        return f"还有 {-days} {unit_zh}", f"due in {-days} {unit_en}{'s' if days != -1 else ''}"
    if category == "due":
        return "今天到期", "due today"
    return "请处理", "to fix"
