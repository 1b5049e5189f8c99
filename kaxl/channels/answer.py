"""What a vendor's answer means: accepted, worth retrying (rate limit, server busy), or rejected.

All three vendors answer HTTP 200 with the outcome in the body (``errcode``/``code``), so the
HTTP status alone says little; each vendor module classifies its own codes into an Answer.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Answer:
    ok: bool
    retry: bool = False  # rate limit or a server error: try again after a pause
    code: int | str | None = None
    message: str = ""

    def describe(self) -> str:
        return f"{self.code}: {self.message}" if self.code is not None else self.message


def parse_body(text: str) -> dict[str, Any] | None:
    try:
        data = json.loads(text)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def classify(status: int, text: str, *, code_key: str, message_key: str, retry_codes: frozenset[int]) -> Answer:
    """The common shape: HTTP status first, then the vendor's code in the JSON body."""
    if status == 429 or status >= 500:
        return Answer(False, True, f"HTTP {status}", text[:200])
    data = parse_body(text)
    if status != 200 or data is None:
        return Answer(False, False, f"HTTP {status}", text[:200])
    code = data.get(code_key, data.get("StatusCode"))
    message = str(data.get(message_key, data.get("StatusMessage", "")))
    try:
        number = int(code)
    except (TypeError, ValueError):
        return Answer(False, False, code, message or text[:200])
    if number == 0:
        return Answer(True, False, 0, message)
    return Answer(False, number in retry_codes, number, message)
