"""Schema rules SCH-003/005/006/008 on a real workbook: which cells fail, and which must not.

The semantics are the ones pandera had (kaxl ran them through pandera before they were
vectorised): a blank is only SCH-003, never a choice or range failure; duplicates are reported
after the first occurrence; blanks never duplicate each other; a composite key repeats only
when all its parts repeat.
"""

from __future__ import annotations

import pytest

from kaxl.reading.ledger import read_ledger
from kaxl.validators.schema import validate_schema
from tests.ledger_factory import d, write_ledger


def project(pid, **extra):
    row = {"project_id": pid, "customer": "客户", "account_manager": "张三", "stage": "方案", "status": "进行中",
           "lead_date": d("2026-01-05"), "estimated_amount": 100_000}
    row.update(extra)
    return row


def installment(cid, n, amount=1000):
    return {"contract_id": cid, "installment": n, "due_date": d("2026-03-01"), "amount_due": amount}


@pytest.fixture(scope="module")
def failures(tmp_path_factory):
    path = write_ledger(tmp_path_factory.mktemp("schema") / "l.xlsx", {
        "projects": [
            project("P1"),                                  # row 2: fine
            project("P2", estimated_amount=-5),             # row 3: below min → SCH-008
            project("P1"),                                  # row 4: duplicate id → SCH-006 (first one is not)
            project("P4", customer=None),                   # row 5: required blank → SCH-003
            project("P5", relationship="老朋友"),            # row 6: not a choice → SCH-005
            project("P1"),                                  # row 7: second duplicate → SCH-006
        ],
        "contracts": [{"contract_id": "C1", "project_id": "P1", "signed_date": d("2026-02-01"), "amount": 5000}],
        "receivables": [
            installment("C1", 1),                           # row 2
            installment("C1", 2),                           # row 3
            installment("C1", 1),                           # row 4: (C1, 1) again → SCH-006
            {"contract_id": "C1", "due_date": d("2026-04-01"), "amount_due": 10},   # row 5: installment blank
            {"contract_id": "C1", "due_date": d("2026-05-01"), "amount_due": 10},   # row 6: (C1, blank) again
        ],
    })
    return {(f.rule, f.sheet.split()[0], f.row, f.column.split()[0]) for f in validate_schema(read_ledger(path))}


def test_each_failure_on_its_cell(failures):
    assert ("SCH-008", "项目台账", 3, "预估金额") in failures
    assert ("SCH-006", "项目台账", 4, "项目编号") in failures
    assert ("SCH-006", "项目台账", 7, "项目编号") in failures
    assert ("SCH-003", "项目台账", 5, "客户名称") in failures
    assert ("SCH-005", "项目台账", 6, "合作关系") in failures
    assert ("SCH-006", "回款台账", 4, "合同编号") in failures


def test_first_occurrence_and_blanks_are_not_reported(failures):
    assert not any(rule == "SCH-006" and sheet == "项目台账" and row == 2 for rule, sheet, row, _ in failures)
    # a blank required value is SCH-003 only, never also a range or choice failure
    assert {rule for rule, sheet, row, _ in failures if sheet == "回款台账" and row == 5} == {"SCH-003"}
    assert ("SCH-003", "回款台账", 5, "期次") in failures


def test_composite_key_with_a_blank_part_repeats_when_the_rest_repeats(failures):
    # (C1, blank) twice: pandera reported the second row on its non-blank part
    assert ("SCH-006", "回款台账", 6, "合同编号") in failures
    assert not any(rule == "SCH-006" and sheet == "回款台账" and row in (2, 3, 5) for rule, sheet, row, _ in failures)
