"""自上周以来 Since last week in the digest: per person, the director's team and stale escalations,
management's portfolio and pipeline movement; e-mail, plain text and chat show the same lines;
delivered through a real SMTP server on 127.0.0.1."""

from __future__ import annotations

import dataclasses
import email
from email import policy

import pandas as pd
import pytest

from kaxl.api import check_files
from kaxl.channels.message import build, people
from kaxl.digest import send_digests
from kaxl.digest.recipients import contacts_of, plan
from kaxl.digest.render import render
from kaxl.history.frames import FINDING_COLUMNS
from tests.history_scenario import frames_of, stack
from tests.test_digest_support import AS_OF, EMAILS, Recorder, at, config_for, start_server, write_hand_ledger

NOW = pd.Timestamp(AS_OF)
WEEK = pd.Timedelta(days=7)


@pytest.fixture(scope="module")
def ledger(tmp_path_factory):
    return write_hand_ledger(tmp_path_factory.mktemp("since") / "ledger.xlsx")


@pytest.fixture(scope="module")
def result(ledger):
    return check_files(ledger, AS_OF)


def _week(result, weeks_ago: int, *, drop=(), add=(), kpi=None, projects=()):
    """The snapshot ``weeks_ago`` weeks before as_of: the current one edited by hand."""
    day = NOW - weeks_ago * WEEK
    h = frames_of(result, day)
    findings = h.findings[~h.findings["identity"].str.startswith(tuple(drop))] if drop else h.findings
    findings = pd.concat([findings, pd.DataFrame([{**a, "as_of": day} for a in add], columns=FINDING_COLUMNS)],
                         ignore_index=True) if add else findings
    kpis = h.kpis.copy()
    for (scope, name), value in (kpi or {}).items():
        kpis.loc[kpis["scope"].eq(scope) & kpis["name"].eq(name), "value"] = value
    extra = pd.DataFrame([{**p, "as_of": day} for p in projects], columns=h.projects.columns)
    return dataclasses.replace(h, findings=findings, kpis=kpis, projects=pd.concat([h.projects, extra], ignore_index=True))


FIXED = {"identity": "CON-005|P1|合同 Contracts!L2", "rule": "CON-005", "severity": "warning", "project_id": "P1",
         "owner_role": "CO", "owner": "李娜", "account_manager": "张伟", "cell": "合同 Contracts!L2",
         "message_zh": "合同 C1 归档晚于签订后 3 个工作日", "message_en": "Contract C1 archived late"}


def _project(pid, status, amount, close):
    return {"project_id": pid, "customer": f"客户{pid}", "stage": "bidding", "status": status, "grade": "B",
            "estimated_amount": amount, "expected_close": pd.Timestamp(close), "account_manager": "张伟"}


@pytest.fixture(scope="module")
def with_history(result):
    """P1's PAY-003 open 3 weeks (stale at the default 3) · P2's PAY-003 since last week ·
    PAY-001 new this week · 李娜's CON-005 fixed · win rate 80 % → 100 %, on-time collection down ·
    P3 won (¥500,000 leaves the pipeline) · P4 pushed twice."""
    p2, pay001 = "PAY-003|P2", "PAY-001|P1"
    on_time = result.kpis["on_time_collection_rate"]["value"]
    weeks = [
        _week(result, 3, drop=(p2, pay001), projects=[_project("P4", "active", 200_000, "2026-11-30")]),
        _week(result, 2, drop=(p2, pay001), projects=[_project("P4", "active", 200_000, "2026-12-15")]),
        _week(result, 1, drop=(pay001,), add=[FIXED], kpi={("", "win_rate"): 0.8, ("", "on_time_collection_rate"):
                                                             on_time + 0.2, ("张伟", "win_rate"): 0.5},
              projects=[_project("P3", "active", 500_000, "2026-11-20"),
                        _project("P4", "active", 200_000, "2026-12-15")]),
        _week(result, 0, projects=[_project("P3", "won", 500_000, "2026-11-20"),
                                   _project("P4", "active", 200_000, "2027-01-10")]),
    ]
    return dataclasses.replace(result, history=stack(*weeks))


def _section(digests, name, key="since_last_week"):
    digest = {d.recipient.name: d for d in digests}[name]
    found = [s for s in digest.sections if s.key == key]
    return found[0] if found else None


def _text(section) -> str:
    return "\n".join(f"{line.project_id or ''} {line.text_zh} | {line.text_en}" for line in section.lines)


