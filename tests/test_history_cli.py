"""The history through the command line (SPEC §8), on SQLite and a real PostgreSQL server:
where the store is configured, `kaxl snapshot`, check / summary / digest recording a snapshot
and showing what it gives, and bilingual errors with exit code 2 for a store that cannot be used."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from python_calamine import CalamineWorkbook

from kaxl.cli import main
from kaxl.errors import KaxlError
from kaxl.history.config import DEFAULT_STORE_NAME, store_choice
from kaxl.history.store import open_store
from tests.history_helpers import SAMPLE

ROOT = Path(__file__).resolve().parents[1]
WEEKS = ("2026-11-02", "2026-11-09", "2026-11-16")


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, tmp_path):
    if request.param == "sqlite":
        return str(tmp_path / "store" / "历史.sqlite")
    return request.getfixturevalue("postgres_server")()


@pytest.fixture
def here(tmp_path, monkeypatch):
    """A clean current folder without kaxl.toml (and no $KAXL_CONFIG)."""
    folder = tmp_path / "cwd"
    folder.mkdir()
    monkeypatch.chdir(folder)
    monkeypatch.delenv("KAXL_CONFIG", raising=False)
    return folder


def kaxl(*args: str):
    return CliRunner().invoke(main, list(args))


def _stored(url: str) -> dict[str, int]:
    with open_store(url if "://" in url else url) as store, store.engine.connect() as conn:
        return {t: conn.execute(sa.text(f"SELECT COUNT(*) FROM {t}")).scalar()
                for t in ("snapshots", "findings", "projects", "kpis")}


# ----------------------------------------------------------------------------- configuration


def test_configured_means_the_option_or_the_history_key(here, tmp_path):
    assert store_choice(None) is None  # nothing configured: no store
    assert store_choice("x.sqlite").value == "x.sqlite" and store_choice("x.sqlite").base == here
    default = store_choice(None, default=True)  # kaxl snapshot: its whole job is the store
    assert (default.value, default.base) == (DEFAULT_STORE_NAME, here)
    config = tmp_path / "conf" / "kaxl.toml"
    config.parent.mkdir()
    for text, expected in (('history = true\n', DEFAULT_STORE_NAME), ('history = ""\n', DEFAULT_STORE_NAME),
                           ('history = "data/h.sqlite"\n', "data/h.sqlite"),
                           ('history = "env:KAXL_HISTORY_URL"\n', "env:KAXL_HISTORY_URL")):
        config.write_text(text, encoding="utf-8")
        choice = store_choice(None, config)
        assert (choice.value, choice.base) == (expected, config.parent.resolve()), text
    config.write_text('ledgers = []\n', encoding="utf-8")
    assert store_choice(None, config) is None
    assert store_choice(None, config, default=True).base == config.parent.resolve()  # beside the config
    config.write_text('history = false\n', encoding="utf-8")
    assert store_choice(None, config) is None
    assert store_choice("cli.sqlite", config).value == "cli.sqlite"  # the option wins
    config.write_text('history = 3\n', encoding="utf-8")
    with pytest.raises(KaxlError, match="history"):
        store_choice(None, config)


def test_check_uses_the_history_key_of_kaxl_toml(here):
    (here / "kaxl.toml").write_text('history = "h/kaxl.sqlite"\n', encoding="utf-8")
    (here / "h").mkdir()
    run = kaxl("check", str(SAMPLE), "--as-of", WEEKS[0])
    assert run.exit_code == 1, run.output  # the sample has errors; the run is the same with a store
    assert _stored(str(here / "h" / "kaxl.sqlite"))["snapshots"] == 1


LAZY = """
import sys
from click.testing import CliRunner
import kaxl.macros
from kaxl.cli import main
run = CliRunner().invoke(main, sys.argv[1:])
assert run.exit_code in (0, 1), run.output
print(sorted(m for m in ("sqlalchemy", "alembic", "psycopg") if m in sys.modules))
"""


def test_no_store_no_sqlalchemy(here):
    """The Excel button's import and a run without a store never import the store's libraries."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("KAXL_CONFIG", None)

    def loaded(*args: str) -> str:
        out = subprocess.run([sys.executable, "-c", LAZY, *args], cwd=here, env=env, capture_output=True, text=True,
                             timeout=300)
        assert out.returncode == 0, out.stderr
        return out.stdout.strip().splitlines()[-1]

    assert loaded("check", str(SAMPLE), "--as-of", WEEKS[0], "--json") == "[]"
    assert "'sqlalchemy'" in loaded("check", str(SAMPLE), "--as-of", WEEKS[0], "--history", "h.sqlite")


