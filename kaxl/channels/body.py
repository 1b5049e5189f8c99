"""The exact bytes posted to a robot, which are also the bytes the size limits are measured on."""

from __future__ import annotations

import json
from typing import Any


def encode(body: dict[str, Any]) -> bytes:
    """Compact JSON, UTF-8, Chinese unescaped (a \\uXXXX escape would triple its size)."""
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