def test_person_sees_new_fixed_open_and_own_kpis(with_history):
    digests = plan(with_history)
    zw = _text(_section(digests, "张伟"))
    assert "新增 1 项，已解决 1 项，持续未解决 1 项（最长 3 周）" in zw
    assert "P1 新增 · PAY-001" in zw and "P1 已解决 · CON-005" in zw
    assert "P1 持续 3 周（自 2026-10-28） · PAY-003" in zw
    assert "成单转化率 ↑ 50.0% → 100.0%（+50 pp，向好）" in zw  # his own scope, not the portfolio's
    li = _text(_section(digests, "李娜"))
    assert "已解决 · CON-005" in li and "PAY-001" not in li  # the CO owns neither PAY-001 nor the P1 KPIs
    sun = _text(_section(digests, "孙强"))
    assert "P2 持续 1 周（自 2026-11-11） · PAY-003" in sun and "新增 0 项" in sun


def test_director_gets_team_pipeline_and_stale_escalations(with_history):
    digests = plan(with_history)
    stale = _section(digests, "王总", "stale_findings")
    assert stale.title_zh == "持续 3 周以上未解决（升级）"
    assert [line.project_id for line in stale.lines] == ["P1"]  # P2's is one week old
    assert stale.lines[0].text_zh.startswith("张伟 · 持续 3 周（自 2026-10-28）· PAY-003")
    team = _text(_section(digests, "王总"))
    assert "新增 1 项，已解决 1 项，持续未解决 1 项" in team  # 孙强 is not on the team
    pipe = _text(_section(digests, "王总", "pipeline_movement"))
    assert "− 赢单 1 个项目 ¥500,000" in pipe and "累计推迟 2 次" in pipe


def test_management_gets_portfolio_and_pipeline_movement(with_history):
    digests = plan(with_history)
    whole = _text(_section(digests, "刘总"))
    assert "新增 1 项，已解决 1 项，持续未解决 2 项（最长 3 周）" in whole
    assert "成单转化率 ↑ 80.0% → 100.0%（+20 pp，向好）" in whole
    assert "按期回款率（按金额） ↓" in whole and "变差" in whole
    pipe = _section(digests, "刘总", "pipeline_movement")
    assert pipe.title_zh == "商机变动" and pipe.first
    text = _text(pipe)
    assert "上周在手商机 ¥700,000 → 本周 ¥200,000" in text
    assert "P4 客户P4 2026-12-15 → 2027-01-10，累计推迟 2 次" in text and "1 project ¥200,000" in text
    assert "持平 → 平均销售周期 49、" in whole
    assert _section(digests, "刘总", "stale_findings") is None  # no AM reports to 刘总 directly


def test_stale_weeks_is_a_setting(with_history):
    four = dataclasses.replace(with_history, settings={**with_history.settings, "stale_finding_weeks": 4})
    assert _section(plan(four), "王总", "stale_findings") is None


def test_nothing_without_an_earlier_snapshot(result):
    assert all(s.key != "since_last_week" for d in plan(result) for s in d.sections)
    first_week = dataclasses.replace(result, history=frames_of(result))
    assert all(not d.sections for d in plan(first_week))


def test_email_opens_with_it_and_chat_shows_the_same(with_history):
    digests = plan(with_history)
    zw = {d.recipient.name: d for d in digests}["张伟"]
    rendered = render(zw)
    assert rendered.html.index("自上周以来") < rendered.html.index("我的待办")
    assert "新增 · PAY-001" in rendered.html and "↑" in rendered.html
    assert rendered.text.index("== 自上周以来 Since last week ==") < rendered.text.index("我的待办")
    message = build("person:张伟", digests, contacts_of(with_history), people(with_history))
    chat = "\n".join(seg.text for block in message.blocks for line in block.lines for seg in line)
    assert "自上周以来 Since last week" in chat and "持续 3 周（自 2026-10-28） · PAY-003" in chat
    assert chat.index("自上周以来") < chat.index("PAY-001 ")


def test_real_smtp_delivers_the_section(tmp_path, ledger, with_history):
    handler = Recorder()
    server = start_server(handler)
    try:
        report = send_digests(with_history, config_for(tmp_path, ledger, server.port), now=at("2026-11-18T10:00"))
    finally:
        server.stop()
    assert report.ok
    mails = {e.rcpt_tos[0]: email.message_from_bytes(e.content, policy=policy.default) for e in handler.envelopes}
    liu = mails[EMAILS["刘总"]]
    html = liu.get_body(("html",)).get_content()
    text = liu.get_body(("plain",)).get_content()
    for body in (html, text):
        assert "自上周以来" in body and "商机变动" in body and "累计推迟 2 次" in body
    assert "持续 3 周以上未解决（升级）" in mails[EMAILS["王总"]].get_body(("plain",)).get_content()