# ----------------------------------------------------------------------------- kaxl snapshot


def test_snapshot_records_one_per_date_and_rerun_replaces(here, store_url):
    first = kaxl("snapshot", str(SAMPLE), "--as-of", WEEKS[0], "--history", store_url)
    if "://" not in store_url:  # a missing folder is a clear error, not a traceback
        assert first.exit_code == 2 and "不存在" in first.output and "does not exist" in first.output
        Path(store_url).parent.mkdir()
        first = kaxl("snapshot", str(SAMPLE), "--as-of", WEEKS[0], "--history", store_url)
    assert first.exit_code == 0, first.output
    assert "已记录 kaxl-sample.xlsx 截至 2026-11-02" in first.output and "1 snapshot(s) in all" in first.output
    once = _stored(store_url)
    again = kaxl("snapshot", str(SAMPLE), "--as-of", WEEKS[0], "--history", store_url)
    assert again.exit_code == 0 and "1 snapshot(s) in all" in again.output
    assert _stored(store_url) == once  # replaced, not added
    second = kaxl("snapshot", str(SAMPLE), "--as-of", WEEKS[1], "--history", store_url)
    assert second.exit_code == 0 and "2 snapshot(s) in all" in second.output
    assert _stored(store_url)["snapshots"] == 2


def test_snapshot_needs_ledgers_or_a_folder(here):
    run = kaxl("snapshot")
    assert run.exit_code == 2 and "--backfill" in run.output


# ----------------------------------------------------------------------------- check / summary / digest


def test_check_json_carries_first_seen_and_weeks_open(here, store_url):
    if "://" not in store_url:
        Path(store_url).parent.mkdir()
    for week in WEEKS[:2]:
        assert kaxl("snapshot", str(SAMPLE), "--as-of", week, "--history", store_url).exit_code == 0
    plain = json.loads(kaxl("check", str(SAMPLE), "--as-of", WEEKS[2], "--json").output)
    run = kaxl("check", str(SAMPLE), "--as-of", WEEKS[2], "--json", "--history", store_url)
    assert run.exit_code == 1, run.output
    document = json.loads(run.output)
    assert "first_seen" not in plain["findings"][0]
    findings = document["findings"]
    assert len(findings) == len(plain["findings"]) and all("first_seen" in f and "weeks_open" in f for f in findings)
    ages = {(f["first_seen"], f["weeks_open"]) for f in findings}
    assert ("2026-11-02", 2) in ages  # open in all three weekly snapshots
    assert all(f["first_seen"] >= "2026-11-02" and f["weeks_open"] in (0, 1, 2) for f in findings)
    new = [f for f in findings if f["first_seen"] == WEEKS[2]]
    assert all(f["weeks_open"] == 0 for f in new)
    # days in stage: at least as long as the snapshots have seen the project at its stage
    before = {p["project_id"]: p["days_in_stage"] for p in plain["projects"]}
    after = {p["project_id"]: p["days_in_stage"] for p in document["projects"]}
    assert all(after[k] >= 14 for k in after if before[k] is None or before[k] < 14) or not after
    assert any(before[k] is None and after[k] == 14 for k in after)  # the ledger gives no date, the history does
    assert all(after[k] == before[k] for k in after if before[k] is not None and before[k] >= 14)
    assert _stored(store_url)["snapshots"] == 3


def test_summary_and_digest_read_the_history(here, store_url, tmp_path):
    if "://" not in store_url:
        Path(store_url).parent.mkdir()
    assert kaxl("snapshot", str(SAMPLE), "--as-of", WEEKS[0], "--history", store_url).exit_code == 0
    out = tmp_path / "汇总.xlsx"
    run = kaxl("summary", str(SAMPLE), "--as-of", WEEKS[1], "--out", str(out), "--history", store_url)
    assert run.exit_code == 0, run.output
    assert "趋势 Trend" in CalamineWorkbook.from_path(str(out)).sheet_names
    plain = tmp_path / "plain.xlsx"
    assert kaxl("summary", str(SAMPLE), "--as-of", WEEKS[1], "--out", str(plain)).exit_code == 0
    assert "趋势 Trend" not in CalamineWorkbook.from_path(str(plain)).sheet_names
    previews = tmp_path / "digest"
    run = kaxl("digest", str(SAMPLE), "--as-of", WEEKS[2], "--out", str(previews), "--no-attach", "--history", store_url)
    assert run.exit_code == 0, run.output
    html = "".join(p.read_text(encoding="utf-8") for p in previews.glob("*.html"))
    assert "自上周以来" in html and "Since last week" in html
    assert _stored(store_url)["snapshots"] == 3


