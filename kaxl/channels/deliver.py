"""Which destination gets what, previews on disk, and sending once per ISO week per destination.

Called by :mod:`kaxl.digest.outbox` beside the e-mail, under the same lock and state file:
each accepted part is recorded at once as ``channel:<kind>:<audience>#i/n`` and the whole
destination as ``channel:<kind>:<audience>``, so a rerun after a crash posts only the parts
not yet acknowledged and a finished destination is never posted twice in a week; ``force``
posts everything again. A channel that fails (missing environment variable, rejected
message, rate limit that outlasts the retries) is reported against its key and the others go on.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from kaxl.atomic import atomic_write_text
from kaxl.channels.message import ChannelMessage, build, people
from kaxl.channels.pacing import Pacers
from kaxl.channels.send import VENDORS, Part, Poster, compose
from kaxl.digest.config import ChannelConfig, ConfigError, DigestConfig
from kaxl.digest.recipients import contacts_of, iso_week, plan
from kaxl.digest.state import DigestState

_UNSAFE = re.compile(r'[<>:"/\\|?*\x00-\x1f]+')


def messages(result: Any, config: DigestConfig, *, week: str | None = None,
             attachment_name: str | None = None) -> list[tuple[ChannelConfig, ChannelMessage | None]]:
    """Each configured channel with its message (None: nothing to report to that audience)."""
    if not config.channels:
        return []
    digests = plan(result, max_items=config.max_items)
    week = week or iso_week(result.as_of)
    for digest in digests:
        digest.week = week
    contacts, persons = contacts_of(result), people(result)
    return [(channel, build(channel.audience, digests, contacts, persons, language=config.language, week=week,
                            keyword=channel.keyword, attachment_name=attachment_name))
            for channel in config.channels]


def parts_of(result: Any, config: DigestConfig, *, week: str | None = None,
             attachment_name: str | None = None) -> list[tuple[ChannelConfig, list[Part]]]:
    return [(channel, compose(message, channel.kind, channel.keyword) if message else [])
            for channel, message in messages(result, config, week=week, attachment_name=attachment_name)]


def write_channel_previews(result: Any, out_dir: str | Path, config: DigestConfig, *, week: str | None = None,
                           attachment_name: str | None = None) -> list[Path]:
    """Each channel's payloads as the vendor would receive them (unsigned), one JSON file per part."""
    out_dir = Path(out_dir)
    week = week or iso_week(result.as_of)
    written: list[Path] = []
    for channel, parts in parts_of(result, config, week=week, attachment_name=attachment_name):
        audience = _UNSAFE.sub("_", channel.audience.replace(":", "_")).strip(" .")
        for number, part in enumerate(parts, 1):
            path = out_dir / f"{week}_{channel.kind}_{audience}_{number}of{len(parts)}.json"
            out_dir.mkdir(parents=True, exist_ok=True)
            atomic_write_text(path, json.dumps(part.payload, ensure_ascii=False, indent=2))
            written.append(path)
    return written


def failure(channel: ChannelConfig, zh: str, en: str) -> str:
    name_zh, name_en = VENDORS[channel.kind].NAME
    return f"{name_zh}频道 {channel.key}：{zh} / {name_en} channel {channel.key}: {en}"


def send_channels(result: Any, config: DigestConfig, state: DigestState, week: str, *,
                  now: Callable[[], dt.datetime], report: Any, force: bool = False,
                  environ: Mapping[str, str] | None = None, attachment_name: str | None = None,
                  poster: Poster | None = None, pacers: Pacers | None = None,
                  sleep: Callable[[float], None] = time.sleep) -> None:
    """Post this week's channel messages not yet acknowledged; results go into ``report``."""
    if not config.channels:
        return
    sent = set() if force else state.sent(week)
    own = poster is None
    poster = poster or Poster(now=now, sleep=sleep)
    pacers = pacers or Pacers(sleep=sleep)
    try:
        for channel, parts in parts_of(result, config, week=week, attachment_name=attachment_name):
            key = channel.key.lower()  # the state file keeps keys lower-cased
            if key in sent:
                report.already.append(key)
                continue
            if not parts:
                continue  # nothing to report to this audience this week
            try:
                url, secret = channel.url(environ), channel.secret(environ)
            except ConfigError as exc:
                report.failures[key] = failure(channel, exc.message_zh, exc.message_en)
                continue
            pacer = pacers.of(url, VENDORS[channel.kind].PACING)
            total = len(parts)
            for number, part in enumerate(parts, 1):
                part_key = f"{key}#{number}/{total}"
                if part_key in sent:
                    continue
                answer = poster.post(channel.kind, url, secret, part.payload, pacer)
                if not answer.ok:
                    report.failures[key] = failure(
                        channel, f"第 {number}/{total} 条被拒绝（代码 {answer.describe()}）",
                        f"part {number}/{total} rejected ({answer.describe()})")
                    break
                state.mark_sent(week, part_key, now())
            else:
                state.mark_sent(week, key, now())
                report.sent.append(key)
    finally:
        if own:
            poster.close()
