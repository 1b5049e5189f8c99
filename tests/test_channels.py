"""Group robots (SPEC §9) against local stand-ins of the three vendors (tests/channel_robots.py).

The hand ledger of tests/test_digest_support.py, with the contacts' mobile numbers and vendor
ids filled in, and P2's customer renamed to markup that must stay text. Expected (by hand):
  team:王总   — overview, then 张伟 (C1#2 overdue, C1#3 due) and 李娜 (C1#2, C2#1 overdue: the
               ladder) each @-mentioned; escalations C1#2 (L3) and C2#1 (L2).
  person:孙强 — C2#1 overdue, 孙强 @-mentioned by mobile.
  management — KPIs, aging, the L3 escalation C1#2; nobody mentioned.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from kaxl.api import check_files
from kaxl.channels import dingtalk, escape, feishu, split
from kaxl.channels.deliver import parts_of, send_channels
from kaxl.channels.pacing import Pacer, Pacers
from kaxl.channels.send import Poster
from kaxl.digest import send_digests
from kaxl.digest.config import ConfigError, config_from_dict
from kaxl.digest.outbox import SendReport
from kaxl.digest.state import DigestState
from tests import test_digest_support as support
from tests.channel_robots import DingTalkRobot, FakeTime, FeishuRobot, WeComRobot, serve
from tests.ledger_factory import write_ledger

HOSTILE = '**x** <at user_id="all"> [a](b) @所有人'
NOW = "2026-11-18T10:00"


def _sheets() -> dict:
    sheets = copy.deepcopy(support.SHEETS)
    sheets["projects"][1]["customer"] = HOSTILE
    ids = {"张伟": {"mobile": "138-0000-1111", "wecom_userid": "zhangwei", "dingtalk_userid": "dt_zw",
                    "feishu_open_id": "ou_zw"},
           "李娜": {"mobile": "13900002222", "wecom_userid": "lina", "feishu_open_id": "ou_ln"},
           "孙强": {"mobile": "+86 137 0000 3333"}}
    for contact in sheets["contacts"]:
        contact.update(ids.get(contact["name"], {}))
    return sheets


@pytest.fixture(scope="module")
def ledger(tmp_path_factory) -> Path:
    return write_ledger(tmp_path_factory.mktemp("channels") / "ledger.xlsx", _sheets())


@pytest.fixture(scope="module")
def result(ledger):
    return check_files(ledger, support.AS_OF)


CHANNELS = [
    {"kind": "wecom", "audience": "team:王总", "url_env": "KAXL_WC_URL"},
    {"kind": "dingtalk", "audience": "person:孙强", "url_env": "KAXL_DT_URL", "secret_env": "KAXL_DT_SECRET",
     "keyword": "KA周报"},
    {"kind": "feishu", "audience": "management", "url_env": "KAXL_FS_URL", "secret_env": "KAXL_FS_SECRET",
     "keyword": "经营周报"},
]


def _config(tmp_path: Path, ledger: Path, port: int | None = None, channels=CHANNELS):
    data = {"ledgers": [str(ledger)], "channel": channels,
            "digest": {"state_file": str(tmp_path / "state.json"), "attach_summary": False},
            "sender": {"email": "ka-ops@example.com"},
            "smtp": {"host": "127.0.0.1", "port": port or 9, "security": "plain"}}
    return config_from_dict(data, base=tmp_path)


@pytest.fixture
def robots(httpserver):
    clock, fake = support.at(NOW), FakeTime()
    bots = {"wecom": WeComRobot(now=clock, monotonic=fake.monotonic),
            "dingtalk": DingTalkRobot(now=clock, monotonic=fake.monotonic, secret="SECdt", keyword="KA周报"),
            "feishu": FeishuRobot(now=clock, monotonic=fake.monotonic, secret="fs-secret", keyword="经营周报")}
    env = {"KAXL_WC_URL": serve(httpserver, bots["wecom"]), "KAXL_DT_URL": serve(httpserver, bots["dingtalk"]),
           "KAXL_DT_SECRET": "SECdt", "KAXL_FS_URL": serve(httpserver, bots["feishu"]), "KAXL_FS_SECRET": "fs-secret"}
    return bots, env, clock


# --- configuration -------------------------------------------------------------------------

def test_channel_tables_are_parsed_with_their_destination_keys(tmp_path, ledger):
    config = _config(tmp_path, ledger)
    assert [c.key for c in config.channels] == ["channel:wecom:team:王总", "channel:dingtalk:person:孙强",
                                                 "channel:feishu:management"]
    assert config.channels[1].secret_env == "KAXL_DT_SECRET" and config.channels[1].keyword == "KA周报"


@pytest.mark.parametrize("table, words", [
    ({"kind": "dingtalk", "audience": "management", "url_env": "X", "url": "https://oapi.dingtalk.com/robot/send"},
     ("不能保存 url", "must not hold 'url'")),
    ({"kind": "feishu", "audience": "management", "url_env": "X", "secret": "abc"},
     ("不能保存 secret", "must not hold 'secret'")),
    ({"kind": "wecom", "audience": "management", "url_env": "X", "webhook": "https://qyapi.weixin.qq.com/x"},
     ("不能保存 webhook", "must not hold 'webhook'")),
    ({"kind": "dingtalk", "audience": "management", "url_env": "https://oapi.dingtalk.com/robot/send?access_token=1"},
     ("应为环境变量名", "must name an environment variable")),
    ({"kind": "slack", "audience": "management", "url_env": "X"}, ("kind 应为", "kind must be one of")),
    ({"kind": "wecom", "audience": "team:", "url_env": "X"}, ("audience 应为", "audience must be")),
    ({"kind": "wecom", "audience": "management", "url_env": "X", "secret_env": "Y"},
     ("企业微信群机器人不支持加签", "WeCom group robots have no signing")),
    ({"kind": "wecom", "audience": "management", "url_env": "X", "colour": "red"}, ("未知的设置", "unknown settings")),
])
def test_a_bad_channel_table_is_refused_in_both_languages(table, words):
    with pytest.raises(ConfigError) as caught:
        config_from_dict({"channel": [table]})
    assert words[0] in caught.value.message_zh and words[1] in caught.value.message_en
    assert "[[channel]] #1" in caught.value.message_en


def test_a_webhook_at_the_top_of_the_file_and_a_repeated_channel_are_refused():
    with pytest.raises(ConfigError, match="webhook"):
        config_from_dict({"webhook": "https://open.feishu.cn/open-apis/bot/v2/hook/abc"})
    same = {"kind": "wecom", "audience": "management", "url_env": "X"}
    with pytest.raises(ConfigError, match="repeats"):
        config_from_dict({"channel": [same, dict(same, url_env="Y")]})


def test_check_config_names_missing_variables_and_unknown_audiences(tmp_path, ledger, monkeypatch):
    from click.testing import CliRunner

    from kaxl.cli import main

    channels = [*CHANNELS, {"kind": "wecom", "audience": "person:无名氏", "url_env": "KAXL_WC_URL"},
                {"kind": "wecom", "audience": "team:张伟", "url_env": "KAXL_WC_URL"}]
    toml = tmp_path / "kaxl.toml"
    lines = [f'ledgers = ["{ledger.as_posix()}"]', "[digest]", f'state_file = "{(tmp_path / "s.json").as_posix()}"']
    for c in channels:
        lines.append("[[channel]]")
        lines += [f'{k} = "{v}"' for k, v in c.items()]
    toml.write_text("\n".join(lines) + "\n", encoding="utf-8")
    for name in ("KAXL_WC_URL", "KAXL_DT_URL", "KAXL_DT_SECRET", "KAXL_FS_URL", "KAXL_FS_SECRET"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("KAXL_WC_URL", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k")
    monkeypatch.setenv("KAXL_DT_URL", "oapi.dingtalk.com/robot/send")  # no scheme
    run = CliRunner().invoke(main, ["digest", "--config", str(toml), "--check-config"])
    assert run.exit_code == 2, run.output
    out = run.output
    assert "KAXL_DT_SECRET" in out and "KAXL_FS_URL" in out and "KAXL_FS_SECRET" in out
    assert "KAXL_DT_URL is not an http(s) URL" in out
    assert "'无名氏' is not in the Contacts tab" in out and "nobody in Contacts has '张伟' as manager" in out
    assert "team:王总" not in out  # a real director with a team: fine
    for name, value in (("KAXL_DT_URL", "https://oapi.dingtalk.com/robot/send?access_token=t"),
                        ("KAXL_DT_SECRET", "s"), ("KAXL_FS_URL", "https://open.feishu.cn/open-apis/bot/v2/hook/x"),
                        ("KAXL_FS_SECRET", "s")):
        monkeypatch.setenv(name, value)
    toml.write_text(toml.read_text(encoding="utf-8").rsplit("[[channel]]", 2)[0], encoding="utf-8")
    run = CliRunner().invoke(main, ["digest", "--config", str(toml), "--check-config"])
    assert run.exit_code == 0, run.output
    assert "3 chat channel(s)" in run.output


# --- escaping, splitting, signing, pacing (units) -------------------------------------------

def test_escaping_leaves_no_markup_and_no_mention():
    for kind, fn in escape.ESCAPERS.items():
        out = fn(HOSTILE + "\n第二行")
        assert "**" not in out and "[a](b)" not in out and "<at" not in out, kind
        assert "\n" not in out
        if kind != "feishu":  # Feishu mentions only by <at>: a literal @所有人 is plain text there
            assert "@所有人" not in out
    assert escape.feishu("**x**") == "&#42;&#42;x&#42;&#42;"
    assert escape.wecom("[a](b) @所有人") == "［a］(b) ＠所有人"


def test_split_keeps_whole_lines_and_characters_and_numbers_parts():
    blocks = [(f"**项目{i}** " + "逾期回款 " * 30, False) for i in range(40)]

    def measure(texts):
        return split.utf8_size("\n\n".join(["标题（99/99）", *texts]))

    parts = split.split(blocks, measure, 1000)
    assert len(parts) > 3
    assert [t for part in parts for t in part] == [t for t, _ in blocks]  # every block once, in order
    assert all(measure(part) <= 1000 for part in parts)
    long_line = "长" * 2000  # 6000 bytes: a single line too long for any part
    (piece,) = split.split([(long_line, False)], measure, 1000)
    assert piece[0].endswith("…") and measure(piece) <= 1000 and long_line.startswith(piece[0][:-1])


def test_a_heading_moves_to_the_next_part_with_its_first_item():
    blocks = [("a" * 400, False), ("HEADING", True), ("b" * 400, False)]
    parts = split.split(blocks, lambda texts: sum(len(t) for t in texts), 805)
    assert parts == [["a" * 400], ["HEADING", "b" * 400]]


def test_signatures_match_the_vendors_documented_recipes():
    import base64
    import hashlib
    import hmac

    stamp = 1_700_000_000_000
    expected = base64.b64encode(hmac.new(b"SECx", f"{stamp}\nSECx".encode(), hashlib.sha256).digest()).decode()
    assert dingtalk.signature("SECx", stamp) == expected
    expected = base64.b64encode(hmac.new(f"{stamp // 1000}\nfs".encode(), b"", hashlib.sha256).digest()).decode()
    assert feishu.signature("fs", stamp // 1000) == expected
    clock = support.at(NOW)
    url, _ = dingtalk.sign("https://oapi.dingtalk.com/robot/send?access_token=t&timestamp=1&sign=old", {}, "SECx",
                           clock())
    assert url.count("timestamp=") == 1 and url.count("sign=") == 1 and "sign=old" not in url


def test_pacer_waits_for_the_window_with_an_injected_clock():
    fake = FakeTime()
    pacer = Pacer(dingtalk.PACING, clock=fake.monotonic, sleep=fake.sleep)
    start = fake.t
    for _ in range(45):
        pacer.wait()
        pacer.record()
        fake.t += 0.5  # half a second to post each
    assert len(fake.slept) == 2  # after the 20th and the 40th message
    assert fake.slept[0] == pytest.approx(60 - 20 * 0.5)
    assert fake.t - start >= 120
    fs = Pacer(feishu.PACING, clock=fake.monotonic, sleep=fake.sleep)
    fake.slept.clear()
    for _ in range(11):
        fs.wait()
        fs.record()
    assert fake.slept == [pytest.approx(1.0), pytest.approx(1.0)]  # 5 a second


# --- against the robots ----------------------------------------------------------------------

def test_send_delivers_each_vendor_valid_payloads_with_mentions_and_escaping(tmp_path, ledger, result, robots):
    bots, env, clock = robots
    handler = support.Recorder()
    server = support.start_server(handler)
    try:
        report = send_digests(result, _config(tmp_path, ledger, server.port), now=clock, environ=env)
    finally:
        server.stop()
    assert report.ok, report.failures
    assert {"channel:wecom:team:王总", "channel:dingtalk:person:孙强", "channel:feishu:management"} <= set(report.sent)
    assert sorted(handler.recipients) == sorted(support.EXPECTED)  # the e-mail went too

    wecom_text = "\n".join(b["markdown"]["content"] for b in bots["wecom"].accepted)
    assert all(b["msgtype"] == "markdown" for b in bots["wecom"].accepted)
    assert all(len(b["markdown"]["content"].encode()) <= 4096 for b in bots["wecom"].accepted)
    assert wecom_text.count("<@zhangwei>") == 1 and wecom_text.count("<@lina>") == 1
    assert "王总：团队2项逾期" in wecom_text and "'回款台账 Receivables'!D3" in wecom_text  # the ledger cell
    assert wecom_text.index("团队概览") < wecom_text.index("<@zhangwei>") < wecom_text.index("逾期升级")

    (dt_body,) = bots["dingtalk"].accepted
    assert dt_body["at"] == {"atMobiles": ["13700003333"], "atUserIds": [], "isAtAll": False}
    assert "@13700003333" in dt_body["markdown"]["text"] and "KA周报" in dt_body["markdown"]["title"]

    (fs_body,) = bots["feishu"].accepted
    card_text = json.dumps(fs_body["card"], ensure_ascii=False)
    assert fs_body["msg_type"] == "interactive" and "<at " not in card_text  # management: nobody mentioned
    assert "经营指标对标" in card_text and "经营周报" in card_text

    everything = wecom_text + json.dumps(dt_body, ensure_ascii=False) + card_text
    assert "**x**" not in everything and "[a](b)" not in everything
    assert '<at user_id="all">' not in everything and "@所有人" not in wecom_text + dt_body["markdown"]["text"]
    assert "＊＊x＊＊" in wecom_text and "［a］(b)" in dt_body["markdown"]["text"]

    state = DigestState(tmp_path / "state.json")
    assert "channel:dingtalk:person:孙强" in state.sent("2026-W47")
    again = send_digests(result, _config(tmp_path, ledger, 9), now=clock, environ=env)
    assert again.ok and "channel:wecom:team:王总" in again.already and not again.sent
    assert len(bots["dingtalk"].accepted) == 1  # not posted twice in the week


def test_wecom_team_message_is_split_into_numbered_parts_under_the_limit(tmp_path, ledger, result):
    channels = [{"kind": "wecom", "audience": "team:王总", "url_env": "X"}]
    ((channel, parts),) = parts_of(result, _config(tmp_path, ledger, channels=channels))
    assert len(parts) >= 2
    contents = [p.payload["markdown"]["content"] for p in parts]
    assert all(len(c.encode()) <= 4096 for c in contents)
    assert all(f"（{i}/{len(parts)}）" in c for i, c in enumerate(contents, 1))
    joined = "\n".join(contents)
    assert joined.count("逾期升级 Escalated receivables") == 1 and joined.count("Full details") == 1
    fs = [{"kind": "feishu", "audience": "team:王总", "url_env": "X"}]
    ((_, (card,)),) = parts_of(result, _config(tmp_path, ledger, channels=fs))
    content = card.payload["card"]["elements"][0]["content"]
    assert content.count("<at id=ou_zw></at>") == 1 and content.count("<at id=ou_ln></at>") == 1
    assert content.count("<at ") == 2


def test_crash_and_rerun_posts_only_what_was_not_acknowledged(tmp_path, ledger, result, robots):
    bots, env, clock = robots
    config = _config(tmp_path, ledger, channels=CHANNELS[:1])
    ((_, parts),) = parts_of(result, config)
    assert len(parts) >= 2
    state = DigestState(config.state_file)

    class Crashing(Poster):
        def post(self, *args, **kwargs):
            if self.calls == 1:
                raise KeyboardInterrupt  # the process dies after the first part was accepted
            self.calls += 1
            return super().post(*args, **kwargs)

    poster = Crashing(now=clock)
    poster.calls = 0
    with pytest.raises(KeyboardInterrupt):
        send_channels(result, config, state, "2026-W47", now=clock, report=SendReport("2026-W47"), environ=env,
                      poster=poster)
    assert len(bots["wecom"].accepted) == 1
    report = SendReport("2026-W47")
    send_channels(result, config, DigestState(config.state_file), "2026-W47", now=clock, report=report,
                  environ=env)
    contents = [b["markdown"]["content"] for b in bots["wecom"].accepted]
    assert len(contents) == len(parts) and len(set(contents)) == len(parts)  # each part exactly once
    assert report.sent == ["channel:wecom:team:王总"]
    forced = SendReport("2026-W47")
    send_channels(result, config, DigestState(config.state_file), "2026-W47", now=clock, report=forced,
                  environ=env, force=True)
    assert len(bots["wecom"].accepted) == 2 * len(parts)


def test_a_rejected_channel_is_named_with_the_vendors_code_and_the_others_still_go(tmp_path, ledger, result,
                                                                                    robots):
    bots, env, clock = robots
    env = dict(env, KAXL_DT_SECRET="SEC-wrong")
    report = SendReport("2026-W47")
    send_channels(result, _config(tmp_path, ledger), DigestState(tmp_path / "s.json"), "2026-W47", now=clock,
                  report=report, environ=env)
    assert list(report.failures) == ["channel:dingtalk:person:孙强"]
    reason = report.failures["channel:dingtalk:person:孙强"]
    assert "310000" in reason and "sign not match" in reason and "钉钉" in reason and "DingTalk" in reason
    assert bots["wecom"].accepted and bots["feishu"].accepted and not bots["dingtalk"].accepted
    assert bots["dingtalk"].requests == 1  # a rejection is not retried


def test_stale_timestamp_and_missing_keyword_get_the_vendors_codes(tmp_path, ledger, result, robots):
    bots, env, clock = robots
    late = support.at("2026-11-18T12:30")  # kaxl's clock 2.5 h ahead of the robot's
    bots["feishu"].keyword = "别的关键词"
    report = SendReport("2026-W47")
    send_channels(result, _config(tmp_path, ledger), DigestState(tmp_path / "s.json"), "2026-W47", now=late,
                  report=report, environ=env)
    assert "invalid timestamp" in report.failures["channel:dingtalk:person:孙强"]
    assert "19021" in report.failures["channel:feishu:management"]  # Feishu's window too
    report = SendReport("2026-W47")
    send_channels(result, _config(tmp_path, ledger), DigestState(tmp_path / "s.json"), "2026-W47", now=clock,
                  report=report, environ=env)
    assert list(report.failures) == ["channel:feishu:management"]
    assert "19024" in report.failures["channel:feishu:management"]
    assert "Key Words Not Found" in report.failures["channel:feishu:management"]


def test_rate_limit_and_server_errors_are_retried_with_bounded_backoff(tmp_path, ledger, result, robots):
    from werkzeug.wrappers import Response

    bots, env, clock = robots
    fake = FakeTime()
    busy = json.dumps({"errcode": 45009, "errmsg": "api freq out of limit"})
    bots["wecom"].forced = [Response("oops", status=502), Response(busy, content_type="application/json")]
    config = _config(tmp_path, ledger, channels=CHANNELS[:1])
    report = SendReport("2026-W47")
    send_channels(result, config, DigestState(config.state_file), "2026-W47", now=clock, report=report,
                  environ=env, poster=Poster(now=clock, sleep=fake.sleep), pacers=Pacers(clock=fake.monotonic,
                                                                                          sleep=fake.sleep))
    assert not report.failures and fake.slept[:2] == [2.0, 10.0]
    # a robot that stays rate-limited: four attempts, then a clear failure
    bots["wecom"].forced = [Response(busy, content_type="application/json")] * 4
    fake.slept.clear()
    report = SendReport("2026-W47")
    send_channels(result, config, DigestState(tmp_path / "other.json"), "2026-W47", now=clock, report=report,
                  environ=env, poster=Poster(now=clock, sleep=fake.sleep),
                  pacers=Pacers(clock=fake.monotonic, sleep=fake.sleep))
    assert "45009" in report.failures["channel:wecom:team:王总"] and fake.slept == [2.0, 10.0, 30.0]


def test_the_robots_enforce_their_limits(robots, httpserver):
    import httpx

    bots, env, clock = robots
    big = {"msgtype": "markdown", "markdown": {"content": "长" * 1400}}  # 4200 bytes
    answer = httpx.post(env["KAXL_WC_URL"], json=big).json()
    assert answer["errcode"] == 40058
    answer = httpx.post(env["KAXL_FS_URL"], content=json.dumps({"x": "y" * 21000})).json()
    assert answer["code"] == 9499
    small = {"msgtype": "markdown", "markdown": {"content": "ok"}}
    codes = [httpx.post(env["KAXL_WC_URL"], json=small).json()["errcode"] for _ in range(20)]
    assert codes[:19] == [0] * 19 and codes[19] == 45009  # the 21st request within a minute (1 was the big one)


def test_without_send_the_payloads_are_written_beside_the_previews(tmp_path, ledger, monkeypatch):
    from click.testing import CliRunner

    from kaxl.cli import main

    toml = tmp_path / "kaxl.toml"
    lines = [f'ledgers = ["{ledger.as_posix()}"]']
    for c in CHANNELS:
        lines.append("[[channel]]")
        lines += [f'{k} = "{v}"' for k, v in c.items()]
    toml.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    run = CliRunner().invoke(main, ["digest", "--config", str(toml), "--as-of", "2026-11-18", "--out", str(out)])
    assert run.exit_code == 0, run.output
    names = sorted(p.name for p in out.glob("*.json"))
    assert "2026-W47_dingtalk_person_孙强_1of1.json" in names and "2026-W47_feishu_management_1of1.json" in names
    assert any(n.startswith("2026-W47_wecom_team_王总_1of") for n in names)
    body = json.loads((out / "2026-W47_dingtalk_person_孙强_1of1.json").read_text(encoding="utf-8"))
    assert body["msgtype"] == "markdown" and body["at"]["atMobiles"] == ["13700003333"]
    assert list(out.glob("*.eml"))  # the e-mail previews are there too


def test_sections_come_in_the_emails_order_and_are_escaped(tmp_path, ledger, monkeypatch):
    """A section module (e.g. SPEC §8's since-last-week) reaches the chat as it reaches the e-mail."""
    import sys
    import types

    from kaxl.digest import recipients
    from kaxl.digest.recipients import Section, SectionLine

    module = types.ModuleType("kaxl_test_sections")

    def sections(result, contact, contacts):
        if contact.name != "孙强":
            return []
        return [Section("since", "自上周以来", "Since last week",
                        (SectionLine("新增 1 项：**粗体** <at id=all></at>", "1 new", project_id="P2",
                                     cell="'回款台账 Receivables'!D6", tone="overdue"),), first=True),
                Section("visits", "拜访计划", "Visits to plan", (SectionLine("本周拜访 [客户](x)", "visit"),))]

    module.sections = sections
    monkeypatch.setitem(sys.modules, "kaxl_test_sections", module)
    monkeypatch.setattr(recipients, "SECTION_MODULES", ("kaxl_test_sections",))
    result = check_files(ledger, support.AS_OF)
    config = _config(tmp_path, ledger, channels=[CHANNELS[1], {"kind": "feishu", "audience": "person:孙强",
                                                                "url_env": "F"}])
    (_, (dt_part,)), (_, (fs_part,)) = parts_of(result, config)
    text = dt_part.payload["markdown"]["text"]
    assert text.index("自上周以来") < text.index("我的待办") < text.index("拜访计划")
    assert "＊＊粗体＊＊ ＜at id=all＞" in text and "［客户］(x)" in text
    card = fs_part.payload["card"]["elements"][0]["content"]
    assert "&#42;&#42;粗体&#42;&#42; &lt;at id=all&gt;&lt;/at&gt;" in card and "<at " not in card


def test_dingtalk_mentions_by_user_id_when_there_is_no_mobile():
    from kaxl.channels.message import ChannelMessage, Person, Seg
    from kaxl.channels.send import compose

    person = Person("周敏", dingtalk_userid="manager4220")
    message = ChannelMessage("KA周报", lead=((Seg("周敏", "mention", person=person),),))
    (part,) = compose(message, "dingtalk")
    assert part.payload["at"] == {"atMobiles": [], "atUserIds": ["manager4220"], "isAtAll": False}
    assert "@manager4220" in part.payload["markdown"]["text"]
    odd = Person("周敏", feishu_open_id='ou_1"></at><at id=all')  # a typo'd id mentions nobody
    (fs,) = compose(ChannelMessage("KA", lead=((Seg("周敏", "mention", person=odd),),)), "feishu")
    assert "<at " not in fs.payload["card"]["elements"][0]["content"]
    (wc,) = compose(message, "wecom")  # no WeCom id: the name, mentioning nobody
    assert "周敏" in wc.payload["markdown"]["content"] and "<@" not in wc.payload["markdown"]["content"]


def test_httpx_is_loaded_only_when_something_is_sent():
    import subprocess
    import sys

    code = ("import sys, kaxl.cli, kaxl.api, kaxl.digest, kaxl.channels.deliver, kaxl.channels.checks; "
            "print('httpx' in sys.modules)")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert run.stdout.strip() == "False"  # the Excel-button path and previews never pay for it
