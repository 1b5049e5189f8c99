"""Posting to a robot: the vendor's payloads, paced, signed at each attempt, retried when it helps.

A rate-limit answer or a server error (HTTP 5xx/429, a dropped connection) is retried with
backoff, a bounded number of times; a rejection (bad signature, bad URL, keyword not allowed,
too long) is not retried and comes back as an Answer with the vendor's own code and message,
which the caller reports against the channel while the other channels go on. httpx is
imported only here, and only when something is sent (the Excel-button path never loads it).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from kaxl.channels import dingtalk, feishu, split, wecom
from kaxl.channels.answer import Answer
from kaxl.channels.body import encode
from kaxl.channels.message import ChannelMessage, Person
from kaxl.channels.pacing import Pacer

VENDORS: dict[str, ModuleType] = {"wecom": wecom, "dingtalk": dingtalk, "feishu": feishu}
BACKOFF = (2.0, 10.0, 30.0)  # seconds before the 2nd, 3rd and 4th attempt
NUMBER_ROOM = "（99/99）"


@dataclass(frozen=True)
class Part:
    payload: dict[str, Any]  # unsigned
    mentioned: tuple[Person, ...]


def compose(message: ChannelMessage, kind: str, keyword: str | None = None) -> list[Part]:
    """The message as the vendor's payloads, split to its size limit and numbered 1/n."""
    vendor = VENDORS[kind]
    rendered = [_block(vendor, block.lines) for block in message.blocks]
    heading = {i for i, block in enumerate(message.blocks) if block.heading}
    lead, lead_people = _lines(vendor, message.lead)
    note, _ = _lines(vendor, message.note)
    by_text: dict[str, list[Person]] = {}
    for text, people in rendered:
        by_text.setdefault(text, []).extend(people)

    def measure(texts: Sequence[str]) -> int:
        return vendor.measure(vendor.payload(message.title, lead, texts, note, NUMBER_ROOM, keyword, []))

    chunks = split.split([(text, i in heading) for i, (text, _) in enumerate(rendered)], measure, vendor.LIMIT)
    chunks = chunks or [[]]
    parts = []
    for number, texts in enumerate(chunks, 1):
        people = list(lead_people)
        for text in texts:
            people += by_text.get(text, [])
        unique = tuple({p.name: p for p in people}.values())
        label = f"（{number}/{len(chunks)}）" if len(chunks) > 1 else ""
        closing = note if number == len(chunks) else ""  # the pointer to the e-mail ends the last part
        parts.append(Part(vendor.payload(message.title, lead, texts, closing, label, keyword, unique), unique))
    return parts


def _block(vendor: ModuleType, lines: Sequence[Any]) -> tuple[str, list[Person]]:
    text, people = _lines(vendor, lines)
    return text, people


def _lines(vendor: ModuleType, lines: Sequence[Any]) -> tuple[str, list[Person]]:
    out, people = [], []
    for segs in lines:
        text, mentioned = vendor.line(segs)
        out.append(text)
        people += mentioned
    return vendor.join_lines(out), people


class Poster:
    """Posts signed payloads with retries; clock, sleep and the HTTP client are injectable."""

    def __init__(self, *, now: Callable[[], dt.datetime], sleep: Callable[[float], None] = time.sleep,
                 client: Any = None, timeout: float = 15.0, backoff: Sequence[float] = BACKOFF) -> None:
        self.now, self.sleep, self.backoff = now, sleep, tuple(backoff)
        self._client, self.timeout = client, timeout

    @property
    def client(self) -> Any:
        if self._client is None:
            import httpx  # lazily: only a run that sends to a chat pays for it

            self._client = httpx.Client(timeout=self.timeout, trust_env=True)
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()

    def post(self, kind: str, url: str, secret: str | None, payload: dict[str, Any], pacer: Pacer) -> Answer:
        """Send one part; the final Answer (ok, or why not after the bounded retries)."""
        import httpx

        vendor = VENDORS[kind]
        answer = Answer(False, False, None, "not sent")
        for attempt in range(len(self.backoff) + 1):
            if attempt:
                self.sleep(self.backoff[attempt - 1])
            pacer.wait()
            signed_url, body = vendor.sign(url, payload, secret, self.now())
            try:
                response = self.client.post(signed_url, content=encode(body),
                                            headers={"Content-Type": "application/json; charset=utf-8"})
                answer = vendor.classify(response.status_code, response.text)
            except httpx.HTTPError as exc:
                answer = Answer(False, True, type(exc).__name__, str(exc) or type(exc).__name__)
            finally:
                pacer.record()
            if answer.ok or not answer.retry:
                return answer
        return answer
