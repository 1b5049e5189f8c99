"""The after-sale sections of the weekly digest (SPEC §7), end to end: a real ledger with the
delivery, health and issues sheets, a real SMTP server on 127.0.0.1, the HTML drawn by Chromium.

Three signed projects of the AM 张伟 (CO 王芳):
  p1 — DM 刘洋, CS 陈静: a milestone 14 days late (DEL-001, 刘洋's), the next one in 24 days, a
       done milestone 50 % over budget without a change request (DEL-005, the AM's); the
       customer's health 60 with no retention plan (HLT-001, 陈静's);
  p2 — DM 周敏, CS 何静, customer named like markup: a milestone due in 4 days; the customer
       last assessed on 07-01 (HLT-002, 何静's);
  p3 — neither column filled: a late milestone and a health of 50 (the AM's, SPEC §7), and an
       issue open 15 days (ISS-001's error step: the AM and management).
Each DM and CS e-mail carries what they own and nothing of the other projects.
"""

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
from tests.aftersale_cases import AS_OF, aftersale_project, assessment, issue, milestone
from tests.ledger_factory import d, write_ledger
from tests.sop_cases import AM, CO, PS, merge
from tests.test_digest_support import Recorder, at, config_for, start_server

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
XSS = "<script>alert(1)</script>医院"
PEOPLE = {AM: ("销售经理", "zhangwei"), CO: ("商务", "wangfang"), PS: ("售前", "lina"),
          "刘洋": ("交付经理", "liuyang"), "周敏": ("交付经理", "zhoumin"),
          "陈静": ("客户成功", "chenjing"), "何静": ("客户成功", "hejing"), "谢军": ("管理层", "xiejun")}
EMAILS = {name: f"{local}@example.com" for name, (_, local) in PEOPLE.items()}


def _signed(pid: str, delivery: list[dict], health: dict, **people: str) -> dict[str, list[dict]]:
    rows = aftersale_project(pid, {"delivery": delivery, "health": [health]})
    rows["projects"][0].update(people)
    return rows


def sheets() -> dict[str, list[dict]]:
    p1 = _signed("p1", [
        milestone("p1", budget=100_000, actual_cost=150_000, owner=None),  # done 10-19, over budget
        milestone("p1", milestone="开发", planned_date=d("2026-11-02"), plan_confirmed=d("2026-10-20"),
                  actual_date=None, signoff_date=None, owner=None),
        milestone("p1", milestone="测试", planned_date=d("2026-12-10"), plan_confirmed=d("2026-11-10"),
                  actual_date=None, signoff_date=None, owner=None)],
        assessment("p1", usage=60, value=60, relationship=60), delivery_manager="刘洋", csm="陈静")
    p2 = _signed("p2", [
        milestone("p2", owner=None),
        milestone("p2", milestone="上线", planned_date=d("2026-11-20"), plan_confirmed=d("2026-11-10"),
                  actual_date=None, signoff_date=None, owner=None)],
        assessment("p2", customer=XSS, assessed_date=d("2026-07-01")), delivery_manager="周敏", csm="何静",
        customer=XSS)
    p3 = _signed("p3", [
        milestone("p3", owner=None),
        milestone("p3", milestone="培训", planned_date=d("2026-11-09"), plan_confirmed=d("2026-10-30"),
                  actual_date=None, signoff_date=None, owner=None)],
        assessment("p3", usage=50, value=50, relationship=50))
    p3["issues"] = [issue("p3", raised_date=d("2026-11-01"), replied_date=d("2026-11-02"), resolved_date=None,
                          status="开放", owner=None, description="报表数据不准确")]
    rows = merge(p1, p2, p3)
    rows["contacts"] = [{"name": name, "role": role, "email": EMAILS[name], "manager": None if name == "谢军" else "谢军"}
                        for name, (role, _) in PEOPLE.items()]
    return rows


@pytest.fixture(scope="module")
def ledger(tmp_path_factory):
    return write_ledger(tmp_path_factory.mktemp("aftersale") / "台账.xlsx", sheets())


@pytest.fixture(scope="module")
def result(ledger):
    return check_files([ledger], AS_OF)


@pytest.fixture(scope="module")
def digests(result):
    return {digest.recipient.name: digest for digest in plan(result)}


@pytest.fixture(scope="module")
def mails(tmp_path_factory, ledger, result):
    tmp = tmp_path_factory.mktemp("smtp")
    handler = Recorder()
    server = start_server(handler)
    try:
        report = send_digests(result, config_for(tmp, ledger, server.port), now=at("2026-11-16T09:00"))
    finally:
        server.stop()
    assert report.ok
    out = {}
    for envelope in handler.envelopes:
        message = email.message_from_bytes(envelope.content, policy=policy.default)
        out[envelope.rcpt_tos[0]] = (message.get_body(("html",)).get_content(),
                                     message.get_body(("plain",)).get_content())
    return out


def section(digest, key):
    found = [s for s in digest.sections if s.key == key]
    return found[0] if found else None