def test_daily_runs_compare_with_the_end_of_last_week(here, tmp_path):
    """check every day, digest on Monday: 自上周以来 is since last week, not since yesterday."""
    import datetime as dt

    from kaxl.api import check_files
    from kaxl.history.config import StoreChoice
    from kaxl.history.recording import record_run

    choice = StoreChoice(str(tmp_path / "daily.sqlite"), tmp_path, "test")
    result = None
    for day in range(9, 17):  # Mon 9 … Mon 16 November
        result = record_run(check_files(SAMPLE, dt.date(2026, 11, day)), choice)
    dates = [d.date() for d in result.history.dates]
    assert dates == [dt.date(2026, 11, 15), dt.date(2026, 11, 16)]  # Sunday of last week, and today
    ages = result.history.finding_ages
    assert ages["first_seen"].min().date() == dt.date(2026, 11, 9)  # ages from every snapshot
    assert int(ages["weeks_open"].max()) == 1


# ----------------------------------------------------------------------------- errors


def _no_traceback(run) -> None:
    assert "Traceback" not in run.output and run.exception is None or isinstance(run.exception, SystemExit)


def test_a_newer_store_is_refused_by_every_command(here, store_url, tmp_path):
    if "://" not in store_url:
        Path(store_url).parent.mkdir()
    assert kaxl("snapshot", str(SAMPLE), "--as-of", WEEKS[0], "--history", store_url).exit_code == 0
    with open_store(store_url) as store, store.engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '0099'"))
    for args in (["check", str(SAMPLE)], ["snapshot", str(SAMPLE)], ["summary", str(SAMPLE), "--out",
                 str(tmp_path / "s.xlsx")], ["digest", str(SAMPLE), "--out", str(tmp_path / "d")]):
        run = kaxl(*args, "--as-of", WEEKS[1], "--history", store_url)
        assert run.exit_code == 2, (args, run.output)
        assert "更新版本的 kaxl" in run.output and "newer kaxl" in run.output and "0099" in run.output
        label = store_url if "://" not in store_url else store_url.split("?")[0].rsplit("/", 1)[1]
        assert label in run.output  # the message names the store
        _no_traceback(run)
    assert not (tmp_path / "s.xlsx").exists()


def test_an_unreachable_postgresql_is_a_clear_error(here, tmp_path):
    url = f"postgresql://kaxl@/kaxl?host={tmp_path / 'no-server'}"
    run = kaxl("check", str(SAMPLE), "--as-of", WEEKS[0], "--history", url)
    assert run.exit_code == 2
    assert "无法使用历史库" in run.output and "Cannot use the history store" in run.output
    _no_traceback(run)


def test_store_errors_are_bilingual_with_exit_2(here, monkeypatch):
    corrupt = here / "broken.sqlite"
    corrupt.write_bytes(b"not a database, a spreadsheet someone renamed")
    run = kaxl("check", str(SAMPLE), "--as-of", WEEKS[0], "--history", str(corrupt))
    assert run.exit_code == 2 and "已损坏" in run.output and "damaged" in run.output and str(corrupt) in run.output
    assert corrupt.read_bytes() == b"not a database, a spreadsheet someone renamed"
    run = kaxl("check", str(SAMPLE), "--history", "postgresql://kaxl:secret@localhost/kaxl")
    assert run.exit_code == 2 and "不能写密码" in run.output and "secret" not in run.output
    monkeypatch.delenv("KAXL_HISTORY_URL", raising=False)
    run = kaxl("summary", str(SAMPLE), "--out", str(here / "s.xlsx"), "--history", "env:KAXL_HISTORY_URL")
    assert run.exit_code == 2 and "KAXL_HISTORY_URL" in run.output
    _no_traceback(run)
