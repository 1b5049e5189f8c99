"""`kaxl digest LEDGER… [--out DIR | --send | --if-due]` — the weekly e-mail digest."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from kaxl.cli import as_of_option, friendly, history_option, keep_history, parse_as_of


def config_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """Options shared by `digest` and `schedule`: the config file and what a flag may override."""
    options = [
        click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path),
                     help="kaxl.toml (default: $KAXL_CONFIG, else ./kaxl.toml if present). 配置文件。"),
        click.option("--state-file", type=click.Path(dir_okay=False, path_type=Path),
                     help="State file recording what was sent per ISO week. 发送记录文件。"),
        click.option("--smtp-host", help="SMTP server host. 邮件服务器。"),
        click.option("--smtp-port", type=int, help="SMTP port (default by security: 587 / 465 / 25)."),
        click.option("--smtp-security", type=click.Choice(["starttls", "tls", "plain"]),
                     help="starttls (587), tls = implicit TLS (465), plain = internal relay (25)."),
        click.option("--smtp-user", help="SMTP login (password from the env variable named by smtp.password_env)."),
        click.option("--sender", "sender_email", help="Sender address. 发件人邮箱。"),
        click.option("--sender-name", help="Sender display name (Chinese is fine). 发件人名称。"),
        click.option("--lang", "language", type=click.Choice(["zh+en", "zh", "en"]),
                     help="Language of the e-mails (default zh+en: Chinese first, English beside it)."),
        click.option("--attach/--no-attach", "attach_summary", default=None,
                     help="Attach the summary workbook to the managers' e-mails (default: on)."),
        click.option("--now", "now_text", metavar="YYYY-MM-DDTHH:MM",
                     help="Pretend the clock says this (schedule time zone): for testing --if-due."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def resolve_config(config_path: Path | None, ledgers: tuple[Path, ...], **overrides: Any):
    """kaxl.toml, then the command-line flags on top of it."""
    from kaxl.digest.config import find_config, load_config

    config = load_config(find_config(config_path))
    return config.with_overrides(
        ledgers=tuple(p.resolve() for p in ledgers) or None,
        state_file=overrides.get("state_file"), sender_email=overrides.get("sender_email"),
        sender_name=overrides.get("sender_name"), language=overrides.get("language"),
        attach_summary=overrides.get("attach_summary"),
        smtp_host=overrides.get("smtp_host"), smtp_port=overrides.get("smtp_port"),
        smtp_security=overrides.get("smtp_security"), smtp_username=overrides.get("smtp_user"))


def clock(now_text: str | None, timezone: str) -> Callable[[], dt.datetime]:
    """The real clock, or a fixed one from --now (naive times are in the schedule's zone)."""
    from zoneinfo import ZoneInfo

    from kaxl.digest.outbox import system_now

    if not now_text:
        return system_now
    try:
        fixed = dt.datetime.fromisoformat(now_text.strip().replace(" ", "T"))
    except ValueError as exc:
        raise click.BadParameter(f"“{now_text}” 不是 YYYY-MM-DDTHH:MM / not YYYY-MM-DDTHH:MM",
                                 param_hint="--now") from exc
    if fixed.tzinfo is None:
        fixed = fixed.replace(tzinfo=ZoneInfo(timezone))
    return lambda: fixed


@click.command("digest")
@click.argument("ledgers", nargs=-1, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--out", type=click.Path(file_okay=False, path_type=Path),
              help="Write each recipient's .eml and .html here (preview; nothing is sent). 预览目录。")
@click.option("--send", is_flag=True, help="Send now (each recipient once per ISO week). 立即发送。")
@click.option("--if-due", "if_due", is_flag=True,
              help="Send only if this week's digest is due and not yet sent (for cron / Task Scheduler). 到期才发。")
@click.option("--force", is_flag=True, help="With --send: send again to people already sent this week. 强制重发。")
@click.option("--check-config", "check_config", is_flag=True,
              help="Check kaxl.toml, its environment variables and the channels' audiences; send nothing. 检查配置。")
@as_of_option
@history_option
@config_options
@friendly
def command(ledgers: tuple[Path, ...], out: Path | None, send: bool, if_due: bool, force: bool, check_config: bool,
            as_of: str | None, history: str | None, config_path: Path | None, now_text: str | None,
            **overrides: Any) -> None:
    """每周邮件摘要 / The weekly e-mail digest, one per person in the 通讯录 Contacts tab.

    Without --send / --if-due it writes previews (.eml opens in Outlook and Foxmail, .html in a
    browser) into --out (default: digest.out_dir of kaxl.toml). LEDGERS default to the
    `ledgers` list of kaxl.toml. Exit code 0 when everything went out, 1 when the server
    refused some recipients, 2 on a configuration, ledger or connection problem.
    """
    import sys

    from kaxl.api import check_files
    from kaxl.digest import run_if_due, send_digests, write_previews
    from kaxl.digest.config import ConfigError
    from kaxl.digest.recipients import unreached

    config = resolve_config(config_path, ledgers, **overrides)
    now = clock(now_text, config.schedule.timezone)
    if check_config:
        from kaxl.channels.checks import check_config as problems_of

        problems = problems_of(config)
        for zh, en in problems:
            click.echo(f"  ✗ {zh}\n    {en}", err=True)
        if problems:
            sys.exit(2)
        click.echo(f"配置无误（{len(config.channels)} 个群机器人频道）。 / The configuration is complete "
                   f"({len(config.channels)} chat channel(s)).")
        return
    if if_due:
        report = run_if_due(config, now=now, check=history_check(history, config_path))
        if report is None:
            click.echo("本周摘要已发送，无需操作。 / This week's digest has already been sent; nothing to do.")
            return
        _echo_report(report)
        sys.exit(0 if report.ok else 1)
    if not config.ledgers:
        raise ConfigError("没有指定台账：请在命令行给出，或在 kaxl.toml 的 ledgers 中列出",
                          "no ledger given: name them on the command line or under 'ledgers' in kaxl.toml")
    from kaxl.progress import stage_lines

    progress = stage_lines()
    result = check_files(list(config.ledgers), parse_as_of(as_of) if as_of else _today(now, config), progress)
    result = keep_history(result, history, progress, config_path=config_path)
    if progress:
        progress("digest")
    missing = unreached(result)
    if missing:
        click.echo(f"注意：以下负责人不在通讯录中，收不到摘要：{'、'.join(missing)}\n"
                   f"Note: these owners are not in the Contacts tab and get no digest: {', '.join(missing)}", err=True)
    if send:
        report = send_digests(result, config, now=now, force=force)
        _echo_report(report)
        sys.exit(0 if report.ok else 1)
    target = out or config.out_dir
    written = write_previews(result, target, config, now=now)
    people = len(written) // 2
    click.echo(f"已写入 {people} 位收件人的预览（.eml 与 .html）到 {target}\n"
               f"Wrote previews (.eml and .html) for {people} recipient(s) to {target}")
    if config.channels:
        from kaxl.channels.deliver import write_channel_previews
        from kaxl.digest.outbox import summary_name

        week = iso_week_of(result.as_of)
        payloads = write_channel_previews(result, target, config, week=week,
                                          attachment_name=summary_name(week) if config.attach_summary else None)
        click.echo(f"已写入 {len(payloads)} 条群机器人消息（.json）到 {target}\n"
                   f"Wrote {len(payloads)} chat robot message(s) (.json) to {target}")


def history_check(history: str | None, config_path: Path | None) -> Callable[..., Any]:
    """The check the scheduled digest runs: read, check, and record the snapshot when a history
    store is configured (so 自上周以来 is there in the e-mail cron sends)."""
    def check(ledgers: Any, as_of: dt.date) -> Any:
        from kaxl.api import check_files

        return keep_history(check_files(ledgers, as_of), history, config_path=config_path)

    return check


def iso_week_of(day: dt.date) -> str:
    from kaxl.digest.recipients import iso_week

    return iso_week(day)


def _today(now: Callable[[], dt.datetime], config: Any) -> dt.date:
    from zoneinfo import ZoneInfo

    return now().astimezone(ZoneInfo(config.schedule.timezone)).date()


def _echo_report(report: Any) -> None:
    if report.locked:
        click.echo("另一个 kaxl 进程正在发送，本次跳过。 / Another kaxl process is sending; skipped.")
        return
    click.echo(f"{report.week}：已发送 {len(report.sent)} 封，此前已发送 {len(report.already)} 位，"
               f"被拒 {len(report.failures)} 位。\n"
               f"{report.week}: sent {len(report.sent)}, already sent earlier {len(report.already)}, "
               f"refused {len(report.failures)}.")
    for key, reason in report.failures.items():
        click.echo(f"  ✗ {key}: {reason}", err=True)


