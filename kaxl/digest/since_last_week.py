"""自上周以来 Since last week: the sections that open the digest when a history is kept (SPEC §8).

- everyone who acts (AM / PS / CO / …): the findings they own or whose project they manage —
  new this week, fixed, still open for N weeks (oldest first) — and their own KPIs' changes;
- a sales director: the same for the team, the pipeline movement of the team's projects, and
  every finding open ``stale_finding_weeks`` or longer of an AM who reports to them (an AM with
  no manager in the contacts: every director, so none is lost — the ladder's rule);
- management: portfolio-wide counts and KPI changes, the pipeline waterfall and stage moves,
  and the stale findings of AMs who report to them directly.

Nothing at all when the history has no earlier snapshot (the first week has nothing to compare).
The sections are plain :class:`~kaxl.digest.recipients.Section` lines, so the e-mail and every
chat channel show them the same way. Pure: the history comes with the check result.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from kaxl.digest.recipients import Contact, Section, SectionLine
from kaxl.history.frames import History
from kaxl.history.movement import KpiDelta, Movement, movement
from kaxl.history.pipeline import STAGE_LABELS, STEPS, stage_matrix, waterfall
from kaxl.reports.display import number, percent

LIST_LIMIT = {"person": 10, "team": 8, "management": 5}  # lines per list; the rest is counted
TONE = {"new": "overdue", "fixed": "good", "open": "due", "stale": "overdue"}
KPI_TONE = {"good": "good", "bad": "overdue", "flat": "open", "none": "open"}


def sections(result: Any, contact: Contact, contacts: list[Contact]) -> list[Section]:
    history: History | None = getattr(result, "history", None)
    if history is None or len(history.dates) < 2:
        return []
    weeks = int((result.settings or {}).get("stale_finding_weeks", 3) or 3)
    meta = {k: v for k, v in (result.kpis or {}).items() if isinstance(v, dict)}
    out: list[Section] = []
    if contact.role == "management":
        whole = movement(history, kpi_meta=meta)
        out.append(_since(whole, "management", kpi_rows=whole.kpis))
        out.append(_pipeline(history))
        out.append(_stale(whole, weeks, _reports_of(contact, contacts, management=True)))
    elif contact.role == "sales_director":
        team = {c.name for c in contacts if c.manager == contact.name}
        team_history = _restrict(history, team)
        out.append(_since(movement(team_history, kpi_meta=meta), "team"))
        out.append(_pipeline(team_history, team=True))
        out.append(_stale(movement(history, kpi_meta=meta), weeks, _reports_of(contact, contacts)))
    else:
        mine = movement(history, person=contact.name, kpi_meta=meta)
        out.append(_since(mine, "person", kpi_rows=mine.kpis))
    return [s for s in out if s.lines]


def _reports_of(contact: Contact, contacts: list[Contact], *, management: bool = False) -> set[str]:
    """AMs whose stale findings reach ``contact``: their direct reports, plus (for a director)
    every AM with no manager in the contacts."""
    names = {c.name for c in contacts}
    mine = {c.name for c in contacts if c.manager == contact.name}
    if management:
        return mine
    orphans = {c.name for c in contacts if not c.manager or c.manager not in names}
    return mine | orphans


def _restrict(history: History, people: set[str]) -> History:
    """The part of the history about ``people``'s projects and findings (a director's team)."""
    f, p = history.findings, history.projects
    findings = f[f["owner"].isin(people) | f["account_manager"].isin(people)]
    # a team has no KPI scope of its own (each member has theirs); one placeholder row per
    # snapshot keeps every date visible even in a week the team had nothing
    dates = pd.DataFrame({"as_of": history.dates, "scope": "\x00team"}).reindex(columns=history.kpis.columns)
    return History(findings, p[p["account_manager"].isin(people)], dates)


def _since(m: Movement, scope: str, kpi_rows: tuple[KpiDelta, ...] = ()) -> Section:
    limit = LIST_LIMIT[scope]
    longest = int(m.open_weeks["weeks_open"].max()) if not m.open_weeks.empty else 0
    lines = [SectionLine(
        f"对比 {m.previous:%Y-%m-%d}：新增 {len(m.new)} 项，已解决 {len(m.fixed)} 项，"
        f"持续未解决 {len(m.open_weeks)} 项" + (f"（最长 {longest} 周）" if longest else ""),
        f"against {m.previous:%Y-%m-%d}: {len(m.new)} new, {len(m.fixed)} fixed, {len(m.open_weeks)} still open"
        + (f" (longest {longest} weeks)" if longest else ""), tone="open")]
    lines += [_kpi_line(k) for k in kpi_rows if k.direction in ("up", "down")]
    flat = [k for k in kpi_rows if k.direction == "flat"]
    if flat:  # one line for the KPIs that did not move: each KPI's change, without the noise
        lines.append(SectionLine("持平 → " + "、".join(f"{k.label_zh} {_kpi_value(k.value, k.unit)}" for k in flat),
                                 "Unchanged → " + ", ".join(f"{k.label_en} {_kpi_value(k.value, k.unit)}" for k in flat),
                                 tone="open"))
    lines += _finding_lines(m.new, limit, ("新增", "New"), "new")
    lines += _finding_lines(m.fixed, limit, ("已解决", "Fixed"), "fixed")
    lines += _finding_lines(m.open_weeks, limit, None, "open")
    return Section("since_last_week", "自上周以来", "Since last week", tuple(lines), first=True)


def _finding_lines(frame: pd.DataFrame, limit: int, label: tuple[str, str] | None, kind: str) -> list[SectionLine]:
    lines = []
    for row in frame.head(limit).to_dict("records"):
        if label is None:
            weeks, since = int(row["weeks_open"]), pd.Timestamp(row["first_seen"])
            zh, en = f"持续 {weeks} 周（自 {since:%Y-%m-%d}）", f"Open {weeks} weeks (since {since:%Y-%m-%d})"
        else:
            zh, en = label
        lines.append(SectionLine(
            f"{zh} · {row['rule']} {_text(row['message_zh'])}", f"{en} · {row['rule']} {_text(row['message_en'])}",
            project_id=_text(row["project_id"]) or None, cell=_text(row["cell"]) or None, tone=TONE[kind]))
    rest = len(frame) - limit
    if rest > 0:
        zh, en = label or ("持续未解决", "Still open")
        lines.append(SectionLine(f"{zh}：另有 {rest} 项", f"{en}: {rest} more", tone=TONE[kind]))
    return lines


def _kpi_line(k: KpiDelta) -> SectionLine:
    before, now = _kpi_value(k.previous, k.unit), _kpi_value(k.value, k.unit)
    change = _kpi_change(k)
    verdict = {"good": ("向好", "better"), "bad": ("变差", "worse"), "flat": ("持平", "unchanged")}[k.tone]
    return SectionLine(f"{k.label_zh} {k.arrow} {before} → {now}（{change}，{verdict[0]}）",
                       f"{k.label_en} {k.arrow} {before} → {now} ({change}, {verdict[1]})", tone=KPI_TONE[k.tone])


def _kpi_value(value: float | None, unit: str) -> str:
    if unit == "ratio":
        return percent(value)
    if unit == "yuan":
        return "—" if value is None else f"¥{number(value, 0)}"
    return number(value)


def _kpi_change(k: KpiDelta) -> str:
    delta = k.delta or 0.0
    sign = "+" if delta > 0 else ("−" if delta < 0 else "±")
    if k.unit == "ratio":
        return f"{sign}{number(abs(delta) * 100)} pp"
    if k.unit == "yuan":
        return f"{sign}¥{number(abs(delta), 0)}"
    return f"{sign}{number(abs(delta))}"


def _pipeline(history: History, team: bool = False) -> Section:
    w, matrix = waterfall(history), stage_matrix(history)
    if w.previous is None or (w.start == 0 and w.end == 0 and matrix.moves.empty):
        return Section("pipeline_movement", "商机变动", "Pipeline movement", (), first=True)
    lines = [SectionLine(f"上周在手商机 ¥{number(w.start, 0)} → 本周 ¥{number(w.end, 0)}",
                         f"Open pipeline last week ¥{number(w.start, 0)} → this week ¥{number(w.end, 0)}", tone="open")]
    for key, zh, en, sign in STEPS:
        if w.counts[key]:
            mark = "+" if sign > 0 else "−"
            tone = "good" if sign > 0 or key == "won" else "overdue"
            lines.append(SectionLine(f"{mark} {zh} {w.counts[key]} 个项目 ¥{number(w.parts[key], 0)}",
                                     f"{mark} {en}: {_projects(w.counts[key])} ¥{number(w.parts[key], 0)}", tone=tone))
    if not w.pushed.empty:
        amount = float(w.pushed["amount_now"].sum())
        lines.append(SectionLine(f"预计签约日期推迟 {len(w.pushed)} 个项目 ¥{number(amount, 0)}（金额仍在商机中）",
                                 f"Expected close pushed: {_projects(len(w.pushed))} ¥{number(amount, 0)} "
                                 f"(still in the pipeline)", tone="due"))
        for row in w.pushed.head(LIST_LIMIT["management"]).to_dict("records"):
            times = int(row["times_pushed"])
            lines.append(SectionLine(
                f"{_text(row['customer'])} {pd.Timestamp(row['close_before']):%Y-%m-%d} → "
                f"{pd.Timestamp(row['close_now']):%Y-%m-%d}，累计推迟 {times} 次",
                f"{_text(row['customer'])} {pd.Timestamp(row['close_before']):%Y-%m-%d} → "
                f"{pd.Timestamp(row['close_now']):%Y-%m-%d}, pushed {times} time{'s' if times != 1 else ''} so far",
                project_id=str(row["project_id"]), tone="overdue" if times > 1 else "due"))
    forward, back, idle = matrix.total("forward"), matrix.total("back"), matrix.total("idle")
    lines.append(SectionLine(f"阶段变动：推进 {forward} · 回退 {back} · 未变 {idle}",
                             f"Stage moves: {forward} forward · {back} back · {idle} idle", tone="open"))
    for row in matrix.moves[matrix.moves["move"].eq("back")].head(LIST_LIMIT["management"]).to_dict("records"):
        b, n = STAGE_LABELS[row["stage_before"]], STAGE_LABELS[row["stage_now"]]
        lines.append(SectionLine(f"回退 {_text(row['customer'])}：{b[0]} → {n[0]}",
                                 f"Moved back {_text(row['customer'])}: {b[1]} → {n[1]}",
                                 project_id=str(row["project_id"]), tone="overdue"))
    title = ("团队商机变动", "Team pipeline movement") if team else ("商机变动", "Pipeline movement")
    return Section("pipeline_movement", *title, tuple(lines), first=True)


def _stale(whole: Movement, weeks: int, ams: set[str]) -> Section:
    stale = whole.stale(weeks)
    stale = stale[stale["account_manager"].isin(ams)]
    lines = []
    for row in stale.head(LIST_LIMIT["team"] * 2).to_dict("records"):
        n, since = int(row["weeks_open"]), pd.Timestamp(row["first_seen"])
        lines.append(SectionLine(
            f"{_text(row['account_manager'])} · 持续 {n} 周（自 {since:%Y-%m-%d}）· {row['rule']} {_text(row['message_zh'])}",
            f"{_text(row['account_manager'])} · open {n} weeks (since {since:%Y-%m-%d}) · {row['rule']} "
            f"{_text(row['message_en'])}", project_id=_text(row["project_id"]) or None,
            cell=_text(row["cell"]) or None, tone="overdue"))
    rest = len(stale) - len(lines)
    if rest > 0:
        lines.append(SectionLine(f"另有 {rest} 项", f"{rest} more", tone="overdue"))
    return Section("stale_findings", f"持续 {weeks} 周以上未解决（升级）", f"Open {weeks}+ weeks (escalated to you)",
                   tuple(lines), first=True)


def _projects(count: int) -> str:
    return f"{count} project" + ("" if count == 1 else "s")


def _text(value: Any) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return ""
    return str(value)
