"""拜访记录 Visits: VIS-001..005 (SPEC §7; seed 002 表2 and 003 §七).

VIS-001 a visit is recorded within ``visit_record_days`` calendar days (24 h) · VIS-002 an
in-person visit is planned ``visit_plan_days`` working days ahead (调休 calendar) · VIS-003 an
active grade-A or strategic customer is met in person every ``visit_cadence_days`` (see
:mod:`kaxl.sop.visits` for what is watched) · VIS-004 an agreed follow-up (next_date) happens ·
VIS-005 the people met are on the project's stakeholder map (see :mod:`kaxl.sop.contact`).

A deadline still ahead is an upcoming node ("visit on 11-25 needs a plan by 11-20"), never a
finding. The visitor owns VIS-001/002/004 (else the project's AM), the AM owns VIS-003, the
ledger keeper (CO) VIS-005. Visit rows of an unknown project are SCH-007's, not judged here.
"""

from __future__ import annotations

import pandas as pd

from kaxl.sop.contact import unmatched_names
from kaxl.sop.engine import RuleContext, RuleOutput, Upcoming
from kaxl.sop.installments import days_en, rows_of
from kaxl.sop.visits import cadence, lookup, visits
from kaxl.validators._common import as_date, finding, iso, owner, where

NEEDS = ("visits",)
UPCOMING_DAYS = 7  # a customer whose monthly meeting falls due within a week is an upcoming node
# The columns every visit message reads (each rule adds its dates): rows_of converts only these.
VISIT = ("project_id", "visit_date", "kind", "visitor", "_index")
KIND_ZH = {"in_person": "面谈", "phone": "电话", "video": "视频", "event": "活动"}


def run(ctx: RuleContext) -> RuleOutput:
    output = RuleOutput()
    rows = visits(ctx)
    if not rows.empty:
        _records(ctx, rows, output)
        _plans(ctx, rows, output)
        _follow_ups(ctx, rows, output)
        output.findings += _strangers(ctx)
    _cadence(ctx, output)
    return output


def visitor(ctx: RuleContext, row: dict) -> str | None:
    """The visitor owns their visit's findings; a blank visitor leaves them to the AM."""
    return row["visitor"] or owner(ctx, row["project_id"], "AM")


def _what(row: dict) -> tuple[str, str]:
    kind = row["kind"]
    return (f"{iso(row['visit_date'])} 的{KIND_ZH.get(kind, '')}拜访",
            f"The {kind.replace('_', '-') + ' ' if kind else ''}visit of {iso(row['visit_date'])}")


# ------------------------------------------------------------------------------ VIS-001 record


def _records(ctx: RuleContext, rows: pd.DataFrame, output: RuleOutput) -> None:
    days = int(ctx.settings.visit_record_days)
    as_of = pd.Timestamp(ctx.as_of)
    rows = rows.loc[rows["visit_date"].notna(), [*VISIT, "record_date"]]  # only what VIS-001 reads
    rows["_due"] = rows["visit_date"] + pd.Timedelta(days=days)
    recorded = rows["record_date"]
    rule_zh, rule_en = f"拜访后 {days} 天内（24小时）", f"within {days_en(days)} (24 h)"
    for row in rows_of(rows[recorded.notna() & (recorded > rows["_due"])], (*VISIT, "_due", "record_date")):
        over = (row["record_date"] - row["_due"]).days
        zh, en = _what(row)
        output.findings.append(finding(
            ctx, "VIS-001",
            f"{zh}应在 {iso(row['_due'])} 前记录（{rule_zh}），实际记录日期 {iso(row['record_date'])}，晚 {over} 天。"
            "请拜访后 24 小时内提交拜访记录。",
            f"{en} was due to be recorded by {iso(row['_due'])} ({rule_en}) but was recorded on "
            f"{iso(row['record_date'])}, {days_en(over)} late. Record visits within 24 hours.",
            key="visits", index=row["_index"], column="record_date", project_id=row["project_id"],
            owner_name=visitor(ctx, row), due_date=as_date(row["_due"]), days=over, node_state="late"))
    happened = recorded.isna() & (rows["visit_date"] <= as_of)
    for row in rows_of(rows[happened & (rows["_due"] < as_of)], (*VISIT, "_due")):
        over = (as_of - row["_due"]).days
        zh, en = _what(row)
        person = visitor(ctx, row)
        output.findings.append(finding(
            ctx, "VIS-001",
            f"{zh}应在 {iso(row['_due'])} 前记录（{rule_zh}），至今没有记录日期，已逾期 {over} 天。"
            f"请{person or '拜访人'}补写拜访结果与下一步，并填写「记录日期」。",
            f"{en} was due to be recorded by {iso(row['_due'])} ({rule_en}); it has no record date, "
            f"{days_en(over)} overdue. {person or 'The visitor'}: write up the outcome and next step and date it.",
            key="visits", index=row["_index"], column="record_date", project_id=row["project_id"],
            owner_name=person, due_date=as_date(row["_due"]), days=over, node_state="missing"))
    for row in rows_of(rows[happened & (rows["_due"] >= as_of)], (*VISIT, "_due")):
        left = (row["_due"] - as_of).days
        zh, en = _what(row)
        output.upcoming.append(Upcoming(
            project_id=row["project_id"], rule="VIS-001", owner_role="AM", owner=visitor(ctx, row),
            due_date=as_date(row["_due"]), days=-left,
            message_zh=f"{zh}须在 {iso(row['_due'])} 前记录（{rule_zh}），{'今天到期' if left == 0 else f'{left} 天后到期'}。",
            message_en=f"{en} must be recorded by {iso(row['_due'])} ({rule_en}), "
                       f"{'due today' if left == 0 else f'due in {days_en(left)}'}.",
            cell=where(ctx, "visits", row["_index"], "record_date")["cell"]))


