"""Progress lines for long commands: on stderr, only on a terminal or when asked, never in the JSON."""

from __future__ import annotations

import io
import json
from pathlib import Path

from click.testing import CliRunner

from kaxl.cli import main
from kaxl.progress import StageLines, stage_lines

SAMPLE = Path(__file__).resolve().parent.parent / "sample_ledgers" / "kaxl-sample.xlsx"


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_stage_lines_show_elapsed_time_from_an_injected_clock():
    ticks = iter([100.0, 100.0, 104.25, 109.5])
    out = io.StringIO()
    lines = StageLines(out, clock=lambda: next(ticks))
    lines("read")
    lines("check")
    lines.done()
    assert out.getvalue().splitlines() == [
        "[   0.0 s] 读取台账 / reading the ledger …",
        "[   4.2 s] 校验 / checking …",
        "[   9.5 s] 完成 / done",
    ]


def test_shown_on_a_terminal_or_when_asked_and_silenced_by_zero():
    assert stage_lines(io.StringIO(), environ={}) is None  # a pipe, a log file: no noise
    assert stage_lines(Tty(), environ={}) is not None
    assert stage_lines(io.StringIO(), environ={"KAXL_PROGRESS": "1"}) is not None
    assert stage_lines(Tty(), environ={"KAXL_PROGRESS": "0"}) is None


def test_check_json_keeps_stdout_clean_while_stderr_shows_the_stages(monkeypatch):
    monkeypatch.setenv("KAXL_PROGRESS", "1")
    result = CliRunner().invoke(main, ["check", "--json", "--as-of", "2026-11-16", str(SAMPLE)])
    assert result.exit_code == 1, result.output
    assert json.loads(result.stdout)["summary"]["projects"] > 0  # stdout is the JSON alone
    stages = [line.split("] ", 1)[1] for line in result.stderr.splitlines()]
    assert stages == ["读取台账 / reading the ledger …", "校验 / checking …", "生成 JSON / writing JSON …",
                      "完成 / done"]


def test_summary_and_annotate_name_their_writing_stage(monkeypatch, tmp_path):
    monkeypatch.setenv("KAXL_PROGRESS", "1")
    runner = CliRunner()
    summary = runner.invoke(main, ["summary", str(SAMPLE), "--out", str(tmp_path / "汇总.xlsx"), "--as-of", "2026-11-16"])
    assert summary.exit_code == 0 and "写入汇总工作簿 / writing the summary workbook" in summary.stderr
    ledger = tmp_path / "台账.xlsx"
    ledger.write_bytes(SAMPLE.read_bytes())
    annotate = runner.invoke(main, ["annotate", str(ledger), "--as-of", "2026-11-16"])
    assert annotate.exit_code in (0, 1) and "写入标注副本 / writing the annotated copy" in annotate.stderr


def test_without_a_terminal_nothing_is_added(monkeypatch):
    monkeypatch.delenv("KAXL_PROGRESS", raising=False)
    result = CliRunner().invoke(main, ["check", "--as-of", "2026-11-16", str(SAMPLE)])
    assert result.stderr == ""
