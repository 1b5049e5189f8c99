"""企业微信 WeCom group robot: markdown message, no signing, ``<@userid>`` mentions.

Documented (developer.work.weixin.qq.com/document/path/91770): POST JSON to
``https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…``; markdown content at most 4096
bytes UTF-8; 20 messages a minute per robot; in markdown a member is mentioned by
``<@userid>`` in the content (``mentioned_mobile_list`` works for text messages only). Errors:
45009 too frequent, 40058 content too long, 93000 invalid webhook key.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from kaxl.channels import escape
from kaxl.channels.answer import Answer
from kaxl.channels.answer import classify as classify_body
from kaxl.channels.message import Line, Person
from kaxl.channels.split import utf8_size

KIND = "wecom"
NAME = ("企业微信", "WeCom")
LIMIT = 4096  # bytes of markdown.content
PACING = ((20, 60.0),)
RATE_LIMITED = frozenset({45009, -1})  # -1: system busy
COLORS = {"overdue": "warning", "due": "warning", "open": "comment", "good": "info"}


def mention_of(person: Person) -> str | None:
    return escape.identifier(person.wecom_userid)


def line(segs: Line) -> tuple[str, list[Person]]:
    out, mentioned = [], []
    for seg in segs:
        text = escape.wecom(seg.text)
        if seg.style == "strong":
            out.append(escape.wrap(text, "**", "**"))
        elif seg.style == "tone":
            out.append(escape.wrap(text, f'<font color="{COLORS.get(seg.tone or "", "comment")}">', "</font>"))
        elif seg.style == "mention" and seg.person and mention_of(seg.person):
            out.append(f"<@{mention_of(seg.person)}>")
            mentioned.append(seg.person)
        else:
            out.append(text)
    return "".join(out), mentioned


def join_lines(lines: Sequence[str]) -> str:
    return "\n".join(lines)


def payload(title: str, lead: str, blocks: Sequence[str], note: str, number: str, keyword: str | None,
            mentioned: Sequence[Person]) -> dict[str, Any]:
    head = f"**{escape.wecom(title)}{number}**"
    body = "\n\n".join(b for b in (head, lead, *blocks, note) if b)
    return {"msgtype": "markdown", "markdown": {"content": body}}


def measure(body: dict[str, Any]) -> int:
    return utf8_size(body["markdown"]["content"])


def sign(url: str, body: dict[str, Any], secret: str | None, now: dt.datetime) -> tuple[str, dict[str, Any]]:
    return url, body  # WeCom robots are not signed: the key in the URL is the credential


def classify(status: int, text: str) -> Answer:
    return classify_body(status, text, code_key="errcode", message_key="errmsg", retry_codes=RATE_LIMITED)
