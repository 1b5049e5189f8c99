"""`kaxl snapshot --backfill FOLDER` (SPEC §8) on real dated copies of the sample ledger, against
SQLite and a real PostgreSQL: dates from names (or modified times, confirmed), unreadable files
listed and skipped, stored dates kept unless --replace, and one history with the live ledger."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from kaxl.cli import main
from kaxl.history.backfill import ledger_copies
from kaxl.history.dated import date_in_name, undated_name
from kaxl.history.store import ledger_set_key, open_store
from tests.history_helpers import SAMPLE

MODIFIED = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))  # Monday in Shanghai


@pytest.mark.parametrize("name, day, undated", [
    ("台账_2026-11-09.xlsx", dt.date(2026, 11, 9), "台账.xlsx"),
    ("台账20261109.xlsx", dt.date(2026, 11, 9), "台账.xlsx"),
    ("2026.11.09 台账.xlsx", dt.date(2026, 11, 9), "台账.xlsx"),
    ("台账(2026_11_09).xlsm", dt.date(2026, 11, 9), "台账.xlsm"),
    ("华东台账 2026年11月9日.xlsx", dt.date(2026, 11, 9), "华东台账.xlsx"),
    ("台账_20261340.xlsx", None, "台账_20261340.xlsx"),  # not a date
    ("台账_2026-11_09.xlsx", None, "台账_2026-11_09.xlsx"),  # mixed separators: not a date
    ("2026-11-09.xlsx", dt.date(2026, 11, 9), "2026-11-09.xlsx"),  # nothing but a date: kept
    ("台账.xlsx", None, "台账.xlsx"),
])
def test_dates_in_file_names(name, day, undated):
    assert date_in_name(name) == day
    assert undated_name(name) == undated


def test_dated_copies_are_the_live_ledgers_set():
    assert ledger_set_key(["a/台账_2026-11-09.xlsx"]) == ledger_set_key(["台账.xlsx"]) == "台账.xlsx"
    assert ledger_set_key(["华东_20261109.xlsx", "华北_20261109.xlsx"]) == "华东.xlsx + 华北.xlsx"


@pytest.fixture
def folder(tmp_path):
    """Dated copies as people keep them, one unreadable, one without a date, and Excel's lock file."""
    copies = tmp_path / "备份"
    copies.mkdir()
    for name in ("台账_2026-11-02.xlsx", "台账20261109.xlsx", "2026.11.16 台账.xlsx"):
        shutil.copyfile(SAMPLE, copies / name)
    (copies / "台账_2026-11-23.xlsx").write_bytes(b"PK\x03\x04 truncated by a full disk")
    undated = copies / "台账.xlsx"
    shutil.copyfile(SAMPLE, undated)
    os.utime(undated, (MODIFIED.timestamp(), MODIFIED.timestamp()))
    (copies / "~$台账.xlsx").write_bytes(b"lock")
    (copies / "台账_2026-11-02.annotated.xlsx").write_bytes(b"kaxl's own copy")
    (copies / "说明.txt").write_text("not a workbook", encoding="utf-8")
    return copies


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, tmp_path):
    if request.param == "sqlite":
        return str(tmp_path / "kaxl-history.sqlite")
    return request.getfixturevalue("postgres_server")()


def test_copies_and_their_dates(folder):
    copies = ledger_copies(folder)
    assert [(c.path.name, c.day, c.from_name) for c in copies] == [
        ("台账_2026-11-02.xlsx", dt.date(2026, 11, 2), True), ("台账20261109.xlsx", dt.date(2026, 11, 9), True),
        ("2026.11.16 台账.xlsx", dt.date(2026, 11, 16), True), ("台账_2026-11-23.xlsx", dt.date(2026, 11, 23), True),
        ("台账.xlsx", dt.date(2026, 11, 30), False)]


def _dates(url: str) -> list[dt.date]:
    with open_store(url) as store:
        assert store.ledger_sets() in ([], ["台账.xlsx"])
        return store.snapshot_dates("台账.xlsx")


def _created(url: str) -> dict[dt.date, object]:
    with open_store(url) as store, store.engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT as_of, created_at FROM snapshots")).all()
    return {str(a)[:10]: c for a, c in rows}


def test_backfill_builds_the_history(folder, store_url, tmp_path):
    runner = CliRunner()
    refused = runner.invoke(main, ["snapshot", "--backfill", str(folder), "--history", store_url], input="n\n")
    assert refused.exit_code == 1 and "Not confirmed; nothing recorded" in refused.output
    assert "2026-11-30  台账.xlsx  （修改时间 modified time ⚠）" in refused.output  # the guess is shown
    assert _dates(store_url) == []

    run = runner.invoke(main, ["snapshot", "--backfill", str(folder), "--history", store_url], input="y\n")
    assert run.exit_code == 1, run.output  # one copy could not be read
    assert "4 snapshot(s) recorded, 0 already stored and kept, 1 unreadable skipped" in run.stdout
    assert "✗ 2026-11-23 台账_2026-11-23.xlsx" in run.stdout
    assert "[1/5] 2026-11-02 台账_2026-11-02.xlsx …" in run.stderr and "[5/5]" in run.stderr  # progress on stderr
    assert "[1/5]" not in run.stdout
    assert _dates(store_url) == [dt.date(2026, 11, 2), dt.date(2026, 11, 9), dt.date(2026, 11, 16),
                                 dt.date(2026, 11, 30)]
    first = _created(store_url)

    again = runner.invoke(main, ["snapshot", "--backfill", str(folder), "--history", store_url, "--yes"])
    assert "0 snapshot(s) recorded, 4 already stored and kept" in again.stdout and again.exit_code == 1
    assert _created(store_url) == first  # nothing already stored was overwritten

    replaced = runner.invoke(main, ["snapshot", "--backfill", str(folder), "--history", store_url, "-y", "--replace"])
    assert "4 snapshot(s) recorded, 0 already stored and kept" in replaced.stdout
    assert all(_created(store_url)[d] != first[d] for d in first)

    # the live ledger continues the same history: its findings were first seen in the oldest copy
    live = tmp_path / "台账.xlsx"
    shutil.copyfile(SAMPLE, live)
    check = runner.invoke(main, ["check", str(live), "--as-of", "2026-12-07", "--json", "--history", store_url])
    findings = json.loads(check.stdout)["findings"]
    assert min(f["first_seen"] for f in findings) == "2026-11-02"
    assert max(f["weeks_open"] for f in findings) == 5


def test_backfill_of_nothing_readable(tmp_path):
    empty = tmp_path / "空"
    empty.mkdir()
    run = CliRunner().invoke(main, ["snapshot", "--backfill", str(empty), "--history", str(tmp_path / "h.sqlite")])
    assert run.exit_code == 2 and "没有台账副本" in run.output and "no ledger copies" in run.output
    (empty / "台账_2026-11-02.xlsx").write_bytes(b"garbage")
    run = CliRunner().invoke(main, ["snapshot", "--backfill", str(empty), "--history", str(tmp_path / "h.sqlite")])
    assert run.exit_code == 2 and "1 unreadable skipped" in run.output and "Traceback" not in run.output
