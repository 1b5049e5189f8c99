"""`kaxl snapshot LEDGER… [--as-of D]` and `kaxl snapshot --backfill FOLDER` (SPEC §8)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from kaxl.cli import as_of_option, friendly, history_option, parse_as_of
from kaxl.errors import KaxlError


@click.command("snapshot")
@click.argument("ledgers", nargs=-1, type=click.Path(dir_okay=False, path_type=Path))
@as_of_option
@history_option
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path),
              help="kaxl.toml whose `history` names the store (default: $KAXL_CONFIG, else ./kaxl.toml). 配置文件。")
@click.option("--backfill", type=click.Path(file_okay=False, path_type=Path), metavar="FOLDER",
              help="Build the history from the dated copies in FOLDER (台账_2026-11-09.xlsx, 20261109 …). 补录历史。")
@click.option("--replace", is_flag=True, help="With --backfill: replace dates already stored (default: keep them).")
@click.option("--yes", "-y", "assume_yes", is_flag=True,
              help="With --backfill: use files' modified dates without asking. 不再确认。")
@click.option("--ledger-set", metavar="NAME",
              help="The ledger the snapshots belong to (default: the files' names without their dates).")
@friendly
def command(ledgers: tuple[Path, ...], as_of: str | None, history: str | None, config_path: Path | None,
            backfill: Path | None, replace: bool, assume_yes: bool, ledger_set: str | None) -> None:
    """记录历史快照 / Record a snapshot of LEDGERS in the history store.

    One snapshot per ledger set and as-of date: every finding under a stable identity, every
    project's stage, status and scores, and the KPIs. Running again for the same date replaces
    it, in one transaction. The store: --history, else `history` in kaxl.toml, else
    kaxl-history.sqlite beside kaxl.toml (or here). With --backfill FOLDER, one snapshot per
    dated copy in FOLDER, as of its date; dates already stored are kept unless --replace.
    Exit code 0 when recorded, 1 when some copies could not be read, 2 when nothing could be
    (or the store cannot be used).
    """
    from kaxl.history.config import store_choice

    choice = store_choice(history, config_path, default=True)
    assert choice is not None
    if backfill is not None:
        if ledgers:
            raise click.UsageError("--backfill 与台账文件不能同时给出 / give either LEDGERS or --backfill FOLDER, not both")
        sys.exit(_backfill(backfill, choice, replace=replace, assume_yes=assume_yes, ledger_set=ledger_set))
    if not ledgers:
        raise click.UsageError("请给出台账文件，或用 --backfill FOLDER / give LEDGERS, or --backfill FOLDER")
    from kaxl.api import check_files
    from kaxl.history.identity import snapshot_frames
    from kaxl.history.recording import open_choice
    from kaxl.history.store import ledger_set_key
    from kaxl.progress import stage_lines

    progress = stage_lines()
    result = check_files(list(ledgers), parse_as_of(as_of), progress)
    if progress:
        progress("history")
    key = ledger_set or ledger_set_key(result.ledger.files)
    with open_choice(choice) as store:
        store.write_snapshot(key, snapshot_frames(result), files=result.ledger.files)
        count = len(store.snapshot_dates(key))
        label = store.target.label
    if progress:
        progress.done()
    click.echo(f"已记录 {key} 截至 {result.as_of} 的快照（{len(result.findings)} 条问题，{len(result.projects)} 个项目）"
               f"到 {label}；共 {count} 个快照。\n"
               f"Recorded the snapshot of {key} as of {result.as_of} ({len(result.findings)} findings, "
               f"{len(result.projects)} projects) in {label}; {count} snapshot(s) in all.")


def _backfill(folder: Path, choice: Any, *, replace: bool, assume_yes: bool, ledger_set: str | None) -> int:
    """Record one snapshot per dated copy; the exit code (0 all done, 1 some skipped, 2 none read)."""
    from kaxl.history.backfill import by_day, ledger_copies

    if not folder.is_dir():
        raise KaxlError(f"找不到文件夹 {folder}", f"folder {folder} not found", file=str(folder))
    copies = ledger_copies(folder)
    if not copies:
        raise KaxlError(f"{folder} 中没有台账副本（.xlsx / .xlsm）", f"no ledger copies (.xlsx / .xlsm) in {folder}",
                        file=str(folder))
    click.echo(f"{folder} 中的 {len(copies)} 个台账副本 / {len(copies)} ledger copies in {folder}:")
    for copy in copies:
        origin = "文件名 file name" if copy.from_name else "修改时间 modified time ⚠"
        click.echo(f"  {copy.day}  {copy.path.name}  （{origin}）")
    guessed = [c for c in copies if not c.from_name]
    if guessed and not assume_yes:
        try:
            click.confirm(f"{len(guessed)} 个文件名中没有日期，按文件修改时间记为上面的日期，是否继续？\n"
                          f"{len(guessed)} file name(s) have no date; use the modified dates shown above?",
                          abort=True)
        except click.Abort:
            click.echo("未确认，未写入任何快照（文件名中写上日期，或用 --yes）。\n"
                       "Not confirmed; nothing recorded (put the date in the file names, or use --yes).", err=True)
            return 1
    from kaxl.api import check_files
    from kaxl.history.identity import snapshot_frames
    from kaxl.history.recording import open_choice
    from kaxl.history.store import ledger_set_key

    groups = by_day(copies)
    recorded, kept, skipped = [], [], []
    with open_choice(choice) as store:
        stored: dict[str, set] = {}
        for number, (day, group) in enumerate(groups, 1):
            paths = [c.path for c in group]
            names = " + ".join(p.name for p in paths)
            key = ledger_set or ledger_set_key(paths)
            if key not in stored:
                stored[key] = set(store.snapshot_dates(key))
            click.echo(f"[{number}/{len(groups)}] {day} {names} …", err=True)
            if day in stored[key] and not replace:
                kept.append((day, names))
                click.echo("    已有该日快照，保留 / already stored, kept", err=True)
                continue
            try:
                result = check_files(paths, day)
            except (KaxlError, OSError) as error:
                reason = error.bilingual() if isinstance(error, KaxlError) else f"{error}"
                skipped.append((day, names, reason))
                click.echo(f"    无法读取，跳过 / cannot be read, skipped: {reason}", err=True)
                continue
            store.write_snapshot(key, snapshot_frames(result), files=paths, replace=replace)
            stored[key].add(day)
            recorded.append((day, names))
            click.echo(f"    已记录 / recorded: {len(result.findings)} findings, {len(result.projects)} projects",
                       err=True)
        label = store.target.label
    click.echo(f"补录完成：记录 {len(recorded)} 个快照，保留已有 {len(kept)} 个，跳过 {len(skipped)} 个无法读取的文件；"
               f"历史库 {label}。\n"
               f"Backfill done: {len(recorded)} snapshot(s) recorded, {len(kept)} already stored and kept, "
               f"{len(skipped)} unreadable skipped; store {label}.")
    if skipped:
        click.echo("无法读取的文件 / files that could not be read:")
        for day, names, reason in skipped:
            click.echo(f"  ✗ {day} {names}: {reason.splitlines()[0]}")
    if kept and not replace:
        click.echo("已有的日期未改动（需要重建时用 --replace）。 / Dates already stored were left as they were "
                   "(use --replace to rebuild them).")
    if skipped and not recorded and not kept:
        return 2
    return 1 if skipped else 0
