"""A file the system refuses gets a bilingual message naming it and exit 2, never a traceback."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from kaxl.cli import main, os_error_message

SAMPLE = Path(__file__).resolve().parent.parent / "sample_ledgers" / "kaxl-sample.xlsx"


def test_output_under_a_file_is_refused_with_its_path(tmp_path):
    blocker = tmp_path / "报表"
    blocker.write_text("a file where a folder was expected", encoding="utf-8")
    out = blocker / "汇总.xlsx"
    result = CliRunner().invoke(main, ["summary", str(SAMPLE), "--out", str(out), "--as-of", "2026-11-16"])
    assert result.exit_code == 2
    assert "无法访问文件" in result.output and "Cannot access" in result.output
    assert str(out) in result.output  # the output asked for, not a temp file
    assert "Traceback" not in result.output and "internal error" not in result.output
    assert blocker.read_text(encoding="utf-8").startswith("a file")


def test_a_workbook_open_in_excel_says_close_it():
    # What Windows raises when os.replace meets a summary.xlsx that Excel holds open.
    exc = PermissionError(13, "拒绝访问。", r"C:\报表\.汇总.tmp.xlsx", None, r"C:\报表\汇总.xlsx")
    message = os_error_message(exc)
    assert r"C:\报表\汇总.xlsx" in message  # the file the user knows, not the temp file
    assert "请先关闭" in message and "close it and retry" in message


def test_annotate_creates_a_new_folder_but_names_an_impossible_one(tmp_path):
    out = tmp_path / "新文件夹" / "台账.annotated.xlsx"
    result = CliRunner().invoke(main, ["annotate", str(SAMPLE), "--out", str(out), "--as-of", "2026-11-16"])
    assert result.exit_code in (0, 1) and out.exists(), result.output
    blocker = tmp_path / "报表"
    blocker.write_text("not a folder", encoding="utf-8")
    out = blocker / "台账.annotated.xlsx"
    result = CliRunner().invoke(main, ["annotate", str(SAMPLE), "--out", str(out), "--as-of", "2026-11-16"])
    assert result.exit_code == 2 and str(out) in result.output and "Traceback" not in result.output