# ------------------------------------------------------------------------------ VIS-002 plan


def _plans(ctx: RuleContext, rows: pd.DataFrame, output: RuleOutput) -> None:
    days = int(ctx.settings.visit_plan_days)
    as_of = pd.Timestamp(ctx.as_of)
    rows = rows.loc[rows["kind"].eq("in_person") & rows["visit_date"].notna(), [*VISIT, "plan_date"]]
    if rows.empty:
        return
    rows["_due"] = ctx.calendar.shift_series(rows["visit_date"], -days)
    rows = rows[rows["_due"].notna()]  # a year no calendar knows: CAL-001 says so
    planned = rows["plan_date"]
    rule_zh, rule_en = f"拜访前 {days} 个工作日", f"{days} working days before the visit"
    late = rows[planned.notna() & (planned > rows["_due"])].copy()
    if not late.empty:
        late["_late"] = ctx.calendar.between_series(late["_due"], late["plan_date"])
    for row in rows_of(late, (*VISIT, "_due", "plan_date", "_late")):
        over = row["_late"]
        late_zh = f"，晚 {over} 个工作日" if over is not None else ""
        late_en = f", {days_en(over).replace('day', 'working day')} late" if over is not None else ""
        zh, en = _what(row)
        output.findings.append(finding(
            ctx, "VIS-002",
            f"{zh}应不晚于 {iso(row['_due'])} 制定拜访计划（{rule_zh}），实际计划日期 {iso(row['plan_date'])}{late_zh}。"
            "请提前 3 个工作日制定《客户拜访计划》（目标、议程、问题清单）。",
            f"{en} needed a plan by {iso(row['_due'])} ({rule_en}) but was planned on {iso(row['plan_date'])}"
            f"{late_en}. Plan in-person visits (goal, agenda, questions) ahead.",
            key="visits", index=row["_index"], column="plan_date", project_id=row["project_id"],
            owner_name=visitor(ctx, row), due_date=as_date(row["_due"]), days=over, node_state="late"))
    missing = rows[planned.isna() & (rows["_due"] < as_of)]
    for row in rows_of(missing, (*VISIT, "_due")):
        over = ctx.calendar.workdays_between(as_date(row["_due"]), ctx.as_of)
        zh, en = _what(row)
        done = row["visit_date"] <= as_of
        fix_zh = "请补填计划日期；今后面谈须提前制定拜访计划。" if done else "请尽快制定拜访计划并填写「计划日期」。"
        fix_en = "Fill in the plan date; plan in-person visits ahead from now on." if done else \
            "Plan it now and fill in the plan date."
        output.findings.append(finding(
            ctx, "VIS-002",
            f"{zh}没有计划日期：应不晚于 {iso(row['_due'])} 制定拜访计划（{rule_zh}）。{fix_zh}",
            f"{en} has no plan date: it needed a plan by {iso(row['_due'])} ({rule_en}). {fix_en}",
            key="visits", index=row["_index"], column="plan_date", project_id=row["project_id"],
            owner_name=visitor(ctx, row), due_date=as_date(row["_due"]), days=over, node_state="missing"))
    for row in rows_of(rows[planned.isna() & (rows["_due"] >= as_of)], (*VISIT, "_due")):
        ahead = ctx.calendar.workdays_between(ctx.as_of, as_date(row["_due"]))
        if ahead is None:
            continue
        when_zh = "今天到期" if ahead == 0 else f"还有 {ahead} 个工作日"
        when_en = "due today" if ahead == 0 else f"due in {days_en(ahead).replace('day', 'working day')}"
        visit = as_date(row["visit_date"])
        output.upcoming.append(Upcoming(
            project_id=row["project_id"], rule="VIS-002", owner_role="AM", owner=visitor(ctx, row),
            due_date=as_date(row["_due"]), days=-ahead,
            message_zh=f"{visit:%m-%d} 的面谈拜访须在 {iso(row['_due'])} 前制定计划（{rule_zh}），{when_zh}。",
            message_en=f"The visit on {visit:%m-%d} needs a plan by {iso(row['_due'])} ({rule_en}), {when_en}.",
            cell=where(ctx, "visits", row["_index"], "plan_date")["cell"]))


