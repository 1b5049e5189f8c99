"""`kaxl excel-setup` writes the interpreter into xlwings' config, keeping the user's lines."""

from __future__ import annotations

import sys

from click.testing import CliRunner

from kaxl.cli import main
from kaxl.commands.excel import write_interpreter


def test_excel_setup_writes_interpreter_and_keeps_other_settings(tmp_path):
    conf = tmp_path / ".xlwings" / "xlwings.conf"
    conf.parent.mkdir()
    conf.write_text('"INTERPRETER_WIN","C:\\old\\python.exe"\n"SHOW CONSOLE","False"\n', encoding="utf-8")
    result = CliRunner().invoke(main, ["excel-setup", "--conf", str(conf), "--interpreter", r"C:\Py\pythonw.exe"])
    assert result.exit_code == 0, result.output
    lines = conf.read_text(encoding="utf-8").splitlines()
    key = "INTERPRETER_MAC" if sys.platform == "darwin" else "INTERPRETER_WIN"
    assert f'"{key}","C:\\Py\\pythonw.exe"' in lines
    assert '"SHOW CONSOLE","False"' in lines
    assert sum(line.startswith(f'"{key}"') for line in lines) == 1
    assert "已写入" in result.output and "Wrote" in result.output


def test_write_interpreter_creates_the_file(tmp_path):
    conf = tmp_path / "sub" / "xlwings.conf"
    write_interpreter(conf, "/usr/bin/python3", "INTERPRETER_MAC")
    assert conf.read_text(encoding="utf-8") == '"INTERPRETER_MAC","/usr/bin/python3"\n'
