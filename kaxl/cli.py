"""The `kaxl` command: a thin mirror of the library (each command calls one library function).

Exit codes (SPEC §5): 0 clean, 1 findings of severity error, 2 could not read / bad usage.
A bad workbook never produces a traceback: :class:`kaxl.errors.KaxlError` is printed in both
languages; anything unexpected is reported as an internal error with a hint, not a stack.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any

import click

from kaxl import __version__
from kaxl.errors import KaxlError

SHANGHAI = "Asia/Shanghai"


def today() -> dt.date:
    """The CLI's clock (the core never reads one): today's date in China."""
    from zoneinfo import ZoneInfo

    return dt.datetime.now(ZoneInfo(SHANGHAI)).date()


def parse_as_of(value: str | None) -> dt.date:
    if not value:
        return today()
    from kaxl.reading.normalize import UNREADABLE, norm_date

    parsed = norm_date(value)
    if parsed in (None, UNREADABLE):
        raise click.BadParameter(f"“{value}” 不是有效日期，请用 YYYY-MM-DD / '{value}' is not a date; use YYYY-MM-DD")
    return parsed


def _utf8_streams() -> None:
    """Chinese text must survive a Windows console or a pipe with a legacy code page."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.reconfigure(encoding="utf-8", errors="replace")  # type: ignore[attr-defined]
        except (AttributeError, ValueError):
            pass


