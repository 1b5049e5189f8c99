"""How numbers are shown to people: one decimal, rounded half up (SPEC: JSON keeps every digit).

The JSON document carries KPI values unrounded; every human renderer (e-mail, chat, console)
rounds here, from the value's shortest decimal form, so 0.3345 shows as 33.5 %, never 33.4 %
because its binary form is a hair below.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal


def half_up(value: float, digits: int = 1, scale: int = 1) -> Decimal:
    """``value × scale`` rounded half up to ``digits`` decimals."""
    return (Decimal(repr(float(value))) * scale).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)


def percent(value: float | None, digits: int = 1) -> str:
    """0.3345 → "33.5%"; None → "—"."""
    return "—" if value is None else f"{half_up(value, digits, 100)}%"


def number(value: float | None, digits: int = 1) -> str:
    """89.25 → "89.3"; 90.0 → "90"; thousands separated; None → "—"."""
    if value is None:
        return "—"
    shown = f"{half_up(value, digits):,}"
    return shown.rstrip("0").rstrip(".") if "." in shown else shown
