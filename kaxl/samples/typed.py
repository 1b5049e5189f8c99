"""Values written the way people type them: 120万, 2026年3月5日, √, 30%, an enum's Chinese label."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from typing import Any

from kaxl.contract.columns import SHEETS, Column
from kaxl.samples.model import Formula


def _type_date(rng: random.Random, value: Any) -> Any:
    if not isinstance(value, dt.date):
        return value
    r = rng.random()
    if r < 0.75:
        return value
    if r < 0.83:
        return f"{value.year}/{value.month}/{value.day}"
    if r < 0.90:
        return f"{value.year}年{value.month}月{value.day}日"
    if r < 0.95:
        return value.isoformat()
    if r < 0.98:
        return f"{value.year}.{value.month}.{value.day}"
    return value.year * 10000 + value.month * 100 + value.day


def _type_money(rng: random.Random, value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return value
    r = rng.random()
    if r < 0.65:
        return value
    if r < 0.80 and float(value) % 100 == 0:
        return f"{float(value) / 10000:.4f}".rstrip("0").rstrip(".") + "万"
    if r < 0.90:
        return f"¥{value:,.2f}"
    return f"{value:,.0f}" if float(value).is_integer() else value


def _type_ratio(rng: random.Random, value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return value
    r = rng.random()
    if r < 0.6:
        return value
    if r < 0.9:
        return f"{value * 100:g}%"
    return round(value * 100, 6) if value * 100 > 1 else value


def _type_bool(rng: random.Random, value: Any) -> Any:
    if not isinstance(value, bool):
        return value
    r = rng.random()
    if r < 0.4:
        return "是" if value else "否"
    if r < 0.6:
        return "√" if value else "×"
    if r < 0.8:
        return value
    return "Y" if value else "N"


def _type_int(rng: random.Random, value: Any, suffix: str) -> Any:
    if isinstance(value, bool) or not isinstance(value, int):
        return value
    r = rng.random()
    if r < 0.85:
        return value
    return f"{value}{suffix}" if suffix and r < 0.93 else str(value)


def _type_text(rng: random.Random, value: Any) -> Any:
    if isinstance(value, str) and rng.random() < 0.03:
        return value + " " if rng.random() < 0.5 else "\u3000" + value
    return value


def as_typed(rows: dict[str, list[dict[str, Any]]], rng: random.Random) -> dict[str, list[dict[str, Any]]]:
    """Write typed values the way people type them; unreadable text left by mistakes stays as is.

    Each column draws from its own Random (seeded once from ``rng``, then by sheet and column),
    row after row: what SPEC §7's modules add — their sheets, the projects' delivery_manager and
    csm columns, their people appended to Contacts — never changes how anything else is typed,
    so ``--core-only`` types the first ten tabs alike."""
    base = rng.getrandbits(64)
    for spec in SHEETS:
        for column in spec.columns:
            typer = _typer(spec.key, column)
            if typer is None:
                continue
            col_rng = random.Random(f"{base}:{spec.key}:{column.key}")  # str seed: SHA-512, the same everywhere
            for row in rows.get(spec.key, []):
                value = row.get(column.key)
                if value is not None and not isinstance(value, Formula):
                    row[column.key] = typer(col_rng, value)
    return rows


def _typer(sheet_key: str, column: Column) -> Callable[[random.Random, Any], Any] | None:
    """How one column's values are typed (None: written as they are)."""
    kind = column.type
    if kind == "date":
        return _type_date
    if kind == "money":
        return _type_money
    if kind == "ratio":
        return _type_ratio
    if kind == "bool":
        return _type_bool
    if kind == "int":
        suffix = {"installment": "期", "research_rounds": "轮"}.get(column.key, "")
        return lambda rng, value: _type_int(rng, value, suffix)
    if kind == "enum":
        labels = {c.key: c.zh for c in column.choices}
        return lambda rng, value: _type_enum(rng, value, labels)
    if kind == "text" and sheet_key not in ("settings", "contacts") and not column.ref and not column.unique:
        return _type_text
    return None


def _type_enum(rng: random.Random, value: Any, labels: dict[str, str]) -> Any:
    if value not in labels:
        return value
    r = rng.random()
    return labels[value] if r < 0.82 else value if r < 0.96 else f" {labels[value]} "
