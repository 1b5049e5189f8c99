"""`kaxl excel-enable` and `kaxl excel-setup`: connect a ledger's buttons to this Python.

excel-enable turns a plain .xlsx ledger into an .xlsm with the 校验 Validate / 刷新评分 Refresh /
生成汇总 Summary buttons, losslessly (XML-level, like annotate). excel-setup writes the path of
the Python that has kaxl installed into the user's xlwings config, which the workbook's
standalone xlwings VBA reads when a button is pressed (no add-in, no license key).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import click

from kaxl.atomic import atomic_write_text
from kaxl.cli import friendly
from kaxl.errors import KaxlError


def user_config_file() -> Path:
    """Where xlwings looks for per-user settings (same as ``xlwings.USER_CONFIG_FILE``)."""
    return Path.home() / ".xlwings" / "xlwings.conf"


def interpreter_key(platform: str = sys.platform) -> str:
    return "INTERPRETER_MAC" if platform == "darwin" else "INTERPRETER_WIN"


def write_interpreter(conf: Path, interpreter: str, key: str) -> str:
    """Set one ``"KEY","value"`` line in an xlwings.conf, keeping every other line; atomic."""
    lines = conf.read_text(encoding="utf-8").splitlines() if conf.exists() else []
    line = f'"{key}","{interpreter}"'
    pattern = re.compile(rf'^\s*"{re.escape(key)}"\s*,')
    kept = [existing for existing in lines if not pattern.match(existing)]
    content = "\n".join([*kept, line]) + "\n"
    atomic_write_text(conf, content)
    return line


@click.command("excel-setup")
@click.option("--interpreter", default=None, help="Python to run for the buttons (default: this Python).")
@click.option("--conf", "conf", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="xlwings config file to write (default: ~/.xlwings/xlwings.conf).")
@friendly
def excel_setup(interpreter: str | None, conf: Path | None) -> None:
    """连接 Excel 按钮与本机 Python / Point the workbook buttons at the Python that has kaxl.

    Writes INTERPRETER_WIN (or INTERPRETER_MAC) into the user's xlwings config. Run it once per
    user after installing kaxl; run it again after moving or upgrading Python.
    """
    interpreter = interpreter or _windowless(sys.executable)
    conf = conf or user_config_file()
    line = write_interpreter(conf, interpreter, interpreter_key())
    click.echo(f"已写入 {conf}：{line}\n现在可以在台账中按「校验 Validate」按钮。\n"
               f"Wrote {conf}: {line}\nYou can now press the Validate button in the ledger.")


def _windowless(executable: str) -> str:
    """On Windows prefer pythonw.exe so pressing a button does not flash a console window."""
    path = Path(executable)
    if path.name.lower() == "python.exe" and (path.parent / "pythonw.exe").exists():
        return str(path.parent / "pythonw.exe")
    return executable


@click.command("excel-enable")
@click.argument("ledger", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="The .xlsm to write (default: LEDGER with .xlsm beside it).")
@friendly
def excel_enable(ledger: Path, out: Path | None) -> None:
    """给台账加上按钮 / Turn LEDGER.xlsx into LEDGER.xlsm with the kaxl buttons, losslessly.

    Adds the xlwings and kaxl VBA modules and a 「kaxl 按钮 Buttons」 tab with the three buttons
    (校验 Validate, 刷新评分 Refresh scores, 生成汇总 Build summary), and gives each sheet a code
    name. Everything else in the workbook is kept byte for byte; the original is only read. A
    workbook with macros of its own is refused rather than overwritten.
    """
    from kaxl.reading.guards import check_workbook_file

    try:
        from kaxl.vba.enable import enable_workbook
    except ModuleNotFoundError as exc:  # pragma: no cover - packaging error
        raise KaxlError("此安装缺少 VBA 组件，请重新安装 kaxl。", "This installation lacks the VBA parts; reinstall kaxl.") from exc
    out = out or ledger.with_suffix(".xlsm")
    if out.exists() and out.resolve() == ledger.resolve():
        raise KaxlError("输出文件不能与台账相同。", "The output cannot be the ledger itself.", file=str(ledger))
    if out.suffix.lower() != ".xlsm":
        raise KaxlError("输出文件须为 .xlsm（含宏的工作簿）。", "The output must be an .xlsm (macro-enabled) file.",
                        file=str(out))
    check_workbook_file(ledger)
    enable_workbook(ledger, out)
    click.echo(f"已写入 {out}。首次打开时请在 Excel 中点击“启用内容”；如提示被阻止，见 docs/excel.md。\n"
               f"Wrote {out}. Click 'Enable Content' when Excel opens it; if macros are blocked see docs/excel.md.")


COMMANDS = [excel_enable, excel_setup]