def test_the_case_is_what_it_says(result) -> None:
    owners = sorted((f.rule, f.project_id, f.owner) for f in result.findings if f.rule[:3] in ("DEL", "HLT", "ISS"))
    assert owners == [("DEL-001", "p1", "刘洋"), ("DEL-001", "p3", AM), ("DEL-005", "p1", AM),
                      ("HLT-001", "p1", "陈静"), ("HLT-001", "p3", AM), ("HLT-002", "p2", "何静"),
                      ("ISS-001", "p3", AM)]


def test_the_delivery_manager_gets_the_next_milestones_of_their_contracts_only(digests) -> None:
    lines = [(line.tone, line.text_zh, line.cell) for line in section(digests["刘洋"], "delivery").lines]
    assert lines[0][0] == "overdue" and "HT-p1 · p1 客户：下一里程碑「开发 build」11-02，已延期 14 天" in lines[0][1]
    assert lines[0][2] == "'交付里程碑 Delivery'!D3"  # the 完成日期 to fill
    assert lines[1][1] == f"p1 客户：DEL-005 成本超支无变更单（{AM} 跟进）。"  # someone else's, on their contract
    assert len(lines) == 2  # the next milestone only, not every open one
    zhou = section(digests["周敏"], "delivery").lines
    assert [(line.tone, line.text_zh) for line in zhou] == [
        ("due", f"HT-p2 · {XSS}：下一里程碑「上线 go_live」11-20，4 天后到期。")]
    assert section(digests["刘洋"], "health") is None and section(digests["陈静"], "delivery") is None


def test_customer_success_gets_their_customers_health_only(digests) -> None:
    chen = [(line.tone, line.text_zh) for line in section(digests["陈静"], "health").lines]
    assert chen == [("overdue", "p1 客户：健康度 60，低于 80（11-02 评估）；挽回计划待制定。")]
    he = [(line.tone, line.text_zh) for line in section(digests["何静"], "health").lines]
    assert he == [("overdue", f"{XSS}：超过 90 天未评估健康度，须尽快评估。")]


def test_the_am_gets_a_short_after_sale_view_and_the_blank_owners(digests) -> None:
    zhang = digests[AM]
    lines = [line.text_zh for line in section(zhang, "aftersale").lines]
    assert any("HT-p1" in t and "交付经理 刘洋" in t for t in lines)
    assert any("HT-p3" in t and "交付经理" not in t for t in lines)  # their own: no DM named
    assert any(t.startswith("p3 客户：健康度 50") for t in lines) and any(t.startswith("p1 客户：健康度 60") for t in lines)
    assert any("问题 WT-p3-1" in t and "已升级至管理层" in t for t in lines)
    own = {(i.rule, i.project_id) for g in zhang.groups for i in g.items}
    assert {("DEL-001", "p3"), ("HLT-001", "p3"), ("DEL-005", "p1"), ("ISS-001", "p3")} <= own
    assert ("DEL-001", "p1") not in own  # the DM's
    assert all(section(digests[name], "aftersale") is None for name in (CO, PS) if name in digests)


def test_the_error_step_reaches_management(digests) -> None:
    assert ("ISS-001", "p3") in {(e.rule, e.project_id) for e in digests["谢军"].escalations}


def test_each_inbox_holds_only_what_its_reader_owns(mails) -> None:
    html, text = mails[EMAILS["刘洋"]]
    for body in (html, text):
        assert "交付" in body and "Delivery" in body and "HT-p1" in body
        assert "HT-p2" not in body and "HT-p3" not in body and "alert(1)" not in body and "健康度 60" not in body
    html, text = mails[EMAILS["周敏"]]
    assert "HT-p2" in text and "HT-p1" not in text and "HT-p3" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;医院" in html and "<script>" not in html  # ledger text escaped
    html, text = mails[EMAILS["陈静"]]
    for body in (html, text):
        assert "客户健康" in body and "Customer health" in body and "p1 客户：健康度 60" in body
        assert "p2" not in body and "p3" not in body and "HT-p1" not in body
    html, text = mails[EMAILS["何静"]]
    assert "超过 90 天未评估健康度" in text and "p1 客户" not in text and "p3 客户" not in text
    assert "<script>" not in html
    zhang_html, zhang_text = mails[EMAILS[AM]]
    assert "签约之后" in zhang_text and "After the signature" in zhang_text


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="chromium not installed")
def test_a_delivery_managers_email_draws_in_headless_chromium(tmp_path, digests):
    html = tmp_path / "dm.html"
    html.write_text(render(digests["刘洋"], generated_at=at("2026-11-16T09:00")()).html, encoding="utf-8")
    png = tmp_path / "dm.png"
    subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--no-first-run",
                    f"--user-data-dir={tmp_path / 'chromium'}", f"--screenshot={png}", "--window-size=700,1400",
                    html.as_uri()], check=True, capture_output=True, timeout=120)
    assert _png_size(png) == (700, 1400)
    assert png.stat().st_size > 30_000
