"""Delivery through a real SMTP server (aiosmtpd on 127.0.0.1): plain relay, STARTTLS with a
login, implicit TLS — asserted from what the server received."""

from __future__ import annotations

import email
import re
import struct
from email import policy

import pytest

from kaxl.api import check_files
from kaxl.digest import send_digests
from kaxl.digest.chart import cjk_font
from kaxl.digest.mailer import SendError
from tests.test_digest_support import (
    AS_OF,
    EMAILS,
    EXPECTED,
    XSS,
    Recorder,
    at,
    authenticator,
    config_for,
    start_server,
    tls_contexts,
    write_hand_ledger,
)


@pytest.fixture(scope="module")
def ledger(tmp_path_factory):
    return write_hand_ledger(tmp_path_factory.mktemp("smtp") / "ledger.xlsx")


@pytest.fixture(scope="module")
def result(ledger):
    return check_files(ledger, AS_OF)


def received(handler: Recorder) -> dict[str, email.message.EmailMessage]:
    out = {}
    for envelope in handler.envelopes:
        msg = email.message_from_bytes(envelope.content, policy=policy.default)
        (rcpt,) = envelope.rcpt_tos
        out[rcpt] = msg
    return out


def test_plain_relay_delivers_exactly_the_planned_mails(tmp_path, ledger, result):
    handler = Recorder()
    server = start_server(handler)
    try:
        config = config_for(tmp_path, ledger, server.port)
        report = send_digests(result, config, now=at("2026-11-18T10:00"))
    finally:
        server.stop()
    assert report.ok and sorted(report.sent) == sorted(EXPECTED)
    assert sorted(handler.recipients) == sorted(EXPECTED)  # one envelope each, nobody else
    mails = received(handler)
    assert {e.mail_from for e in handler.envelopes} == {"ka-ops@example.com"}
    zw = mails[EMAILS["张伟"]]
    assert zw["Subject"] == "【KA周报】2026-W47 张伟：1项逾期，1项本周到期"
    assert zw["From"].addresses[0].display_name == "大客户运营中心"
    assert zw["To"].addresses[0].addr_spec == EMAILS["张伟"]
    html = zw.get_body(("html",)).get_content()
    assert XSS not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert mails[EMAILS["王总"]]["Subject"] == "【KA周报】2026-W47 王总：团队2项逾期，1项本周到期，2项升级"
    assert mails[EMAILS["刘总"]]["Subject"] == "【KA周报】2026-W47 刘总：1项升级至管理层，2项指标未达标"


@pytest.mark.skipif(cjk_font() is None, reason="no CJK font installed (fonts-noto-cjk)")
def test_management_chart_is_an_inline_image_the_html_references(tmp_path, ledger, result):
    handler = Recorder()
    server = start_server(handler)
    try:
        send_digests(result, config_for(tmp_path, ledger, server.port), now=at("2026-11-18T10:00"))
    finally:
        server.stop()
    mails = received(handler)
    boss = mails[EMAILS["刘总"]]
    html_part = boss.get_body(("html",))
    (cid,) = re.findall(r'src="cid:([^"]+)"', html_part.get_content())
    related = next(part for part in boss.walk() if part.get_content_type() == "multipart/related")
    (image,) = [part for part in related.iter_parts() if part.get_content_type() == "image/png"]
    assert image["Content-ID"] == f"<{cid}>"
    assert image.get_content_disposition() == "inline"
    png = image.get_content()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5_000  # a drawn chart, not an empty canvas
    width, height = struct.unpack(">II", png[16:24])
    assert (width, height) == (1104, 460)  # 552 x 230 px drawn at 2x
    text = boss.get_body(("plain",)).get_content()
    assert "每月回款" in text  # the same numbers for clients that show no pictures
    # people who get no chart get no image part
    assert not [p for p in mails[EMAILS["张伟"]].walk() if p.get_content_maintype() == "image"]


