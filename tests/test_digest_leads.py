"""A lead not linked to a project still reaches its owner (SPEC §7: LEA-001..003 are the lead's
owner's, an AM; SPEC §5: alerts are per project, so such a lead has no alert row).

The hand ledger of tests/field_ledgers.py (as of Wednesday 2026-11-18) plus three leads:
L6 converted with no project (LEA-002, 孙强; its customer is a script tag), L7 registered 11-17 and not screened (due 11-19,
this week, 孙强), L8 the same but linked to P3 (an ordinary upcoming alert, not the section's),
and L9 of 陈晨, who has nothing else to do: the unlinked lead alone must get her an e-mail.
Already there: L2 screened 4 days late (LEA-001, 张伟), L4 never screened (LEA-001, 孙强).
"""

from __future__ import annotations

import pytest

from kaxl.api import check_files
from kaxl.digest import recipients
from kaxl.digest.recipients import SECTION_MODULES, plan
from kaxl.digest.render import render
from tests.field_ledgers import FORMULA, field_sheets
from tests.ledger_factory import d, write_ledger
from tests.test_digest_support import AS_OF, XSS, at

SECTION = "kaxl.digest.leads_section"
MORE_LEADS = [
    {"lead_id": "L6", "customer": XSS, "source": "官网", "registered_date": d("2026-11-01"), "owner": "孙强",
     "screened_date": d("2026-11-02"), "grade": "A", "result": "转立项"},
    {"lead_id": "L7", "customer": "西北化工", "source": "展会", "registered_date": d("2026-11-17"), "owner": "孙强"},
    {"lead_id": "L8", "customer": "华北钢铁", "source": "展会", "registered_date": d("2026-11-17"), "owner": "张伟",
     "project_id": "P3"},
    {"lead_id": "L9", "customer": "东北粮仓", "source": "数据平台", "registered_date": d("2026-11-09"), "owner": "陈晨"},
]


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    sheets = field_sheets()
    sheets["leads"] = [*sheets["leads"], *MORE_LEADS]
    return check_files([write_ledger(tmp_path_factory.mktemp("leads") / "台账.xlsx", sheets)], AS_OF)


@pytest.fixture
def registered(monkeypatch):
    """The plan with the section registered (the line SECTION_MODULES is to gain)."""
    if SECTION not in SECTION_MODULES:
        monkeypatch.setattr(recipients, "SECTION_MODULES", (*SECTION_MODULES, SECTION))


def leads_of(digest):
    found = [s for s in digest.sections if s.key == "leads"]
    return found[0] if found else None


def test_unlinked_lead_findings_have_no_alert_row(result) -> None:
    """Why the section exists: these findings exist, owned by the lead's owner, yet no alert carries them."""
    unlinked = {(f.rule, f.cell, f.owner) for f in result.findings if f.rule.startswith("LEA-") and f.project_id is None}
    assert unlinked == {("LEA-001", "'线索登记 Leads'!H3", "张伟"), ("LEA-001", "'线索登记 Leads'!H5", "孙强"),
                        ("LEA-002", "'线索登记 Leads'!K7", "孙强"), ("LEA-001", "'线索登记 Leads'!H10", "陈晨")}
    assert not {c for c in result.alerts["cell"].dropna() if "线索登记" in c} - {"'线索登记 Leads'!H9"}


def test_each_owner_hears_of_their_unlinked_leads_most_urgent_first(result, registered) -> None:
    digests = {digest.recipient.name: digest for digest in plan(result)}
    sun = leads_of(digests["孙强"])
    assert (sun.title_zh, sun.title_en) == ("线索", "Leads")
    assert [(line.cell, line.tone) for line in sun.lines] == [
        ("'线索登记 Leads'!H5", "overdue"),  # L4: due 11-12, never screened
        ("'线索登记 Leads'!H8", "due"),  # L7: due 11-19, this week
        ("'线索登记 Leads'!K7", "open"),  # L6: converted, no project
    ]
    assert "东海港务" in sun.lines[0].text_zh and "screen it" in sun.lines[0].text_en
    assert sun.lines[1].text_zh == "线索 L7（西北化工） 于 2026-11-17 登记，须在 2026-11-19 前完成初筛（48小时），还有 1 天。"
    assert "names no project" in sun.lines[2].text_en
    zhang = leads_of(digests["张伟"])
    assert [line.cell for line in zhang.lines] == ["'线索登记 Leads'!H3"]  # L8 is linked to P3: an alert instead
    assert any(item.cell == "'线索登记 Leads'!H9" for item in digests["张伟"].items)


def test_an_unlinked_lead_alone_is_worth_an_email(result, registered) -> None:
    digests = {digest.recipient.name: digest for digest in plan(result)}
    assert "陈晨" in digests, "陈晨's only chore is her unscreened lead L9"
    assert [line.cell for line in leads_of(digests["陈晨"]).lines] == ["'线索登记 Leads'!H10"]
    html = render(digests["孙强"], generated_at=at("2026-11-18T10:00")()).html
    assert "线索" in html and "Leads" in html
    assert "L6" in html and "&lt;script&gt;" in html and XSS not in html, "ledger text rendered unescaped"
    text = render(digests["张伟"], generated_at=at("2026-11-18T10:00")()).text
    assert f"线索 L2（{FORMULA}）" in text  # the formula-looking customer as plain text


def test_no_section_without_a_leads_sheet(tmp_path, registered) -> None:
    result = check_files([write_ledger(tmp_path / "台账.xlsx", field_sheets(leads=False))], AS_OF)
    assert all(leads_of(digest) is None for digest in plan(result))


def test_the_leads_section_is_registered(result) -> None:
    digests = {digest.recipient.name: digest for digest in plan(result)}
    assert "陈晨" in digests and leads_of(digests["孙强"]) is not None
