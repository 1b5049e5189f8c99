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


class _Exited(Exception):
    """Raised by the stand-in for os._exit, carrying what was still alive at that moment."""


def test_kept_objects_live_until_the_exit_under_run_only(monkeypatch) -> None:
    import weakref

    from kaxl import cli

    class Big:  # stands for the check result a command hands over
        pass

    refs: list[weakref.ref] = []

    def command() -> None:
        big = Big()
        refs.append(weakref.ref(big))
        cli.keep_until_exit(big)

    def fake_exit(code: int) -> None:
        raise _Exited(code, refs[0]() is not None)

    monkeypatch.setattr(cli, "main", command)
    monkeypatch.setattr(cli.os, "_exit", fake_exit)
    monkeypatch.setattr(cli, "_kept_until_exit", None)
    try:
        cli.run()
    except _Exited as exited:
        assert exited.args == (0, True)  # still referenced when the process leaves
    else:
        raise AssertionError("run() did not leave through os._exit")
    monkeypatch.setattr(cli, "_kept_until_exit", None)  # as under click's runner: nothing kept
    command()
    assert refs[1]() is None
