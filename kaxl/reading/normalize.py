"""Normalise what people actually type into a cell (SPEC §2 "Cell values people actually type").

Each normaliser is a total function of one raw cell value: it returns the typed value, ``None``
for an empty cell, or :data:`UNREADABLE` — it never raises. The reader calls them once per
*distinct* raw value of a column (see :func:`normalize_column`), so they can afford to be
readable Python rather than clever vectorised code, and the property-based tests can pin them
down one value at a time.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from kaxl.contract.columns import Column


class _Unreadable:
    """Marker for "a value is there, but it cannot be read as this column's type"."""

    _instance: _Unreadable | None = None

    def __new__(cls) -> _Unreadable:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNREADABLE"

    def __bool__(self) -> bool:
        return False


UNREADABLE: Any = _Unreadable()

# Full-width ASCII (！ to ～) and the ideographic space, as typed with a Chinese IME.
_FULLWIDTH = {i: i - 0xFEE0 for i in range(0xFF01, 0xFF5F)}
_FULLWIDTH.update({0x3000: 0x20, 0x00A0: 0x20, 0x2002: 0x20, 0x2003: 0x20, 0x200B: None, 0xFEFF: None})
_FULLWIDTH.update({ord("。"): ord("."), ord("，"): ord(","), ord("－"): ord("-"), ord("／"): ord("/")})

EXCEL_ERRORS = frozenset(
    {"#N/A", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#NULL!", "#GETTING_DATA", "#SPILL!", "#CALC!"}
)
# Excel's 1900 date system: serial 1 = 1900-01-01, with the phantom 1900-02-29 (serial 60).
_EXCEL_EPOCH = dt.date(1899, 12, 30)
_MIN_DATE, _MAX_DATE = dt.date(1900, 1, 1), dt.date(9999, 12, 31)


_NEEDS_FOLDING = re.compile("[" + re.escape("".join(map(chr, _FULLWIDTH))) + "]")


def clean_text(value: str) -> str:
    """Full-width to half-width, invisible characters dropped, surrounding spaces stripped.

    Most cells have nothing to fold: a C-speed search first spares them ``translate``'s
    per-character dict lookups (5× faster over the 20,000-project ledger's 366k strings).
    """
    if _NEEDS_FOLDING.search(value):
        value = value.translate(_FULLWIDTH)
    return value.strip()


def is_blank(value: object) -> bool:
    """Empty cell: None, NaN, or text that is only spaces."""
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and clean_text(value) == ""


def _number_text(value: float) -> str:
    """1001.0 → "1001": ids typed as numbers must read back as the text the user sees."""
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


def _float(value: int | float) -> float:
    """``float(value)``, with integers beyond float's range as infinity (never OverflowError)."""
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf


def norm_text(value: object) -> Any:
    if value.__class__ is str:  # nearly every cell: cleaned once, not again by is_blank
        text = clean_text(value)  # type: ignore[arg-type]
        return None if not text else UNREADABLE if text in EXCEL_ERRORS else text
    if is_blank(value):
        return None
    if isinstance(value, str):
        text = clean_text(value)
        return UNREADABLE if text in EXCEL_ERRORS else text
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return _number_text(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return clean_text(str(value))


_DATE_PATTERNS = (
    re.compile(r"^(\d{4})\s*[-/.]\s*(\d{1,2})\s*[-/.]\s*(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"),
    re.compile(r"^(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)


def _date_or_unreadable(year: int, month: int, day: int) -> Any:
    try:
        result = dt.date(year, month, day)
    except ValueError:
        return UNREADABLE
    return result if result >= _MIN_DATE else UNREADABLE


def norm_date(value: object) -> Any:
    """Real Excel dates, serial numbers, 2026-03-05, 2026/3/5, 2026.3.5, 2026年3月5日, 20260305."""
    if value.__class__ is dt.date:  # what calamine hands over for a date cell
        return value
    if value.__class__ is str:
        return _date_of_text(value)  # type: ignore[arg-type]
    if is_blank(value):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, bool):
        return UNREADABLE
    if isinstance(value, (int, float)):
        number = _float(value)
        if math.isnan(number) or math.isinf(number) or not number.is_integer() and number < 1:
            return UNREADABLE
        if 19000101 <= number <= 99991231 and number.is_integer():  # 20260305 typed as a number
            digits = int(number)
            return _date_or_unreadable(digits // 10000, digits // 100 % 100, digits % 100)
        if 1 <= number < 2958466:  # an Excel serial date left in General format
            return _EXCEL_EPOCH + dt.timedelta(days=int(number))
        return UNREADABLE
    if not isinstance(value, str):
        return UNREADABLE
    return _date_from_text(clean_text(value))


@functools.lru_cache(maxsize=1 << 16)
def _date_of_text(value: str) -> Any:
    """:func:`norm_date` of a text cell, remembered: the same few thousand date texts recur in
    every date column (25,000 distinct per column, 4,300 in all, on the 20,000-project ledger)."""
    return _date_from_text(clean_text(value))


def _date_from_text(text: str) -> Any:
    """:func:`norm_date` of a cell's text, already cleaned."""
    if not text:
        return None
    for pattern in _DATE_PATTERNS:
        match = pattern.match(text)
        if match:
            return _date_or_unreadable(*(int(g) for g in match.groups()))
    if re.fullmatch(r"\d{5}(\.\d+)?", text):  # a serial number stored as text
        return norm_date(float(text))
    return UNREADABLE


_MONEY_RE = re.compile(r"^([-+]?\d+(?:\.\d+)?)\s*(万|亿|千|w|W|k|K)?$")
_MONEY_NOISE = re.compile(r"[¥￥$,\s]|RMB|CNY|人民币")
_MULTIPLIER = {None: 1.0, "千": 1e3, "k": 1e3, "K": 1e3, "万": 1e4, "w": 1e4, "W": 1e4, "亿": 1e8}


def norm_number(value: object) -> Any:
    """Money and plain numbers: 1,200,000 · ¥1,200,000.00 · 120万 · 1.2亿 · １２０万 → yuan."""
    if value.__class__ is float:  # a number cell: calamine's float (NaN is an empty cell)
        return None if math.isnan(value) else UNREADABLE if math.isinf(value) else value  # type: ignore[arg-type]
    if value.__class__ is str:
        return _number_from_text(clean_text(value))  # type: ignore[arg-type]
    if is_blank(value):
        return None
    if isinstance(value, bool):
        return UNREADABLE
    if isinstance(value, (int, float)):
        number = _float(value)
        return UNREADABLE if math.isnan(number) or math.isinf(number) else number
    if not isinstance(value, str):
        return UNREADABLE
    return _number_from_text(clean_text(value))


def _number_from_text(text: str) -> Any:
    """:func:`norm_number` of a cell's text, already cleaned."""
    if not text:
        return None
    negative = text.startswith("(") and text.endswith(")")
    if negative:
        text = text[1:-1]
    text = _MONEY_NOISE.sub("", text)
    text = text.removesuffix("元").removesuffix("整")
    match = _MONEY_RE.match(text)
    if not match:
        return UNREADABLE
    number = float(match.group(1)) * _MULTIPLIER[match.group(2)]
    number = round(number, 6)
    return -number if negative else number


def norm_ratio(value: object) -> Any:
    """0.3 · 30% · 30 → 0.3 (a value above 1 in a ratio column is read as a percentage)."""
    if is_blank(value):
        return None
    percent = False
    if isinstance(value, str):
        text = clean_text(value)
        if text.endswith("%"):
            percent, value = True, text[:-1]
    number = norm_number(value)
    if number is None or number is UNREADABLE:
        return UNREADABLE if number is None else number
    if percent or number > 1:
        number = round(number / 100, 10)
    return number


def norm_int(value: object) -> Any:
    """Whole numbers: 2, 2.0, "2", "２", "第2期"."""
    if is_blank(value):
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value  # exact, however large (a float detour would round beyond 2**53)
    if isinstance(value, str):
        text = clean_text(value)
        match = re.fullmatch(r"第?\s*([-+]?\d+)\s*[期轮次]?", text)
        if match:
            return int(match.group(1))
    number = norm_number(value)
    if number is None or number is UNREADABLE:
        return UNREADABLE
    return int(number) if float(number).is_integer() else UNREADABLE


_TRUE = {"是", "y", "yes", "true", "1", "√", "✓", "✔", "对", "有", "t"}
_FALSE = {"否", "n", "no", "false", "0", "×", "✗", "✘", "x", "无", "没有", "f"}


def norm_bool(value: object) -> Any:
    """是/否 · Y/N · yes/no · TRUE/FALSE · 1/0 · √/× · ✓/✗."""
    if is_blank(value):
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return {1: True, 0: False}.get(value, UNREADABLE)
    if isinstance(value, float):
        return {1: True, 0: False}.get(value, UNREADABLE) if not math.isnan(value) else None
    if not isinstance(value, str):
        return UNREADABLE
    text = clean_text(value).lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    return UNREADABLE


def _fold(text: str) -> str:
    return re.sub(r"[\s_\-]+", "", clean_text(text)).lower()


def enum_normalizer(column: Column) -> Callable[[object], Any]:
    """Chinese label or English key (any case, any spacing) → the key; unknown text is kept.

    Unknown text is returned as-is so schema validation can report it as ``SCH-005`` and
    quote it; the reader does not decide what is allowed, the schema does.
    """
    lookup: dict[str, str] = {}
    for choice in column.choices:
        for name in (choice.key, choice.zh, *choice.aliases, f"{choice.zh}{choice.key}", f"{choice.zh}({choice.key})"):
            lookup[_fold(name)] = choice.key

    def normalise(value: object) -> Any:
        text = norm_text(value)
        if text is None or text is UNREADABLE:
            return text
        return lookup.get(_fold(text), text)

    return normalise


def normalizer_for(column: Column) -> Callable[[object], Any]:
    """The scalar normaliser for a column's declared type."""
    if column.type == "enum":
        return enum_normalizer(column)
    return {
        "text": norm_text,
        "date": norm_date,
        "money": norm_number,
        "number": norm_number,
        "ratio": norm_ratio,
        "int": norm_int,
        "bool": norm_bool,
    }[column.type]


def normalize_column(column: Column, raw: Sequence[object] | np.ndarray,
                     out: np.ndarray | None = None) -> tuple[pd.Series, np.ndarray, np.ndarray]:
    """Normalise one column of raw cell values; returns (typed series, unreadable mask, the raw
    values with equal values sharing one object).

    Ledgers repeat themselves (the same manager, stage, date, amount thousands of times), so
    each distinct raw value is normalised once and the results are broadcast by code. The reader
    gives every cell its own object; the ledger keeps the raw values for the whole run (to quote
    them in messages), and sharing equal ones keeps a third of the 20,000-project ledger's
    memory from being held twice.

    ``out``: an object array of the column's length to write the shared raw values into (and to
    return), so a caller gathering several columns into one block makes no copy of each first.
    """
    raw_array = np.asarray(raw, dtype=object)
    if out is None:
        out = np.empty(len(raw_array), dtype=object)
    codes, uniques = pd.factorize(raw_array, use_na_sentinel=True)
    results = _clean_texts(uniques) if column.type == "text" else None
    if results is None:
        normalise = normalizer_for(column)
        results = [normalise(u) for u in uniques]
    # list.count and infer_dtype run in C: most columns have no unreadable value and are all
    # text or all not, so the per-value passes below are only for the columns that need them
    if results.count(UNREADABLE):
        bad = np.fromiter((r is UNREADABLE for r in results), dtype=bool, count=len(results))
        unreadable = bad[codes] & (codes >= 0)
        clean = [None if r is UNREADABLE else r for r in results]
    else:
        unreadable, clean = np.zeros(len(raw_array), dtype=bool), results
    # only text: a string equals only an equal string, while 1, 1.0 and True share a code
    if not len(uniques):
        out[:] = raw_array
        return _typed(column, clean, codes), unreadable, out
    kind = pd.api.types.infer_dtype(uniques, skipna=False)
    if kind == "string":  # every value text: each cell takes its unique's object
        np.take(np.asarray(uniques, dtype=object), codes, out=out)
        empty = codes < 0
        if empty.any():
            out[empty] = raw_array[empty]
        return _typed(column, clean, codes), unreadable, out
    out[:] = raw_array
    if kind in ("mixed", "mixed-integer"):  # some text among other values
        text = np.fromiter((u.__class__ is str for u in uniques), dtype=bool, count=len(uniques))
        same = (codes >= 0) & text[codes]
        out[same] = np.asarray(uniques, dtype=object)[codes[same]]
    return _typed(column, clean, codes), unreadable, out


_EDGE_SPACE = re.compile(r"(?:^|\x00)\s|\s(?:\x00|$)")


def _clean_texts(uniques: np.ndarray) -> list[Any] | None:
    """:func:`norm_text` of every value at once when none needs it, else None (go one by one).

    Most text cells (names, ids, notes) are already clean: no full-width character, no space at
    either end, not empty, not an Excel error. One search over all of them joined proves that
    in C, instead of ~130k Python calls on the 20,000-project ledger.
    """
    if len(uniques) == 0 or pd.api.types.infer_dtype(uniques, skipna=False) != "string":
        return None
    values = uniques.tolist()
    joined = "\x00".join(values)
    if (joined.count("\x00") != len(values) - 1 or _NEEDS_FOLDING.search(joined) or _EDGE_SPACE.search(joined)
            or not all(values) or not EXCEL_ERRORS.isdisjoint(values)):
        return None
    return values


def _typed(column: Column, values: list[Any], codes: np.ndarray) -> pd.Series:
    """Broadcast per-unique results into a typed column (NA where empty or unreadable)."""
    kind = column.type
    if kind == "date":
        base = pd.to_datetime(pd.Series(values, dtype=object), errors="coerce").to_numpy(dtype="datetime64[ns]")
        out = np.full(len(codes), np.datetime64("NaT"), dtype="datetime64[ns]")
        taken = codes >= 0
        out[taken] = base[codes[taken]] if len(base) else out[taken]
        return pd.Series(out, copy=False)
    if kind in ("money", "number", "ratio"):
        base = np.array([np.nan if v is None else v for v in values], dtype=float)
        out = np.full(len(codes), np.nan)
        taken = codes >= 0
        out[taken] = base[codes[taken]] if len(base) else out[taken]
        return pd.Series(out, copy=False)
    if kind == "int":
        base_arr = pd.array(values, dtype="Int64")
        out = pd.array([pd.NA] * len(codes), dtype="Int64") if len(base_arr) == 0 else base_arr.take(codes, allow_fill=True)
        return pd.Series(out, copy=False)
    if kind == "bool":
        base_arr = pd.array(values, dtype="boolean")
        out = pd.array([pd.NA] * len(codes), dtype="boolean") if len(base_arr) == 0 else base_arr.take(codes, allow_fill=True)
        return pd.Series(out, copy=False)
    base_obj = np.array(values + [None], dtype=object)
    return pd.Series(base_obj[codes], dtype=object, copy=False)  # code -1 picks the trailing None
