"""A finding: one problem, on one cell, with everything SPEC §3 says it must carry."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from dataclasses import fields as dataclass_fields
from operator import attrgetter
from typing import Any

from kaxl.contract.rules import rule

SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}
SEVERITIES = tuple(SEVERITY_ORDER)  # most severe first
SEVERITY_ZH = {"error": "错误", "warning": "警告", "info": "提示"}


@dataclass(frozen=True, slots=True)
class Finding:
    rule: str
    severity: str
    message_zh: str
    message_en: str
    sheet: str | None = None  # sheet title as in the workbook
    row: int | None = None  # Excel row, 1-based
    column: str | None = None  # header as in the workbook
    cell: str | None = None  # "回款台账!F12"
    project_id: str | None = None
    owner_role: str | None = None
    owner: str | None = None
    due_date: dt.date | None = None
    file: str | None = None  # which ledger of a portfolio
    # Set by rules on receivables and deadlines, so alerts can carry them (SPEC §5 alerts).
    days: int | None = None  # overdue > 0
    contract_id: str | None = None
    installment: int | None = None
    escalation_level: int | None = None
    amount: float | None = None
    # Not in the JSON: for a deadline node, "late" (done after its deadline) or "missing" (not
    # done, deadline passed) — the process score caps a late node's deduction by days late.
    node_state: str | None = None

    def to_json(self) -> dict[str, Any]:
        # Fields read directly, not dataclasses.asdict: its deep copy cost seconds on 20k findings.
        data = {name: getattr(self, name) for name in FIELD_NAMES}
        data["due_date"] = self.due_date.isoformat() if self.due_date else None
        return data

    def sort_key(self) -> tuple:
        return (SEVERITY_ORDER.get(self.severity, 9), self.file or "", self.sheet or "", self.row or 0,
                self.cell or "", self.rule)

    def with_owner(self, project_id: str | None, owner_role: str | None, owner: str | None) -> Finding:
        # positional, not dataclasses.replace (a kwargs dict of every field): called for
        # thousands of findings by the check's attach_owners
        values = _values(self)
        return Finding(*values[:_OWNER_AT], project_id, owner_role, owner, *values[_OWNER_AT + 3:])


INTERNAL_FIELDS = frozenset({"node_state"})
FIELD_NAMES: tuple[str, ...] = tuple(f.name for f in dataclass_fields(Finding) if f.name not in INTERNAL_FIELDS)
_ALL_FIELDS = tuple(f.name for f in dataclass_fields(Finding))
_values = attrgetter(*_ALL_FIELDS)  # every field's value, in order
_OWNER_AT = _ALL_FIELDS.index("project_id")  # followed by owner_role and owner


def make(rule_id: str, message_zh: str, message_en: str, **fields: Any) -> Finding:
    """A finding whose severity and default owner role come from the rule registry."""
    meta = rule(rule_id)
    fields.setdefault("owner_role", meta.owner_role)
    return Finding(rule=rule_id, severity=fields.pop("severity", meta.severity), message_zh=message_zh,
                   message_en=message_en, **fields)


def column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def cell_ref(sheet_title: str, col_index: int, row: int) -> str:
    """The address as the user reads it: 回款台账!F12 (sheet quoted only when Excel would need it)."""
    name = sheet_title
    if any(ch in name for ch in " -'()&,;!") or not name:
        name = "'" + name.replace("'", "''") + "'"
    return f"{name}!{column_letter(col_index)}{row}"


def quote(raw: object) -> str:
    """How a message quotes what the user typed: dates as ISO, whole numbers without .0."""
    if raw is None:
        return ""
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    if isinstance(raw, dt.datetime):
        return raw.date().isoformat() if raw.time() == dt.time() else raw.isoformat(sep=" ")
    if isinstance(raw, dt.date):
        return raw.isoformat()
    text = str(raw)
    return text if len(text) <= 60 else text[:57] + "…"