# ------------------------------------------------------------------------------ VIS-003 cadence


def _cadence(ctx: RuleContext, output: RuleOutput) -> None:
    table = cadence(ctx)
    watched = table[table["watched"]]
    if watched.empty:
        return
    days = int(ctx.settings.visit_cadence_days)
    as_of = pd.Timestamp(ctx.as_of)
    from kaxl.sop.visits import grade

    grades = grade(ctx)
    for row in rows_of(watched[~watched["met"]]):
        why_zh, why_en = _why(ctx, row["project_id"], grades)
        customer = row["customer"] or row["project_id"]
        planned_zh = f"（已计划 {iso(row['next_in_person'])} 面谈，请按期完成并登记）" if row["next_in_person"] else ""
        planned_en = f" (one is planned for {iso(row['next_in_person'])}: hold it and record it)" \
            if row["next_in_person"] else ""
        if row["last_in_person"] is not None:
            since = (as_of - row["last_in_person"]).days
            seen_zh = f"上次面谈拜访 {iso(row['last_in_person'])}，已 {since} 天"
            seen_en = f"was last met in person on {iso(row['last_in_person'])}, {days_en(since)} ago"
            due, over = as_date(row["due_date"]), (as_of - row["due_date"]).days
        else:
            seen_zh, seen_en, due, over = "没有面谈拜访记录", "has no in-person visit on record", None, None
        output.findings.append(finding(
            ctx, "VIS-003",
            f"客户 {customer} 是{why_zh}，须每 {days} 天至少面谈一次，但{seen_zh}{planned_zh}。"
            "请销售经理安排面对面拜访，并在「拜访记录」登记（方式：面谈）。",
            f"{customer} is a {why_en} customer and must be met in person every {days_en(days)}, but "
            f"{seen_en}{planned_en}. The account manager should visit and record it in Visits (kind: in person).",
            key="projects", index=row["_pindex"], column="customer", project_id=row["project_id"],
            due_date=due, days=over))
    soon = watched[watched["met"] & (watched["due_date"] < as_of + pd.Timedelta(days=UPCOMING_DAYS))]
    for row in rows_of(soon):
        left = (row["due_date"] - as_of).days
        customer = row["customer"] or row["project_id"]
        output.upcoming.append(Upcoming(
            project_id=row["project_id"], rule="VIS-003", owner_role="AM", owner=owner(ctx, row["project_id"], "AM"),
            due_date=as_date(row["due_date"]), days=-left,
            message_zh=f"客户 {customer} 上次面谈 {iso(row['last_in_person'])}，须在 {iso(row['due_date'])} 前再次面谈"
                       f"（每 {days} 天），{'今天到期' if left == 0 else f'{left} 天后到期'}。",
            message_en=f"{customer} was last met in person on {iso(row['last_in_person'])}; meet them again by "
                       f"{iso(row['due_date'])} (every {days_en(days)}), "
                       f"{'due today' if left == 0 else f'due in {days_en(left)}'}.",
            cell=where(ctx, "projects", row["_pindex"], "customer")["cell"]))


