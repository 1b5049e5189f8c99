"""Stage 5 Payment 回款 (SPEC §3 PAY-001..005): warn before, confirm on, escalate after the due date.

Every rule reads the one installment table of :mod:`kaxl.sop.installments`, so a finding's
outstanding amount, days overdue and escalation level are exactly what the JSON, the summary
and the digest show. "7 days before due" and "days overdue" are calendar days (SPEC §1), so
these rules never need the working-day calendar.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pandas as pd

from kaxl.contract.findings import Finding, make
from kaxl.sop.engine import RuleContext, RuleOutput, Upcoming
from kaxl.sop.installments import MILESTONE_EN, days_en, locator, rows_of, yuan
from kaxl.validators._common import as_date, iso

KEY = "receivables"
UPCOMING_WINDOW_DAYS = 7  # the digest's "coming week", beyond the warning window
Where = Callable[[Any, Any, "str | None"], dict[str, Any]]


def run(ctx: RuleContext) -> RuleOutput:
    from kaxl.sop.enrich import receivables

    table = receivables(ctx)  # the table the scores and KPIs use too, built once per run
    output = RuleOutput()
    if table.empty:
        return output
    warn = int(ctx.settings.get("receivable_warning_days", 7))
    where = locator(ctx.ledger, KEY)
    until = table["_days_until"]
    is_open = table["_open"]
    known = until.notna()
    output.findings += [_pay001(where, row) for row in _rows(table[is_open & known & (until > 0) & (until <= warn)])]
    output.findings += [_pay002(where, row) for row in _rows(table[is_open & known & (until == 0)])]
    output.findings += [_pay003(where, row) for row in _rows(table[is_open & known & (until < 0)])]
    output.findings += [_pay004(where, row) for row in _rows(table[_no_invoice(table, ctx.as_of)])]
    output.findings += _pay005(ctx, where, table)
    ahead = table[is_open & known & (until > warn) & (until <= warn + UPCOMING_WINDOW_DAYS)
                  & table["project_id"].notna()]
    output.upcoming += [_upcoming(row) for row in _rows(ahead)]
    return output


def _rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as dicts with pandas' missing values turned into None (messages test `is None`)."""
    return rows_of(frame)


def _what(row: dict[str, Any]) -> tuple[str, str]:
    """How messages name an installment: 合同 C-001 第 2 期（验收款） / Contract C-001 installment 2 (…)."""
    number = row["installment"] if row["installment"] is not None else "?"
    milestone = row["milestone"]
    zh = f"合同 {row['contract_id']} 第 {number} 期" + (f"（{milestone}）" if milestone else "")
    en = f"Contract {row['contract_id']} installment {number}" + (
        f" ({MILESTONE_EN.get(milestone, milestone)})" if milestone else "")
    return zh, en


def _people(row: dict[str, Any]) -> tuple[str, str]:
    am = row["account_manager"] or "（未填）"
    co = row["commercial_ops"] or "（未填）"
    return am, co


def _common(where: Where, row: dict[str, Any], column: str, owner: str | None) -> dict[str, Any]:
    return {**where(row["_src"], row["_row"], column), "project_id": row["project_id"], "owner": owner,
            "due_date": as_date(row["due_date"]), "contract_id": row["contract_id"],
            "installment": row["installment"]}


def _pay001(where: Where, row: dict[str, Any]) -> Finding:
    what_zh, what_en = _what(row)
    am, co = _people(row)
    days = int(row["_days_until"])
    due = iso(row["due_date"])
    out = row["outstanding"]
    return make(
        "PAY-001",
        f"{what_zh}将于 {due}（{days} 天后）到期，尚有 {yuan(out)} 元未收（应收 {yuan(row['amount_due'])} 元）。"
        f"请销售经理 {am} 提前与客户确认付款安排，商务 {co} 确认发票已开具。",
        f"{what_en} is due on {due} (in {days_en(days)}); ¥{yuan(out)} of ¥{yuan(row['amount_due'])} is not yet "
        f"received. AM {am}: confirm the payment schedule with the client; CO {co}: make sure the invoice is issued.",
        days=-days, amount=out, **_common(where, row, "due_date", row["account_manager"]))


def _pay002(where: Where, row: dict[str, Any]) -> Finding:
    what_zh, what_en = _what(row)
    am, _co = _people(row)
    due = iso(row["due_date"])
    out = row["outstanding"]
    return make(
        "PAY-002",
        f"{what_zh}今天（{due}）到期，尚有 {yuan(out)} 元未收。请销售经理 {am} 今天与客户确认付款进度，"
        "到账后登记「实收日期」和「实收金额」。",
        f"{what_en} is due today ({due}); ¥{yuan(out)} is not yet received. AM {am}: confirm the payment "
        "with the client today and record the received date and amount once it arrives.",
        days=0, amount=out, **_common(where, row, "due_date", row["account_manager"]))


