"""飞书 Feishu custom bot: interactive card with a markdown element, signing in the body.

Documented (open.feishu.cn/document/client-docs/bot-v3/add-custom-bot): POST JSON to
``https://open.feishu.cn/open-apis/bot/v2/hook/…``; signed bots add ``timestamp`` (seconds,
within one hour) and ``sign`` = Base64(HmacSHA256(key = timestamp + "\\n" + secret, msg =
empty)) to the JSON body; the body at most 20 KB; 100 requests a minute and 5 a second per
bot; in card markdown a person is mentioned by ``<at id=ou_…></at>`` (open id). Errors:
19021 signature or timestamp, 19022 IP not allowed, 19024 keyword not found, 11232 and
"too many request" frequency limits, 9499 bad request.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
from collections.abc import Sequence
from typing import Any

from kaxl.channels import escape
from kaxl.channels.answer import Answer
from kaxl.channels.answer import classify as classify_body
from kaxl.channels.body import encode
from kaxl.channels.message import Line, Person

KIND = "feishu"
NAME = ("飞书", "Feishu")
LIMIT = 20_000  # bytes of the JSON body (documented: 20 KB), with room to spare
PACING = ((100, 60.0), (5, 1.0))
RATE_LIMITED = frozenset({11232, 99991400})
COLORS = {"overdue": "red", "due": "orange", "open": "grey", "good": "green"}


def mention_of(person: Person) -> str | None:
    return escape.identifier(person.feishu_open_id)


def line(segs: Line) -> tuple[str, list[Person]]:
    out, mentioned = [], []
    for seg in segs:
        text = escape.feishu(seg.text)
        if seg.style == "strong":
            out.append(escape.wrap(text, "**", "**"))
        elif seg.style == "tone":
            out.append(escape.wrap(text, f"<font color='{COLORS.get(seg.tone or '', 'grey')}'>", "</font>"))
        elif seg.style == "mention" and seg.person and mention_of(seg.person):
            out.append(f"<at id={mention_of(seg.person)}></at>")
            mentioned.append(seg.person)
        else:
            out.append(text)
    return "".join(out), mentioned


def join_lines(lines: Sequence[str]) -> str:
    return "\n".join(lines)


def payload(title: str, lead: str, blocks: Sequence[str], note: str, number: str, keyword: str | None,
            mentioned: Sequence[Person]) -> dict[str, Any]:
    content = "\n\n".join(b for b in (lead, *blocks, note) if b)
    elements: list[dict[str, Any]] = [{"tag": "markdown", "content": content}]
    if keyword:  # the keyword check reads the message text: keep it in the body, not only the header
        elements.append({"tag": "note", "elements": [{"tag": "plain_text", "content": keyword}]})
    return {"msg_type": "interactive", "card": {
        "config": {"wide_screen_mode": True},
        "header": {"title": {"tag": "plain_text", "content": f"{title}{number}"}, "template": "blue"},
        "elements": elements}}


def measure(body: dict[str, Any]) -> int:
    signed = dict(body, timestamp="1700000000", sign="x" * 44)  # room for the signature fields
    return len(encode(signed))


def signature(secret: str, timestamp_s: int) -> str:
    """Base64 HmacSHA256(key = timestamp + "\\n" + secret, msg = b"")."""
    digest = hmac.new(f"{timestamp_s}\n{secret}".encode(), b"", hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def sign(url: str, body: dict[str, Any], secret: str | None, now: dt.datetime) -> tuple[str, dict[str, Any]]:
    if not secret:
        return url, body
    stamp = int(now.timestamp())
    return url, {**body, "timestamp": str(stamp), "sign": signature(secret, stamp)}


def classify(status: int, text: str) -> Answer:
    answer = classify_body(status, text, code_key="code", message_key="msg", retry_codes=RATE_LIMITED)
    if not answer.ok and not answer.retry and "too many request" in answer.message.lower():
        return Answer(False, True, answer.code, answer.message)  # 9499 "too many request"
    return answer