def _why(ctx: RuleContext, project_id: str, grades: pd.Series) -> tuple[str, str]:
    """Why the customer is watched: grade A, a strategic partner, or both."""
    projects = ctx.shared("field:relationship", lambda c: dict(zip(
        c.ledger.frames["projects"]["project_id"], c.ledger.frames["projects"]["relationship"])))
    strategic = projects.get(project_id) == "strategic"
    is_a = grades.get(project_id) == "A"
    if strategic and is_a:
        return "A 级、战略合作伙伴客户", "grade-A, strategic-partner"
    if strategic:
        return "战略合作伙伴客户", "strategic-partner"
    return "A 级客户", "grade-A"


# ------------------------------------------------------------------------------ VIS-004 follow-up

FOLLOW_UP_COLUMNS = (*VISIT, "next_date", "next_step")


def _follow_ups(ctx: RuleContext, rows: pd.DataFrame, output: RuleOutput) -> None:
    as_of = pd.Timestamp(ctx.as_of)
    promised = rows.loc[rows["next_date"].notna() & rows["_status"].eq("active"), list(FOLLOW_UP_COLUMNS)]
    if promised.empty:
        return
    happened = rows.loc[rows["visit_date"].notna() & (rows["visit_date"] <= as_of), ["project_id", "visit_date"]]
    latest = lookup(promised["project_id"], happened.groupby("project_id")["visit_date"].max())
    open_ = promised[~(latest >= promised["next_date"])]
    for row in rows_of(open_[open_["next_date"] < as_of], FOLLOW_UP_COLUMNS):
        over = (as_of - row["next_date"]).days
        zh, en = _what(row)
        step_zh = f"（下一步：{row['next_step']}）" if row["next_step"] else ""
        step_en = f" (next step: {row['next_step']})" if row["next_step"] else ""
        output.findings.append(finding(
            ctx, "VIS-004",
            f"{zh}约定 {iso(row['next_date'])} 跟进{step_zh}，但此后该项目没有任何拜访记录，已过 {over} 天。"
            "请尽快跟进并登记拜访；如已改期，请更新「下次跟进日期」。",
            f"{en} agreed a follow-up on {iso(row['next_date'])}{step_en}, but the project has no visit since, "
            f"{days_en(over)} later. Follow up and record it, or update the next follow-up date if it moved.",
            key="visits", index=row["_index"], column="next_date", project_id=row["project_id"],
            owner_name=visitor(ctx, row), due_date=as_date(row["next_date"]), days=over))
    for row in rows_of(open_[open_["next_date"] >= as_of], FOLLOW_UP_COLUMNS):
        left = (row["next_date"] - as_of).days
        step_zh = f"：{row['next_step']}" if row["next_step"] else ""
        step_en = f": {row['next_step']}" if row["next_step"] else ""
        output.upcoming.append(Upcoming(
            project_id=row["project_id"], rule="VIS-004", owner_role="AM", owner=visitor(ctx, row),
            due_date=as_date(row["next_date"]), days=-left,
            message_zh=f"约定 {iso(row['next_date'])} 跟进{step_zh}（{'今天' if left == 0 else f'{left} 天后'}）。",
            message_en=f"Follow-up agreed for {iso(row['next_date'])}{step_en} "
                       f"({'today' if left == 0 else f'in {days_en(left)}'}).",
            cell=where(ctx, "visits", row["_index"], "next_date")["cell"]))


# ------------------------------------------------------------------------------ VIS-005 names


def _strangers(ctx: RuleContext) -> list:
    findings = []
    for row in rows_of(unmatched_names(ctx)):
        name, pid = row["token"], row["project_id"]
        findings.append(finding(
            ctx, "VIS-005",
            f"拜访对象“{name}”不在项目 {pid} 的干系人地图中。如是客户方干系人，请在「干系人地图」登记（姓名、职务、角色）；"
            "如是笔误，请改为地图中的姓名。",
            f"'{name}' in the visit's contacts is not on project {pid}'s stakeholder map. Add them to Stakeholders "
            "(name, title, role) if they are a client-side stakeholder, or correct the name.",
            key="visits", index=row["_vindex"], column="contacts", project_id=pid))
    return findings
