"""The 拜访 Visits section of the weekly digest (SPEC §7), end to end: a real ledger with a
visits sheet, a real SMTP server on 127.0.0.1, the HTML drawn by headless Chromium."""

from __future__ import annotations

import email
import shutil
import struct
import subprocess
from email import policy
from pathlib import Path

import pytest

from kaxl.api import check_files
from kaxl.digest import send_digests
from kaxl.digest.recipients import plan
from kaxl.digest.render import render
from tests.field_ledgers import write_field_ledger
from tests.ledger_factory import write_ledger
from tests.test_digest_support import AS_OF, EMAILS, XSS, Recorder, at, config_for, start_server

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="module")
def ledger(tmp_path_factory):
    return write_field_ledger(tmp_path_factory.mktemp("visits") / "ledger.xlsx")


@pytest.fixture(scope="module")
def digests(ledger):
    return {d.recipient.name: d for d in plan(check_files(ledger, AS_OF))}


def visits_of(digest):
    found = [s for s in digest.sections if s.key == "visits"]
    return found[0] if found else None


def test_am_sees_each_visit_chore_once_most_urgent_first_each_naming_its_cell(digests):
    section = visits_of(digests["张伟"])
    assert (section.title_zh, section.title_en, section.first) == ("拜访", "Visits", False)
    got = [(line.cell, line.tone, line.due_date.isoformat()) for line in section.lines]
    assert got == [
        ("'项目台账 Projects'!B4", "overdue", "2026-10-31"),  # VIS-003: strategic customer not met since 10-01
        ("'拜访记录 Visits'!F4", "due", "2026-11-19"),  # VIS-002: the 11-24 visit still to plan
        ("'拜访记录 Visits'!G3", "overdue", "2026-11-17"),  # VIS-001: the 11-16 call's record owed
        ("'拜访记录 Visits'!K3", "overdue", "2026-11-17"),  # VIS-004: the follow-up agreed for 11-17
    ]
    zh = [line.text_zh for line in section.lines]
    assert zh[0] == "华北钢铁：重点客户上次面谈 2026-10-01，超过 30 天未见面，已逾期 18 天。"
    assert zh[1] == "11-24 面谈 · 华北钢铁（周总）：拜访计划待制定，还有 1 个工作日。"
    assert zh[2] == "11-16 电话 · 华北钢铁（吴处）：拜访记录待提交，已逾期 1 天。"
    assert "送报价" in zh[3]
    assert section.lines[1].text_en == "11-24 in person · 华北钢铁 (周总): the visit plan is still to write, due in 1 working day."
    assert all(line.project_id == "P3" for line in section.lines)


def test_a_slip_already_made_is_not_a_chore(digests):
    # 孙强's visits were planned late / recorded late: findings for the action list, nothing left to do
    assert "孙强" in digests and visits_of(digests["孙强"]) is None
    assert {i.rule for i in digests["孙强"].items} >= {"VIS-001", "VIS-002"}


def test_any_doer_who_visited_gets_their_own_line(digests):
    section = visits_of(digests["赵敏"])  # pre-sales, the visitor of a video call today
    assert [(line.cell, line.tone) for line in section.lines] == [("'拜访记录 Visits'!G6", "due")]
    assert section.lines[0].text_en == f"11-18 video · {XSS} (周总): the visit record is owed, due in 1 day."
    for name in ("王总", "刘总", "李娜"):  # director, management, the CO: no visits of their own
        assert name not in digests or visits_of(digests[name]) is None


@pytest.mark.parametrize("visits", ["absent", "headers only"])
def test_no_section_without_a_kept_visits_sheet(tmp_path, visits):
    from tests.field_ledgers import field_sheets

    sheets = field_sheets(visits=False)
    include = None if visits == "absent" else [*sheets, "visits"]
    path = write_ledger(tmp_path / "l.xlsx", sheets, include=include)
    for digest in plan(check_files(path, AS_OF)):
        assert visits_of(digest) is None
    # the same people still get their e-mail (the section is the only thing missing)
    assert "张伟" in {d.recipient.name for d in plan(check_files(path, AS_OF))}


def test_the_section_reaches_the_inbox_escaped(tmp_path, ledger):
    handler = Recorder()
    server = start_server(handler)
    try:
        report = send_digests(check_files(ledger, AS_OF), config_for(tmp_path, ledger, server.port),
                              now=at("2026-11-18T10:00"))
    finally:
        server.stop()
    assert report.ok
    mails = {e.rcpt_tos[0]: email.message_from_bytes(e.content, policy=policy.default) for e in handler.envelopes}
    zw = mails[EMAILS["张伟"]]
    html = zw.get_body(("html",)).get_content()
    text = zw.get_body(("plain",)).get_content()
    for body in (html, text):
        assert "拜访" in body and "Visits" in body
        assert "11-24 面谈 · 华北钢铁（周总）：拜访计划待制定" in body
    assert "&#39;拜访记录 Visits&#39;!F4" in html or "'拜访记录 Visits'!F4" in html
    assert "('拜访记录 Visits'!F4)" in text
    zm = mails[EMAILS["赵敏"]].get_body(("html",)).get_content()
    assert XSS not in zm and "11-18 视频 · &lt;script&gt;alert(1)&lt;/script&gt;（周总）" in zm


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="chromium not installed")
def test_the_section_draws_in_headless_chromium(tmp_path, digests):
    html = tmp_path / "zw.html"
    html.write_text(render(digests["张伟"], generated_at=at("2026-11-18T10:00")()).html, encoding="utf-8")
    png = tmp_path / "zw.png"
    subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--no-first-run",
                    f"--user-data-dir={tmp_path / 'chromium'}", f"--screenshot={png}", "--window-size=700,1800",
                    html.as_uri()], check=True, capture_output=True, timeout=120)
    assert _png_size(png) == (700, 1800)
    assert png.stat().st_size > 40_000
