"""Hostile and broken input: every file gets exit 2 and a bilingual message naming it and saying
what to do — never a traceback, never an internal error, and nothing written.

The files come from tests/hostile_corpus.py (made by code). The zip bomb is checked in a real
subprocess for its time and peak memory (the child reports its own VmHWM at exit).
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from kaxl.cli import main
from tests import hostile_corpus as corpus

# (maker, what the message must say — Chinese and English)
BROKEN = {
    "not-a-zip": (corpus.not_a_zip, "不是 Excel 工作簿", "not an Excel workbook"),
    "csv-renamed": (corpus.csv_renamed, "CSV", "save it as .xlsx"),
    "truncated": (corpus.truncated, "下载不完整", "incompletely downloaded"),
    "legacy-xls": (corpus.legacy_xls, "旧版 .xls", "legacy .xls"),
    "xls-renamed-xlsx": (corpus.legacy_xls_renamed, "旧版 .xls", "legacy .xls"),
    "ods": (corpus.ods, ".ods", "OpenDocument"),
    "password": (corpus.password_protected, "密码", "password-protected"),
    "size-lie-bomb": (corpus.size_lie_bomb, "压缩炸弹", "zip bomb"),
}
ENTITY = ("实体声明", "declares XML entities")
XML_ATTACKS = {
    "laughs-sharedStrings": ("xl/sharedStrings.xml", corpus.BILLION_LAUGHS, 0),
    "xxe-worksheet": ("xl/worksheets/sheet1.xml", corpus.EXTERNAL_ENTITY, 0),
    "xxe-workbook": ("xl/workbook.xml", corpus.EXTERNAL_ENTITY, 0),
    "laughs-core-props": ("docProps/core.xml", corpus.BILLION_LAUGHS, 0),
    "xxe-rels": ("xl/_rels/workbook.xml.rels", corpus.EXTERNAL_ENTITY, 0),
    "behind-5KB-comment": ("xl/worksheets/sheet2.xml", corpus.EXTERNAL_ENTITY, 5_000),
    "behind-100KB-comment": ("xl/styles.xml", corpus.BILLION_LAUGHS, 100_000),
}


def run(*args: str):
    """The real CLI in-process; an exception escaping it fails the test (no swallowing)."""
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def assert_refused(result, path: Path, zh: str, en: str) -> None:
    out = result.output
    assert result.exit_code == 2, out
    assert path.name in out
    assert zh in out and en in out, out
    assert "Traceback" not in out and "内部错误" not in out and "internal error" not in out


def outputs_written(folder: Path, before: set[Path]) -> set[Path]:
    return {p for p in folder.rglob("*") if p.is_file()} - before


def _cases(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile")
    made = {key: (maker(folder), zh, en) for key, (maker, zh, en) in BROKEN.items()}
    for key, (part, doctype, padding) in XML_ATTACKS.items():
        made[key] = (corpus.xml_attack(folder, part, doctype, padding=padding, label=key), *ENTITY)
    made["utf16-doctype"] = (corpus.utf16_attack(folder), *ENTITY)
    return folder, made


@pytest.fixture(scope="module")
def cases(tmp_path_factory):
    return _cases(tmp_path_factory)


@pytest.mark.parametrize("key", [*BROKEN, *XML_ATTACKS, "utf16-doctype"])
def test_check_refuses_with_a_clear_message(cases, key):
    folder, made = cases
    path, zh, en = made[key]
    before = {p for p in folder.rglob("*") if p.is_file()}
    assert_refused(run("check", str(path)), path, zh, en)
    assert_refused(run("check", "--json", str(path)), path, zh, en)
    assert not outputs_written(folder, before)


@pytest.mark.parametrize("key", ["truncated", "password", "xxe-worksheet", "behind-100KB-comment"])
def test_annotate_and_summary_write_nothing(cases, key, tmp_path):
    folder, made = cases
    path, zh, en = made[key]
    before = {p for p in folder.rglob("*") if p.is_file()}
    assert_refused(run("annotate", str(path)), path, zh, en)
    assert_refused(run("summary", str(path), "--out", str(tmp_path / "汇总.xlsx")), path, zh, en)
    assert not outputs_written(folder, before) and not list(tmp_path.iterdir())


def test_one_bad_file_in_a_portfolio_names_that_file(cases):
    _folder, made = cases
    bad, zh, en = made["truncated"]
    assert_refused(run("check", str(corpus.SAMPLE), str(bad)), bad, zh, en)


# The child reports its own high-water mark (VmHWM) at exit. wait4's ru_maxrss cannot be used:
# Linux carries the parent's resident size into a forked child's peak across exec, so under a
# pytest process grown to 200 MB every child "peaked" at 200 MB, whatever it did itself.
_REPORT_PEAK = """
import atexit, runpy, sys
peak_file = sys.argv.pop(1)
def _peak():
    with open("/proc/self/status") as status:
        kb = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
    with open(peak_file, "w") as out:
        out.write(str(kb))
atexit.register(_peak)
runpy.run_module("kaxl", run_name="__main__", alter_sys=True)
"""


def _measure(args: list[str], tmp_path: Path) -> tuple[int, str, float, float]:
    """Exit code, output, wall seconds and peak RSS (MB) of one kaxl run in a fresh process."""
    peak_file = tmp_path / "peak-kb.txt"
    started = time.perf_counter()
    child = subprocess.run([sys.executable, "-c", _REPORT_PEAK, str(peak_file), *args],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, check=False)
    elapsed = time.perf_counter() - started
    out = child.stdout.decode("utf-8", "replace")
    return child.returncode, out, elapsed, int(peak_file.read_text()) / 1024


@pytest.mark.parametrize("maker", [corpus.size_lie_bomb, lambda folder: corpus.ratio_bomb(folder, 128)],
                         ids=["declared-4GB", "real-128MB-of-blanks"])
def test_zip_bomb_is_refused_fast_and_small(tmp_path, maker):
    bomb = maker(tmp_path)
    assert bomb.stat().st_size < 5_000_000  # small on disk …
    code, out, seconds, peak_mb = _measure(["check", str(bomb)], tmp_path)
    assert code == 2 and bomb.name in out and "zip bomb" in out and "Traceback" not in out, out
    assert seconds < 2.0, seconds  # includes starting Python; nothing was inflated
    assert peak_mb < 200, peak_mb


def test_excel_lock_file_beside_the_ledger(tmp_path):
    ledger = tmp_path / "华东区台账.xlsx"
    ledger.write_bytes(corpus.SAMPLE.read_bytes())
    lock = tmp_path / "~$华东区台账.xlsx"  # Excel's owner file while someone has it open
    lock.write_bytes(b"\x0czhang wei" + bytes(150))
    lock_bytes = lock.read_bytes()
    result = run("check", "--as-of", "2026-11-16", str(ledger))
    assert result.exit_code == 1 and "Traceback" not in result.output  # read fine: findings, not a failure
    result = run("annotate", "--as-of", "2026-11-16", str(ledger))
    assert result.exit_code in (0, 1), result.output
    assert (tmp_path / "华东区台账.annotated.xlsx").exists()
    assert lock.read_bytes() == lock_bytes  # never a target
    assert_refused(run("check", str(lock)), lock, "临时锁文件", "lock file")