def _pay003(where: Where, row: dict[str, Any]) -> Finding:
    what_zh, what_en = _what(row)
    am, co = _people(row)
    days = int(row["days_overdue"])
    level = int(row["escalation_level"])
    due = iso(row["due_date"])
    out = row["outstanding"]
    received = row["amount_received"] or 0.0
    hint_zh = hint_en = ""
    if row["received_date"] is not None and row["amount_received"] is None:
        hint_zh = "（已填实收日期但未填实收金额：如已到账，请补填「实收金额」）"
        hint_en = " (a received date is filled in but no amount: if it was paid, fill in the amount received)"
    return make(
        "PAY-003",
        f"{what_zh}应收 {yuan(row['amount_due'])} 元，已收 {yuan(received)} 元，未收 {yuan(out)} 元，"
        f"应收日期 {due}，逾期 {days} 天（{row['escalation_note_zh']}）{hint_zh}。"
        f"请销售经理 {am} 与商务 {co} 立即催收，并在「跟进记录」登记进展。",
        f"{what_en}: ¥{yuan(out)} of ¥{yuan(row['amount_due'])} outstanding (¥{yuan(received)} received), due "
        f"{due}, {days_en(days)} overdue ({row['escalation_note_en']}){hint_en}. AM {am} and CO {co}: chase the "
        "payment now and log the follow-up.",
        days=days, amount=out, escalation_level=level, **_common(where, row, "due_date", row["account_manager"]))


def _no_invoice(table: pd.DataFrame, as_of: dt.date) -> pd.Series:
    """Due date reached and no invoice dated on or before it.

    A missing invoice date only matters while money is still owed (clients pay against the
    invoice); an invoice dated after the due date is reported whatever was paid, because it
    is what happened and explains late money.
    """
    due = table["due_date"]
    reached = due.notna() & (due <= pd.Timestamp(as_of))
    missing = table["invoice_date"].isna() & table["_open"]
    late = table["invoice_date"].notna() & (table["invoice_date"] > due)
    return reached & (missing | late)


def _pay004(where: Where, row: dict[str, Any]) -> Finding:
    what_zh, what_en = _what(row)
    _am, co = _people(row)
    due = iso(row["due_date"])
    days = -int(row["_days_until"])
    owner = row["commercial_ops"] or row["account_manager"]
    if row["invoice_date"] is None:
        zh = (f"{what_zh}应收日期 {due} 已到，尚有 {yuan(row['outstanding'])} 元未收，但还没有开票日期。"
              f"客户凭票付款：请商务 {co} 立即开具发票并在「开票日期」登记。")
        en = (f"{what_en} was due on {due} with ¥{yuan(row['outstanding'])} unpaid, but no invoice date is "
              f"recorded. Clients pay against the invoice: CO {co}, issue it now and record the invoice date.")
    else:
        inv = iso(row["invoice_date"])
        zh = (f"{what_zh}开票日期 {inv} 晚于应收日期 {due}。请商务 {co} 核对开票日期；"
              "今后请在应收日期前开票，以免客户因未收到发票而延迟付款。")
        en = (f"{what_en} was invoiced on {inv}, after its due date {due}. CO {co}: check the invoice date, and "
              "invoice before the due date so the client is not held up waiting for it.")
    return make("PAY-004", zh, en, days=days, amount=row["amount_due"],
                **_common(where, row, "invoice_date", owner))


def _pay005(ctx: RuleContext, where: Where, table: pd.DataFrame) -> list[Finding]:
    tolerance = float(ctx.settings.get("amount_tolerance", 0.5))
    findings: list[Finding] = []
    over = table["amount_received"].notna() & table["amount_due"].notna() & (
        table["amount_received"] > table["amount_due"] + tolerance)
    for row in _rows(table[over]):
        what_zh, what_en = _what(row)
        excess = row["amount_received"] - row["amount_due"]
        findings.append(make(
            "PAY-005",
            f"{what_zh}实收 {yuan(row['amount_received'])} 元，多于应收 {yuan(row['amount_due'])} 元"
            f"（多 {yuan(excess)} 元）。请核对实收金额；如客户合并支付了多期，请按期拆分登记。",
            f"{what_en}: ¥{yuan(row['amount_received'])} received is more than the ¥{yuan(row['amount_due'])} "
            f"due (¥{yuan(excess)} over). Check the amount; if the client paid several installments at once, "
            "split it across them.",
            amount=excess, **_common(where, row, "amount_received", row["commercial_ops"] or row["account_manager"])))
    future = table["received_date"].notna() & (table["received_date"] > pd.Timestamp(ctx.as_of))
    for row in _rows(table[future]):
        what_zh, what_en = _what(row)
        received = iso(row["received_date"])
        findings.append(make(
            "PAY-005",
            f"{what_zh}实收日期 {received} 晚于今天（{ctx.as_of.isoformat()}），钱不能在未来到账。"
            "请改为实际到账日期；尚未到账请清空「实收日期」和「实收金额」。",
            f"{what_en}: received date {received} is after today ({ctx.as_of.isoformat()}); money cannot "
            "arrive in the future. Use the date it actually arrived, or clear the received date and amount.",
            amount=row["amount_received"],
            **_common(where, row, "received_date", row["commercial_ops"] or row["account_manager"])))
    return findings


def _upcoming(row: dict[str, Any]) -> Upcoming:
    what_zh, what_en = _what(row)
    days = int(row["_days_until"])
    due = iso(row["due_date"])
    out = row["outstanding"]
    return Upcoming(
        project_id=row["project_id"], rule="PAY-001", owner_role="AM", owner=row["account_manager"],
        due_date=as_date(row["due_date"]), days=-days,
        message_zh=f"{what_zh}将于 {due}（{days} 天后）到期，应收 {yuan(out)} 元。",
        message_en=f"{what_en}: ¥{yuan(out)} due on {due} (in {days_en(days)}).",
        cell=row["_cell"], contract_id=row["contract_id"], installment=row["installment"], amount=out)
