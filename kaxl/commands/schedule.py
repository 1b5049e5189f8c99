"""`kaxl schedule [LEDGER…]` — run forever and send the weekly digest when it is due."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import click

from kaxl.cli import friendly, history_option
from kaxl.commands.digest import clock, config_options, history_check, resolve_config


@click.command("schedule")
@click.argument("ledgers", nargs=-1, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--poll-seconds", type=int, help="How often to look at the clock (default 60). 轮询间隔（秒）。")
@click.option("--log-file", type=click.Path(dir_okay=False, path_type=Path), help="Also log to this file. 日志文件。")
@history_option
@config_options
@friendly
def command(ledgers: tuple[Path, ...], poll_seconds: int | None, log_file: Path | None, history: str | None,
            config_path: Path | None, now_text: str | None, **overrides: Any) -> None:
    """定时发送每周摘要 / Run forever, sending the weekly digest when it is due.

    Default: Monday 09:00 Asia/Shanghai (schedule.* in kaxl.toml). Each ISO week is sent once
    (state file + lock, safe with two schedulers); a week missed while this was not running is
    sent at the next start. A failed send is logged and retried at the next poll. Stop with Ctrl+C.
    """
    from dataclasses import replace

    from kaxl.digest import run_forever

    handlers: list[logging.Handler] = [logging.StreamHandler()]
    if log_file:
        handlers.append(logging.FileHandler(log_file, encoding="utf-8"))
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s", handlers=handlers)
    config = resolve_config(config_path, ledgers, **overrides)
    if poll_seconds:
        config = replace(config, schedule=replace(config.schedule, poll_seconds=poll_seconds))
    try:
        run_forever(config, now=clock(now_text, config.schedule.timezone), check=history_check(history, config_path))
    except KeyboardInterrupt:
        click.echo("已停止。 / Stopped.")
