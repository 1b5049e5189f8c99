"""`kaxl sample --projects N --seed S --out PATH [--as-of D] [--clean] [--core-only]`."""

from __future__ import annotations

from pathlib import Path

import click

from kaxl.cli import friendly, parse_as_of


@click.command("sample")
@click.option("--projects", type=click.IntRange(min=1), default=40, show_default=True,
              help="Number of projects. 项目数量。")
@click.option("--seed", type=int, default=7, show_default=True, help="Random seed: same seed, same file. 随机种子。")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=Path("kaxl-sample.xlsx"),
              show_default=True, help="Output workbook. 输出文件。")
@click.option("--as-of", "as_of", metavar="YYYY-MM-DD", default="2026-11-16", show_default=True,
              help="The date the ledger is 'today' for. 台账的基准日期。")
@click.option("--clean", is_flag=True, help="No deliberate mistakes (a ledger that passes the check). 不加入错误。")
@click.option("--core-only", is_flag=True,
              help="Only the ten first-wave tabs, none of the optional field and after-sale tabs. 仅含基础十张表。")
@friendly
def command(projects: int, seed: int, out: Path, as_of: str, clean: bool, core_only: bool) -> None:
    """生成示例台账 / Write a realistic sample ledger (deterministic for a seed).

    Chinese customers and people, every stage and status, contracts with installments, risks,
    contacts and settings, values typed the way people type them — and, unless --clean, one
    deliberate mistake of every kind per 40 projects, for demos, tests and benchmarks.
    """
    from kaxl.samples.generator import make_sample, sheet_sizes, write_sample

    rows = make_sample(projects, seed, parse_as_of(as_of), clean=clean, core_only=core_only)
    path = write_sample(rows, out, core_only=core_only)
    total = sum(sheet_sizes(rows).values())
    kind = "无错误 clean" if clean else "含示例错误 with deliberate mistakes"
    click.echo(f"已写入 {path}：{projects} 个项目，共 {total} 行（{kind}）。\n"
               f"Wrote {path}: {projects} projects, {total} rows ({kind.split()[-1] if clean else 'with mistakes'}).")
