"""The 趋势 Trend tab: written only with a history; native line charts per KPI against target,
findings by severity, the waterfall; re-opened with calamine and LibreOffice."""

from __future__ import annotations

import dataclasses
import datetime as dt
import subprocess
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from python_calamine import CalamineWorkbook

from kaxl.api import check_files
from kaxl.history.frames import History
from kaxl.history.identity import snapshot_frames
from kaxl.reports.summary import write_summary

ROOT = Path(__file__).resolve().parent.parent
LEDGER = ROOT / "sample_ledgers" / "kaxl-sample.xlsx"
LAST = dt.date(2026, 11, 16)


@pytest.fixture(scope="module")
def weeks():
    parts, result = [], None
    for i in (3, 2, 1, 0):
        day = LAST - dt.timedelta(weeks=i)
        result = check_files(LEDGER, day)
        parts.append(snapshot_frames(result, day))
    history = History(*(pd.concat([getattr(p, n) for p in parts], ignore_index=True)
                        for n in ("findings", "projects", "kpis")))
    return result, dataclasses.replace(result, history=history)


def test_no_history_no_tab(tmp_path, weeks):
    plain, _ = weeks
    out = write_summary(plain, tmp_path / "s.xlsx", generated_at=dt.datetime(2026, 11, 16, 9))
    assert "趋势 Trend" not in CalamineWorkbook.from_path(str(out)).sheet_names


def test_trend_tab_numbers_and_native_charts(tmp_path, weeks):
    _, with_history = weeks
    out = write_summary(with_history, tmp_path / "s.xlsx", generated_at=dt.datetime(2026, 11, 16, 9))
    book = CalamineWorkbook.from_path(str(out))
    assert book.sheet_names.index("趋势 Trend") == len(book.sheet_names) - 2  # before 说明 About
    rows = book.get_sheet_by_name("趋势 Trend").to_python()
    cells = [str(c) for row in rows for c in row]
    assert "2026-10-26" in cells and "2026-11-16" in cells  # the four snapshots as columns
    win = next(row for row in rows if str(row[0]).startswith("成单转化率"))
    assert win[4] == pytest.approx(with_history.kpis["win_rate"]["value"])
    target = rows[rows.index(win) + 1]
    assert target[4] == pytest.approx(0.35)
    assert any(str(c).startswith("本周 11-16") for c in cells) and "推进 forward" in " ".join(cells)
    with zipfile.ZipFile(out) as z:
        charts = [n for n in z.namelist() if n.startswith("xl/charts/chart")]
        xml = "".join(z.read(n).decode() for n in charts)
    assert xml.count("<c:lineChart>") >= 5 and "趋势 Trend" in xml  # native line charts on the tab's cells
    assert '<c:grouping val="stacked"/>' in xml  # the waterfall and the severity columns


def test_libreoffice_opens_it(tmp_path, weeks):
    _, with_history = weeks
    out = write_summary(with_history, tmp_path / "s.xlsx", generated_at=dt.datetime(2026, 11, 16, 9))
    subprocess.run(["soffice", "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path), str(out)],
                   check=True, capture_output=True, timeout=300)
    text = subprocess.run(["pdftotext", str(tmp_path / "s.pdf"), "-"], capture_output=True, text=True).stdout
    assert "指标趋势" in text and "商机瀑布" in text
