"""Who gets which digest and what it says, for the ledger worked out by hand in test_digest_support."""

from __future__ import annotations

import email
import re
from email import policy
from html.parser import HTMLParser

import pytest

from kaxl.api import check_files
from kaxl.digest import plan
from kaxl.digest.chart import cjk_font
from kaxl.digest.config import DigestConfig
from kaxl.digest.mailer import Attachment, build_message
from kaxl.digest.outbox import build_outbox
from kaxl.digest.render import render, subject
from tests.test_digest_support import AS_OF, EMAILS, EXPECTED, XSS, at, write_hand_ledger


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    return check_files(write_hand_ledger(tmp_path_factory.mktemp("digest") / "ledger.xlsx"), AS_OF)


@pytest.fixture(scope="module")
def digests(result):
    return {d.recipient.name: d for d in plan(result)}


def test_recipients_exactly_as_the_rules_say(digests):
    assert {d.recipient.email for d in digests.values()} == EXPECTED
    assert "赵敏" not in digests and "陈晨" not in digests  # nothing to report: no e-mail


def test_account_manager_gets_own_alerts_grouped_by_project(digests):
    zw = digests["张伟"]
    assert [g.project_id for g in zw.groups] == ["P1"]
    assert [(i.rule, i.category, i.due_date.isoformat()) for i in zw.groups[0].items] == [
        ("PAY-003", "overdue", "2026-08-20"), ("PAY-001", "due", "2026-11-20")]
    assert zw.groups[0].items[0].escalation_level == 3 and zw.groups[0].items[0].days == 90
    assert subject(zw) == "【KA周报】2026-W47 张伟：1项逾期，1项本周到期"


def test_upcoming_after_this_week_is_left_for_next_week(digests):
    # C2#2 is due 2026-11-27, 9 days ahead: an upcoming node, but not of the coming week
    sq = digests["孙强"]
    assert [(i.rule, i.category) for i in sq.items] == [("PAY-003", "overdue")]
    assert subject(sq) == "【KA周报】2026-W47 孙强：1项逾期，0项本周到期"


def test_commercial_ops_hears_every_overdue_installment_of_their_projects(digests):
    ln = digests["李娜"]
    assert sorted((i.project_id, i.escalation_level) for i in ln.items) == [("P1", 3), ("P2", 2)]
    assert subject(ln) == "【KA周报】2026-W47 李娜：2项逾期，0项本周到期"


def test_director_gets_team_overview_and_level_2_escalations(digests):
    wang = digests["王总"]
    assert [r.name for r in wang.team] == ["张伟", "李娜", "赵敏", "陈晨"]
    zw = wang.team[0]
    assert (zw.overdue, zw.due, zw.open, zw.overdue_amount) == (1, 1, 0, 300_000)
    ln = wang.team[1]  # the same numbers as in 李娜's own e-mail (the ladder puts both in front of the CO)
    assert (ln.name, ln.overdue, ln.due) == ("李娜", 2, 0)
    # distinct across the team: C1#2 and C2#1 overdue (each counted once), C1#3 due
    assert (wang.team_overdue, wang.team_due) == (2, 1)
    assert subject(wang) == "【KA周报】2026-W47 王总：团队2项逾期，1项本周到期，2项升级"
    # P1 (L3, 张伟 is in the team) and P2 (L2, 孙强 has no manager: every director hears it)
    assert sorted((e.project_id, e.escalation_level) for e in wang.escalations) == [("P1", 3), ("P2", 2)]
    assert not wang.groups and not wang.kpis


def test_management_gets_kpis_and_level_3(digests):
    liu = digests["刘总"]
    assert [(e.project_id, e.escalation_level) for e in liu.escalations] == [("P1", 3)]
    keys = {k.key: k for k in liu.kpis}
    assert {"win_rate", "on_time_collection_rate", "overdue_amount"} <= set(keys)
    assert keys["overdue_amount"].value == 800_000 and keys["overdue_amount"].status == "red"
    # aging: 300k in 61–90, 500k in 31–60, 300k + 100k + 200k not due → widest bar is not_due (600k)
    bars = {b.label_en: (b.value, b.pct) for b in liu.aging}
    assert bars["not due"] == (600_000, 100) and bars["31–60 days"] == (500_000, 83) and bars["61–90 days"] == (300_000, 50)


