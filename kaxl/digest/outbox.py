"""From a check result to e-mails: previews on disk, or delivery recorded in the state file."""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import quote

from kaxl.atomic import atomic_write_bytes, atomic_write_text
from kaxl.digest.config import DigestConfig
from kaxl.digest.mailer import Attachment, build_message, send_all
from kaxl.digest.recipients import Digest, iso_week, plan
from kaxl.digest.render import Rendered, render
from kaxl.digest.state import DigestState, StateLock

log = logging.getLogger("kaxl.digest")
Clock = Callable[[], dt.datetime]
SUMMARY_ROLES = ("sales_director", "management")  # the managers' workbook goes to managers


def system_now() -> dt.datetime:
    """The real clock, timezone-aware (the library takes ``now`` so tests never wait)."""
    return dt.datetime.now(dt.timezone.utc).astimezone()


@dataclass
class Outgoing:
    digest: Digest
    rendered: Rendered
    message: EmailMessage

    @property
    def key(self) -> str:
        return self.digest.recipient.email.strip().lower()


@dataclass
class SendReport:
    week: str
    sent: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)
    failures: dict[str, str] = field(default_factory=dict)
    locked: bool = False  # another process held the lock: nothing was done

    @property
    def ok(self) -> bool:
        return not self.failures and not self.locked


def summary_name(week: str) -> str:
    return f"KA周报汇总 {week}.xlsx"


def summary_attachment(result: Any, week: str, now: dt.datetime) -> Attachment | None:
    """The managers' summary workbook, when that module is installed and works on this ledger.

    A failing summary must not stop the digest itself: it is logged and the mail goes without it.
    """
    try:
        from kaxl.reports.summary import write_summary
    except ImportError:
        return None
    name = summary_name(week)
    sources = [str(s) for s in getattr(result.ledger, "files", []) or []]
    try:
        with tempfile.TemporaryDirectory(prefix="kaxl-digest-") as tmp:
            out = Path(tmp) / "summary.xlsx"
            try:
                write_summary(result, out, sources=sources, generated_at=now)
            except TypeError:  # an older signature without the keywords
                write_summary(result, out)
            return Attachment.of(name, out.read_bytes())
    except Exception as exc:  # noqa: BLE001 - the digest goes out without the attachment
        log.warning("summary workbook not attached: %s: %s", type(exc).__name__, exc)
        return None


def build_outbox(result: Any, config: DigestConfig, *, now: Clock = system_now, week: str | None = None,
                 only: Callable[[Digest], bool] | None = None) -> list[Outgoing]:
    """Render every digest of ``result`` (those ``only`` accepts) into a ready message."""
    digests = plan(result, max_items=config.max_items)
    if week:
        for digest in digests:
            digest.week = week
    if only is not None:
        digests = [d for d in digests if only(d)]
    stamp = now()
    week = week or iso_week(result.as_of)
    attachment = None
    if config.attach_summary and any(d.recipient.role in SUMMARY_ROLES for d in digests):
        attachment = summary_attachment(result, week, stamp)
    out = []
    for digest in digests:
        attach = [attachment] if attachment and digest.recipient.role in SUMMARY_ROLES else []
        rendered = render(digest, language=config.language, generated_at=stamp,
                          attachment_name=attach[0].filename if attach else None)
        message = build_message(subject=rendered.subject, html=rendered.html, text=rendered.text,
                                to_name=digest.recipient.name, to_email=digest.recipient.email, config=config,
                                now=stamp, attachments=attach, inline_images=rendered.images)
        out.append(Outgoing(digest, rendered, message))
    return out


_UNSAFE = re.compile(r'[<>:"/\\|?*\x00-\x1f]+')


def preview_stem(outgoing: Outgoing) -> str:
    """A file name safe on Windows: 2026-W47_张伟."""
    name = _UNSAFE.sub("_", outgoing.digest.recipient.name).strip(" .") or outgoing.key
    return f"{outgoing.digest.week}_{name}"


def write_previews(result: Any, out_dir: str | os.PathLike[str], config: DigestConfig | None = None, *,
                   now: Clock = system_now) -> list[Path]:
    """Each recipient's .eml (opens in Outlook/Foxmail) and .html preview; no network."""
    config = config or DigestConfig()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    seen: set[str] = set()
    for outgoing in build_outbox(result, config, now=now):
        stem = preview_stem(outgoing)
        if stem in seen:  # two people whose names sanitise alike
            stem = f"{stem}_{outgoing.key}"
        seen.add(stem)
        eml, html = out_dir / f"{stem}.eml", out_dir / f"{stem}.html"
        atomic_write_bytes(eml, outgoing.message.as_bytes())
        page = outgoing.rendered.html
        for cid, png in outgoing.rendered.images:  # a browser cannot resolve cid: — point at a file beside it
            image = out_dir / f"{stem}.{cid}.png"
            atomic_write_bytes(image, png)
            page = page.replace(f'src="cid:{cid}"', f'src="{quote(image.name)}"')
            written.append(image)
        atomic_write_text(html, page)
        written += [eml, html]
    return written


def send_digests(result: Any, config: DigestConfig, *, now: Clock = system_now, week: str | None = None,
                 force: bool = False, environ: Mapping[str, str] | None = None) -> SendReport:
    """Send this week's digests to everyone not yet sent to, under the state lock.

    Idempotent per ISO week and per recipient: each accepted message is recorded at once, so a
    crash or a broken connection half-way leaves a state from which the retry sends the rest.
    ``force`` sends again to everyone (a manual resend after fixing the ledger).
    """
    week = week or iso_week(result.as_of)
    report = SendReport(week)
    lock = StateLock(config.state_file)
    with lock.hold(now()) as got:
        if not got:
            report.locked = True
            return report
        state = DigestState(config.state_file)
        already = set() if force else state.sent(week)
        outbox = build_outbox(result, config, now=now, week=week,
                              only=lambda d: d.recipient.email.strip().lower() not in already)
        report.already = sorted(k for k in already if not k.startswith("channel:"))

        def sent(key: str) -> None:
            state.mark_sent(week, key, now())
            report.sent.append(key)

        try:
            report.failures = send_all(((o.key, o.message) for o in outbox), config.smtp, on_sent=sent,
                                       environ=environ)
        finally:  # the group robots go out even when the mail server is down (and the reverse)
            if config.channels:
                from kaxl.channels.deliver import send_channels

                send_channels(result, config, state, week, now=now, report=report, force=force, environ=environ,
                              attachment_name=summary_name(week) if config.attach_summary else None)
        if not report.failures:
            state.mark_complete(week, now(), recipients=len(report.sent) + len(report.already))
    return report
