"""钉钉 DingTalk custom robot: markdown message, HMAC-SHA256 signing on the URL, @ by mobile.

Documented (open.dingtalk.com/document/robots/custom-robot-access and
…/customize-robot-security-settings): POST JSON to ``https://oapi.dingtalk.com/robot/send?
access_token=…``; signed robots add ``&timestamp=<ms>&sign=<urlencode(base64(HmacSHA256(key =
secret, msg = timestamp + "\\n" + secret)))>``, the timestamp within one hour of DingTalk's
clock; 20 messages a minute per robot (then throttled for 10 minutes); a mention needs the
number in ``at.atMobiles`` (or the id in ``at.atUserIds``) *and* "@number" in the text.
Errors: 310000 signature/keyword/IP/timestamp refused, 130101 sending too fast, 460101 message
too long, 300001 bad token. Body kept at most 20,000 bytes.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
from collections.abc import Sequence
from typing import Any
from urllib.parse import parse_qsl, quote_plus, urlencode, urlsplit, urlunsplit

from kaxl.channels import escape
from kaxl.channels.answer import Answer
from kaxl.channels.answer import classify as classify_body
from kaxl.channels.body import encode
from kaxl.channels.message import Line, Person

KIND = "dingtalk"
NAME = ("钉钉", "DingTalk")
LIMIT = 20_000  # bytes of the JSON body
PACING = ((20, 60.0),)
RATE_LIMITED = frozenset({130101, -1})
COLORS = {"overdue": "#c62828", "due": "#e0a100", "open": "#607d8b", "good": "#2e7d32"}


def mention_of(person: Person) -> str | None:
    return escape.identifier(person.mobile) or escape.identifier(person.dingtalk_userid)


def line(segs: Line) -> tuple[str, list[Person]]:
    out, mentioned = [], []
    for seg in segs:
        text = escape.dingtalk(seg.text)
        if seg.style == "strong":
            out.append(escape.wrap(text, "**", "**"))
        elif seg.style == "tone":
            out.append(escape.wrap(text, f'<font color="{COLORS.get(seg.tone or "", "#607d8b")}">', "</font>"))
        elif seg.style == "mention" and seg.person and mention_of(seg.person):
            out.append(f"@{mention_of(seg.person)}")
            mentioned.append(seg.person)
        else:
            out.append(text)
    return "".join(out), mentioned


def join_lines(lines: Sequence[str]) -> str:
    return "  \n".join(lines)  # markdown hard breaks: DingTalk joins single newlines otherwise


def payload(title: str, lead: str, blocks: Sequence[str], note: str, number: str, keyword: str | None,
            mentioned: Sequence[Person]) -> dict[str, Any]:
    plain = f"{title}{number}"
    text = "\n\n".join(b for b in (f"#### {escape.dingtalk(plain)}", lead, *blocks, note) if b)
    mobiles = sorted({p.mobile for p in mentioned if p.mobile and mention_of(p) == p.mobile})
    users = sorted({p.dingtalk_userid for p in mentioned if p.dingtalk_userid and mention_of(p) == p.dingtalk_userid})
    return {"msgtype": "markdown", "markdown": {"title": plain, "text": text},
            "at": {"atMobiles": mobiles, "atUserIds": users, "isAtAll": False}}


def measure(body: dict[str, Any]) -> int:
    return len(encode(body))


def signature(secret: str, timestamp_ms: int) -> str:
    """Base64 HmacSHA256(key = secret, msg = timestamp + "\\n" + secret) (before URL-encoding)."""
    digest = hmac.new(secret.encode("utf-8"), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def sign(url: str, body: dict[str, Any], secret: str | None, now: dt.datetime) -> tuple[str, dict[str, Any]]:
    """The URL with ``timestamp`` and ``sign``; a stored URL that already has them is cleaned first."""
    if not secret:
        return url, body
    stamp = int(now.timestamp() * 1000)
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in ("timestamp", "sign")]
    query += [("timestamp", str(stamp)), ("sign", signature(secret, stamp))]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query, quote_via=quote_plus),
                       parts.fragment)), body


def classify(status: int, text: str) -> Answer:
    return classify_body(status, text, code_key="errcode", message_key="errmsg", retry_codes=RATE_LIMITED)
