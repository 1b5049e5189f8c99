"""MIME building and SMTP delivery.

Chinese in headers is the part that breaks in real mail clients, so every header goes through
``email.policy.SMTP``: the subject and the sender's display name become RFC 2047 encoded words,
the attachment file name an RFC 2231 parameter (``filename*=utf-8''…``) — what Outlook,
Foxmail and web mail all decode. Bodies are base64 UTF-8, which every relay carries unchanged
(no reliance on 8BITMIME).
"""

from __future__ import annotations

import base64
import datetime as dt
import logging
import mimetypes
import smtplib
import ssl
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid

from kaxl.digest.config import DigestConfig, SmtpConfig
from kaxl.errors import KaxlError

log = logging.getLogger("kaxl.digest")


class SendError(KaxlError):
    """The SMTP server could not be reached, refused the login, or broke off the session."""


@dataclass(frozen=True)
class Attachment:
    filename: str
    data: bytes
    mime_type: str = "application/octet-stream"

    @classmethod
    def of(cls, filename: str, data: bytes) -> Attachment:
        guessed = mimetypes.guess_type(filename)[0]
        if filename.lower().endswith(".xlsx"):
            guessed = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        return cls(filename, data, guessed or "application/octet-stream")


def address(name: str | None, email: str) -> Address:
    """An address whose display name may be Chinese (encoded on output by the SMTP policy)."""
    local, _, domain = email.strip().rpartition("@")
    return Address(display_name=name or "", username=local, domain=domain)


def build_message(*, subject: str, html: str, text: str, to_name: str, to_email: str, config: DigestConfig,
                  now: dt.datetime, attachments: Iterable[Attachment] = (),
                  inline_images: Iterable[tuple[str, bytes]] = ()) -> EmailMessage:
    """One recipient's multipart/alternative message (plus any attachment)."""
    msg = EmailMessage(policy=SMTP)
    msg["Subject"] = subject
    msg["From"] = address(config.sender_name, config.sender_email)
    msg["To"] = address(to_name, to_email)
    if config.reply_to:
        msg["Reply-To"] = config.reply_to
    msg["Date"] = format_datetime(now if now.tzinfo else now.astimezone())
    msg["Message-ID"] = make_msgid("kaxl", domain=config.sender_email.rpartition("@")[2] or None)
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: autoresponders must not answer
    msg["X-Auto-Response-Suppress"] = "All"  # the same for Exchange/Outlook
    msg.set_content(text, subtype="plain", charset="utf-8", cte="base64")
    msg.add_alternative(html, subtype="html", charset="utf-8", cte="base64")
    html_part = msg.get_payload()[1]
    for cid, png in inline_images:  # multipart/related beside the HTML: shown without a download prompt
        html_part.add_related(png, maintype="image", subtype="png", cid=f"<{cid}>", disposition="inline",
                              filename=f"{cid}.png")
    for item in attachments:
        maintype, _, subtype = item.mime_type.partition("/")
        msg.add_attachment(item.data, maintype=maintype, subtype=subtype, filename=item.filename)
    return msg


def ssl_context(smtp: SmtpConfig) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=smtp.cafile)
    if not smtp.verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def connect(smtp: SmtpConfig, environ: Mapping[str, str] | None = None) -> smtplib.SMTP:
    """An open, logged-in (when a username is configured) SMTP session."""
    host, port = smtp.host, smtp.effective_port
    password = smtp.password(environ)  # fail before connecting when it is missing
    try:
        if smtp.security == "tls":
            client: smtplib.SMTP = smtplib.SMTP_SSL(host, port, timeout=smtp.timeout, context=ssl_context(smtp))
        else:
            client = smtplib.SMTP(host, port, timeout=smtp.timeout)
            client.ehlo()
            if smtp.security == "starttls":
                client.starttls(context=ssl_context(smtp))
                client.ehlo()
        if smtp.username:
            login(client, smtp.username, password or "")
    except smtplib.SMTPAuthenticationError as exc:
        raise SendError(f"SMTP 登录失败（用户 {smtp.username}）：请检查用户名和环境变量 {smtp.password_env}",
                        f"SMTP login failed for {smtp.username}: check the user name and ${smtp.password_env}") from exc
    except (OSError, smtplib.SMTPException) as exc:
        raise SendError(f"无法连接邮件服务器 {host}:{port}（{smtp.security}）：{exc}",
                        f"cannot reach the mail server {host}:{port} ({smtp.security}): {exc}") from exc
    return client


def login(client: smtplib.SMTP, username: str, password: str) -> None:
    """Log in; a non-ASCII user or password goes as UTF-8 AUTH PLAIN (RFC 4616), which smtplib cannot do."""
    if username.isascii() and password.isascii():
        client.login(username, password)
        return
    client.ehlo_or_helo_if_needed()
    if not client.has_extn("auth") or "PLAIN" not in client.esmtp_features.get("auth", "").upper().split():
        raise smtplib.SMTPException("the server offers no AUTH PLAIN, needed for a non-ASCII user name or password")
    token = base64.b64encode(b"\0" + username.encode("utf-8") + b"\0" + password.encode("utf-8")).decode("ascii")
    code, reply = client.docmd("AUTH", "PLAIN " + token)
    if code != 235:
        raise smtplib.SMTPAuthenticationError(code, reply)


def send_all(messages: Iterable[tuple[str, EmailMessage]], smtp: SmtpConfig, *,
             on_sent: Callable[[str], None] = lambda key: None,
             environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """Send each (key, message) over one session; ``on_sent(key)`` right after each success.

    A recipient the server refuses is logged and returned in the failures ({key: reason}); the
    others still go out. A broken connection raises :class:`SendError` after recording what was
    already sent (through ``on_sent``), so a retry sends only the rest.
    """
    messages = list(messages)
    failures: dict[str, str] = {}
    if not messages:
        return failures
    client = connect(smtp, environ)
    try:
        for key, msg in messages:
            try:
                client.send_message(msg)
            except (smtplib.SMTPRecipientsRefused, smtplib.SMTPDataError, smtplib.SMTPSenderRefused) as exc:
                failures[key] = str(exc)
                log.warning("digest to %s refused by the server: %s", key, exc)
                continue
            except (OSError, smtplib.SMTPException) as exc:
                raise SendError(f"发送给 {key} 时与邮件服务器的连接中断：{exc}",
                                f"the mail server connection broke while sending to {key}: {exc}") from exc
            on_sent(key)
            log.info("digest sent to %s", key)
    finally:
        try:
            client.quit()
        except (OSError, smtplib.SMTPException):
            client.close()
    return failures