def test_ledger_text_is_escaped_in_html_and_plain_in_text(digests):
    out = render(digests["张伟"])
    assert XSS not in out.html and "<script" not in out.html.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in out.html
    assert XSS in out.text  # plain text carries it verbatim: nothing there is markup

    class Texts(HTMLParser):
        def __init__(self):
            super().__init__()
            self.data, self.tags = [], []

        def handle_starttag(self, tag, attrs):
            self.tags.append(tag)

        def handle_data(self, data):
            self.data.append(data)

    parser = Texts()
    parser.feed(out.html)
    assert "script" not in parser.tags
    assert any(XSS in chunk for chunk in parser.data)  # shown to the reader as text


def test_html_is_outlook_shaped(digests):
    for name in ("张伟", "王总", "刘总"):
        html = render(digests[name]).html
        assert 'width="600"' in html
        assert "<style" not in html  # inlined: Outlook and many web mails drop <style>
        assert 'style="' in html
        assert not re.search(r'(src|href)="(https?:)?//', html)  # no external resource
        # bars are table cells with widths; management's one chart is embedded in the message
        images = re.findall(r'<img[^>]*src="([^"]*)"', html)
        charted = name == "刘总" and cjk_font() is not None  # no CJK font: no chart rather than tofu
        assert images == (["cid:kaxl-collection-chart"] if charted else [])


def test_bilingual_and_single_language(digests):
    both = render(digests["张伟"]).html
    assert both.index("逾期") < both.index("Overdue")  # Chinese first, English beside it
    en = render(digests["张伟"], language="en")
    assert "逾期 Overdue" not in en.html and "Overdue" in en.html
    assert en.subject == "[KA weekly] 2026-W47 张伟: 1 overdue, 1 due this week"
    zh = render(digests["张伟"], language="zh")
    assert "Your actions" not in zh.html and "我的待办" in zh.html


def test_headers_round_trip_chinese():
    config = DigestConfig(sender_name="大客户运营中心（华东）", sender_email="ka-ops@example.com")
    msg = build_message(subject="【KA周报】2026-W47 张伟：3项逾期，2项本周到期", html="<p>你好</p>", text="你好",
                        to_name="张伟", to_email="zhangwei@example.com", config=config, now=at("2026-11-16T09:00")(),
                        attachments=[Attachment.of("KA周报汇总 2026-W47.xlsx", b"PK\x03\x04data")])
    raw = msg.as_bytes()
    assert raw.isascii()  # every header and body encoded: safe through any relay
    assert b"=?utf-8?" in raw  # RFC 2047 encoded words
    assert b"filename*=utf-8''" in raw  # RFC 2231 parameter
    back = email.message_from_bytes(raw, policy=policy.default)
    assert back["Subject"] == "【KA周报】2026-W47 张伟：3项逾期，2项本周到期"
    assert back["From"].addresses[0].display_name == "大客户运营中心（华东）"
    assert back["To"].addresses[0].display_name == "张伟"
    attachment = next(back.iter_attachments())
    assert attachment.get_filename() == "KA周报汇总 2026-W47.xlsx"
    assert attachment.get_content() == b"PK\x03\x04data"
    assert back.get_body(("plain",)).get_content().strip() == "你好"


def test_outbox_messages_carry_the_rendered_parts(result):
    outbox = build_outbox(result, DigestConfig(attach_summary=False), now=at("2026-11-18T10:00"))
    assert {o.key for o in outbox} == EXPECTED
    msg = next(o.message for o in outbox if o.key == EMAILS["张伟"])
    back = email.message_from_bytes(msg.as_bytes(), policy=policy.default)
    assert back["Subject"] == "【KA周报】2026-W47 张伟：1项逾期，1项本周到期"
    html = back.get_body(("html",)).get_content()
    assert "&lt;script&gt;" in html and XSS not in html
    assert "合同 C1 第 2 期" in back.get_body(("plain",)).get_content()
    assert back["Auto-Submitted"] == "auto-generated"


def test_nothing_to_report_means_no_mail(tmp_path):
    from tests.ledger_factory import write_ledger

    path = write_ledger(tmp_path / "quiet.xlsx", {"contacts": [
        {"name": "张伟", "role": "销售经理", "email": "zw@example.com"},
        {"name": "王总", "role": "销售总监", "email": "w@example.com"}]})
    assert plan(check_files(path, AS_OF)) == []
