"""Sheets typed as they are read: the ledger must be the one typed after the whole workbook
was loaded, on the sequential path and on the two-thread one, and a failing sheet must fail
the read with its own message, not hang it."""

from __future__ import annotations

import threading
from pathlib import Path

import pandas as pd
import pytest

from kaxl.errors import LedgerReadError
from kaxl.reading import workbook
from kaxl.reading.ledger import build_ledger, read_ledger
from kaxl.reading.workbook import load_workbook, load_workbooks

SAMPLE = Path(__file__).resolve().parent.parent / "sample_ledgers" / "kaxl-sample.xlsx"


@pytest.fixture(params=["sequential", "two threads"])
def path_kind(request, monkeypatch) -> str:
    if request.param == "two threads":  # the sample is small: make it take the large-ledger path
        monkeypatch.setattr(workbook, "PARALLEL_FROM_BYTES", 0)
    return request.param


def test_streamed_ledger_equals_the_one_typed_after_loading(path_kind: str) -> None:
    streamed = read_ledger([SAMPLE])
    loaded = build_ledger(load_workbooks([SAMPLE]))
    assert set(streamed.frames) == set(loaded.frames)
    for key in loaded.frames:
        pd.testing.assert_frame_equal(streamed.frames[key], loaded.frames[key])
        pd.testing.assert_frame_equal(streamed.raw[key], loaded.raw[key])
    assert streamed.findings == loaded.findings
    assert streamed.sources == loaded.sources
    assert streamed.present == loaded.present


def test_each_sheet_reaches_the_callers_thread_once_and_comes_back_in_order(path_kind: str) -> None:
    seen: list[tuple[str, int]] = []
    sheets = load_workbook(SAMPLE, lambda sheet: seen.append((sheet.title, threading.get_ident())))
    assert sorted(title for title, _ in seen) == sorted(sheet.title for sheet in sheets)
    assert {ident for _, ident in seen} == {threading.get_ident()}
    assert [s.title for s in sheets] == [s.title for s in load_workbook(SAMPLE)]  # workbook order


def test_a_sheet_that_fails_fails_the_read(path_kind: str, monkeypatch) -> None:
    read_sheet = workbook._read_sheet

    def failing(book, meta, path):
        if meta.name.startswith("干系人"):
            raise LedgerReadError("工作表损坏。", "The sheet is damaged.", file=str(path))
        return read_sheet(book, meta, path)

    monkeypatch.setattr(workbook, "_read_sheet", failing)
    with pytest.raises(LedgerReadError, match="damaged"):
        read_ledger([SAMPLE])
