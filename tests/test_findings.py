"""A finding survives the trip back from a forked child, and with_owner changes only the owner."""

from __future__ import annotations

import datetime as dt
import pickle
from dataclasses import fields

from kaxl.contract.findings import Finding, make


def full_finding() -> Finding:
    return make("PAY-003", "回款逾期 “12万”", "Receivable overdue", sheet="回款台账", row=12, column="金额",
                cell="回款台账!F12", project_id=None, owner=None, due_date=dt.date(2026, 11, 3), file="a.xlsx",
                days=13, contract_id="C-1", installment=2, escalation_level=1, amount=120000.0, node_state="late")


def test_pickle_round_trip_keeps_every_field():
    finding = full_finding()
    back = pickle.loads(pickle.dumps(finding, protocol=pickle.HIGHEST_PROTOCOL))
    assert back == finding and back is not finding
    assert [getattr(back, f.name) for f in fields(Finding)] == [getattr(finding, f.name) for f in fields(Finding)]
    assert back.node_state == "late" and back.due_date == dt.date(2026, 11, 3)


def test_with_owner_sets_the_three_owner_fields_and_nothing_else():
    finding = full_finding()
    owned = finding.with_owner("P-7", "AM", "王芳")
    assert (owned.project_id, owned.owner_role, owned.owner) == ("P-7", "AM", "王芳")
    for f in fields(Finding):
        if f.name not in ("project_id", "owner_role", "owner"):
            assert getattr(owned, f.name) == getattr(finding, f.name), f.name