def test_manual_send_twice_in_a_week_sends_once(tmp_path, ledger, result):
    handler = Recorder()
    server = start_server(handler)
    try:
        config = config_for(tmp_path, ledger, server.port)
        first = send_digests(result, config, now=at("2026-11-18T10:00"))
        again = send_digests(result, config, now=at("2026-11-18T11:00"))
        forced = send_digests(result, config, now=at("2026-11-18T12:00"), force=True)
    finally:
        server.stop()
    assert len(first.sent) == 5 and again.sent == [] and sorted(again.already) == sorted(EXPECTED)
    assert len(forced.sent) == 5
    assert len(handler.envelopes) == 10


def test_starttls_with_login_and_password_from_the_environment(tmp_path, ledger, result):
    server_ctx, cafile = tls_contexts(tmp_path)
    handler = Recorder()
    server = start_server(handler, tls_context=server_ctx, require_starttls=True,
                          authenticator=authenticator("ka-ops", "s3cret-口令"), auth_required=True,
                          auth_require_tls=True)
    try:
        config = config_for(tmp_path, ledger, server.port, security="starttls", username="ka-ops",
                            password_env="KAXL_TEST_SMTP_PW", cafile=str(cafile))
        report = send_digests(result, config, now=at("2026-11-18T10:00"),
                              environ={"KAXL_TEST_SMTP_PW": "s3cret-口令"})
    finally:
        server.stop()
    assert report.ok and sorted(handler.recipients) == sorted(EXPECTED)


def test_starttls_refuses_an_unknown_certificate(tmp_path, ledger, result):
    server_ctx, _ = tls_contexts(tmp_path)
    handler = Recorder()
    server = start_server(handler, tls_context=server_ctx, require_starttls=True)
    try:
        config = config_for(tmp_path, ledger, server.port, security="starttls")  # system CAs only
        with pytest.raises(SendError):
            send_digests(result, config, now=at("2026-11-18T10:00"))
    finally:
        server.stop()
    assert handler.envelopes == []


def test_wrong_password_is_a_clear_error(tmp_path, ledger, result):
    server_ctx, cafile = tls_contexts(tmp_path)
    server = start_server(Recorder(), tls_context=server_ctx, require_starttls=True,
                          authenticator=authenticator("ka-ops", "right"), auth_required=True)
    try:
        config = config_for(tmp_path, ledger, server.port, security="starttls", username="ka-ops",
                            password_env="PW", cafile=str(cafile))
        with pytest.raises(SendError, match="login failed"):
            send_digests(result, config, now=at("2026-11-18T10:00"), environ={"PW": "wrong"})
        with pytest.raises(Exception, match="PW"):  # the variable is not set at all
            send_digests(result, config, now=at("2026-11-18T10:00"), environ={})
    finally:
        server.stop()


def test_implicit_tls(tmp_path, ledger, result):
    server_ctx, cafile = tls_contexts(tmp_path)
    handler = Recorder()
    server = start_server(handler, ssl_context=server_ctx)
    try:
        config = config_for(tmp_path, ledger, server.port, security="tls", cafile=str(cafile))
        report = send_digests(result, config, now=at("2026-11-18T10:00"))
    finally:
        server.stop()
    assert report.ok and sorted(handler.recipients) == sorted(EXPECTED)


def test_attachment_name_decodes_when_the_summary_is_available(tmp_path, ledger, result):
    pytest.importorskip("kaxl.reports.summary")
    handler = Recorder()
    server = start_server(handler)
    try:
        config = config_for(tmp_path, ledger, server.port)
        send_digests(result, config, now=at("2026-11-18T10:00"))
    finally:
        server.stop()
    mails = received(handler)
    for who in ("王总", "刘总"):
        (attachment,) = list(mails[EMAILS[who]].iter_attachments())
        assert attachment.get_filename() == "KA周报汇总 2026-W47.xlsx"
        assert attachment.get_content()[:2] == b"PK"
    assert list(mails[EMAILS["张伟"]].iter_attachments()) == []
