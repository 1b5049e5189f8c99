"""The console script leaves with os._exit (no heap teardown): nothing it owes may be lost."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from kaxl.cli import main

SAMPLE = Path(__file__).resolve().parent.parent / "sample_ledgers" / "kaxl-sample.xlsx"

_WITH_ATEXIT = """
import atexit, runpy, sys
marker = sys.argv.pop(1)
atexit.register(lambda: open(marker, "w").write("ran"))
runpy.run_module("kaxl", run_name="__main__", alter_sys=True)
"""


def test_output_exit_code_and_atexit_survive_the_fast_exit(tmp_path: Path) -> None:
    marker = tmp_path / "atexit.txt"
    child = subprocess.run([sys.executable, "-c", _WITH_ATEXIT, str(marker), "check", "--json", "--as-of",
                            "2026-11-16", str(SAMPLE)], capture_output=True, check=False)
    in_process = CliRunner().invoke(main, ["check", "--json", "--as-of", "2026-11-16", str(SAMPLE)])
    assert child.returncode == in_process.exit_code == 1  # the sample has errors (SPEC §5)
    document = json.loads(child.stdout)  # every byte of a multi-megabyte document was flushed
    assert document == json.loads(in_process.stdout)
    assert marker.read_text() == "ran"


def test_usage_errors_keep_their_exit_code(tmp_path: Path) -> None:
    child = subprocess.run([sys.executable, "-m", "kaxl", "check", str(tmp_path / "missing.xlsx")],
                           capture_output=True, check=False)
    assert child.returncode == 2 and b"missing.xlsx" in child.stderr
    child = subprocess.run([sys.executable, "-m", "kaxl", "--version"], capture_output=True, check=False)
    assert child.returncode == 0 and child.stdout.startswith(b"kaxl")


