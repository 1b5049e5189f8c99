"""`kaxl demo [--out DIR] [--as-of D]`: everything kaxl does, on the bundled sample ledger."""

from __future__ import annotations

from pathlib import Path

import click

from kaxl.cli import friendly, parse_as_of


@click.command("demo")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("kaxl-demo"),
              show_default=True, help="Folder for the demo files. 输出文件夹。")
@click.option("--as-of", "as_of", metavar="YYYY-MM-DD", default="2026-11-16", show_default=True,
              help="The sample's 'today' (deadlines are counted from it). 基准日期。")
@friendly
def command(out_dir: Path, as_of: str) -> None:
    """演示：用内置示例台账跑一遍 / Run kaxl on the bundled sample ledger, no setup needed.

    Writes the sample ledger (40 projects, deliberate mistakes of every kind), the check
    output (check.txt in Chinese, check.json) and, when installed, the annotated copy, the
    managers' summary and the weekly e-mail previews into one folder; it says what the field
    sheets (leads, visits) hold and what the check found on them.
    """
    from kaxl.samples.demo import run_demo

    run = run_demo(out_dir, parse_as_of(as_of))
    counts = run.result.counts
    click.echo(f"演示完成 Demo done — {run.out_dir.resolve()}")
    click.echo(f"校验：{counts['error']} 个错误、{counts['warning']} 个警告、{counts['info']} 条提示 / "
               f"check: {counts['error']} errors, {counts['warning']} warnings, {counts['info']} notes")
    from kaxl.samples.demo import sheet_module_lines

    for line in sheet_module_lines(run):
        click.echo(line)
    click.echo("请查看 Look at:")
    for zh, en, path in run.written:
        click.echo(f"  {path}  — {zh} / {en}")
    for name, error in run.failed:
        click.echo(f"  ⚠ 步骤 {name} 失败 step failed: {error}", err=True)
    click.echo("先打开 check.txt，再在 Excel 中打开标注副本查看每个问题单元格。\n"
               "Start with check.txt, then open the annotated copy in Excel to see each finding on its cell.")
