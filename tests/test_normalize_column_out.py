"""normalize_column writing the shared raw values into a caller's block (``out=``), as the reader does."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from kaxl.contract.columns import SHEETS
from kaxl.reading.normalize import normalize_column

RAW = ["A", "A ", None, 1200.0, "120万", dt.date(2026, 3, 5), "2026-03-05", "", float("nan"), "A", "#N/A", True]
COLUMNS = {c.type: c for s in SHEETS for c in s.columns}


@pytest.mark.parametrize("kind", sorted(COLUMNS))
def test_out_block_gets_what_a_fresh_array_would(kind: str) -> None:
    column = COLUMNS[kind]
    typed, unreadable, shared = normalize_column(column, np.array(RAW, dtype=object))
    block = np.full((2, len(RAW)), "untouched", dtype=object)
    typed_out, unreadable_out, written = normalize_column(column, np.array(RAW, dtype=object), out=block[1])
    assert written is block[1].base or np.shares_memory(written, block)
    assert typed_out.equals(typed) and (unreadable_out == unreadable).all()
    assert [type(v) for v in block[1]] == [type(v) for v in shared]
    assert all(a is b or a == b or (a != a and b != b) for a, b in zip(block[1], shared))
    assert (block[0] == "untouched").all()


def test_equal_texts_share_one_object_in_the_block() -> None:
    column = COLUMNS["text"]
    raw = np.array(["".join(["k", "a"]), "".join(["k", "a"])], dtype=object)
    assert raw[0] is not raw[1]
    out = np.empty(2, dtype=object)
    normalize_column(column, raw, out=out)
    assert out[0] is out[1] and out[0] == "ka"