def friendly(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn KaxlError (and any surprise) into a bilingual message and exit code 2."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except KaxlError as exc:
            click.echo(exc.bilingual(), err=True)
            sys.exit(2)
        except (click.ClickException, click.exceptions.Exit, SystemExit, KeyboardInterrupt):
            raise
        except OSError as exc:  # a file kaxl could not open or write: say which, and what to do
            if os.environ.get("KAXL_DEBUG"):
                raise
            click.echo(os_error_message(exc), err=True)
            sys.exit(2)
        except Exception as exc:  # noqa: BLE001 - the user must never see a stack trace
            if os.environ.get("KAXL_DEBUG"):
                raise
            click.echo(f"kaxl 内部错误：{type(exc).__name__}: {exc}\n"
                       f"kaxl internal error: {type(exc).__name__}: {exc}\n"
                       "请把这条信息和文件发给 IT / Please send this message and the file to IT "
                       "(set KAXL_DEBUG=1 for details).", err=True)
            sys.exit(2)

    return wrapper


def os_error_message(exc: OSError) -> str:
    """A bilingual message for a file the system refused, naming it.

    The common case is Windows refusing to replace a workbook that is open in Excel (an earlier
    summary, say): the user needs to hear "close it in Excel", not an error number.
    """
    target = getattr(exc, "filename2", None) or exc.filename
    name = str(target) if target is not None else "?"
    reason = exc.strerror or type(exc).__name__
    zh = f"无法访问文件 {name}：{reason}。"
    en = f"Cannot access {name}: {reason}."
    if isinstance(exc, PermissionError):
        zh += "如果它正在 Excel 中打开，请先关闭再重试；否则请检查文件夹权限，或用 --out 换一个位置。"
        en += " If it is open in Excel, close it and retry; otherwise check the folder's permissions or choose another --out."
    else:
        zh += "请检查路径与磁盘空间。"
        en += " Check the path and the free disk space."
    return f"{zh}\n{en}"


as_of_option = click.option("--as-of", "as_of", metavar="YYYY-MM-DD",
                            help="Reference date for deadlines (default: today in Asia/Shanghai). 基准日期。")
history_option = click.option(
    "--history", "history", metavar="PATH|URL",
    help="History store (SQLite file, postgresql:// URL without password, or env:VAR): record this run's "
         "snapshot there (default: `history` in kaxl.toml; none: no history). 历史库。")


def keep_history(result: Any, history: str | None, progress: Any = None, *, config_path: Path | None = None,
                 read: str = "full") -> Any:
    """Record the run's snapshot when a store is configured (--history, or `history` in kaxl.toml)
    and return the result with its history; without a store, the result as it is (and nothing of
    the store is imported)."""
    from kaxl.history.config import store_choice

    choice = store_choice(history, config_path)
    if choice is None:
        return result
    if progress:
        progress("history")
    from kaxl.history.recording import record_run

    return record_run(result, choice, read=read)


ledgers_argument = click.argument("ledgers", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="kaxl")
def main() -> None:
    """kaxl — 大客户销售 SOP 台账校验 / key-account sales SOP on your Excel ledger.

    Check a ledger, annotate it, build the managers' summary and the weekly digest.
    Several ledgers given together are one portfolio.
    """
    _utf8_streams()


@main.command()
@ledgers_argument
@as_of_option
@click.option("--json", "as_json", is_flag=True, help="Print the JSON document of SPEC §5 instead of text.")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True, help="Language of the text output.")
@click.option("--limit", type=int, default=200, show_default=True, help="Findings to print in text mode (0 = all).")
@history_option
@friendly
def check(ledgers: tuple[Path, ...], as_of: str | None, as_json: bool, lang: str, limit: int,
          history: str | None) -> None:
    """校验台账 / Check LEDGERS against the SOP: findings, alerts, scores.

    Exit code 0 when there is no error, 1 when errors were found, 2 when a file cannot be read
    (or the history store cannot be used). With a history store, each run records a snapshot and
    --json findings carry first_seen and weeks_open.
    """
    from kaxl.api import check_files
    from kaxl.progress import stage_lines

    progress = stage_lines()
    result = check_files(ledgers, parse_as_of(as_of), progress)
    result = keep_history(result, history, progress, read="ages" if as_json else "none")
    from kaxl.reports.console import render

    if as_json:
        from kaxl.reports.jsonout import dumps_bytes, to_document

        if progress:
            progress("json")
        document = dumps_bytes(to_document(result))
        if progress:
            progress.done()
        # Bytes to a pipe or file (UTF-8, whatever the code page); text to a console, which
        # click writes through the console's own API on Windows so Chinese displays right.
        if sys.stdout.isatty():
            click.echo(document.decode("utf-8"))
        else:  # not click.echo: it appends the new line by copying the whole 90 MB document
            out = click.get_binary_stream("stdout")
            out.write(document)
            out.write(b"\n")
            out.flush()
    else:
        if progress:
            progress.done()
        click.echo(render(result, lang, None if limit == 0 else limit), nl=False)
    sys.exit(result.exit_code)


# Commands living in kaxl/commands/<name>.py (each exposes ``command``), in the order of --help.
COMMAND_MODULES = ("template", "sample", "summary", "annotate", "digest", "schedule", "snapshot", "excel", "demo")


def _register_commands() -> None:
    import importlib

    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(f"kaxl.commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"kaxl.commands.{name}":
                continue
            raise
        for command in module.COMMANDS if hasattr(module, "COMMANDS") else [module.command]:
            main.add_command(command)


_register_commands()


def run() -> None:
    """The ``kaxl`` console script, with Python's cyclic garbage collector off.

    A command builds millions of small objects (cell values, rows, findings) that all stay alive
    until it ends, and none of them is cyclic garbage; the collector kept re-scanning them for
    nothing: 12 % of ``kaxl check --json`` on the 20,000-project benchmark ledger (6.43 → 5.62 s,
    single process, 3 runs alternating). Reference counting still frees everything as usual, and
    a command is one short process. (The Excel buttons run in Excel's Python: not affected.)
    The interpreter still runs the collector once as it exits, over every object the command
    left alive; frozen first, they are skipped (0.2 s of the 20,000-project check's exit).
    """
    import gc

    gc.disable()
    try:
        main()
    finally:
        gc.freeze()


if __name__ == "__main__":  # pragma: no cover
    run()
