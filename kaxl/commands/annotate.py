"""`kaxl annotate LEDGER [--out PATH] [--as-of D]`."""

from __future__ import annotations

from pathlib import Path

import click

from kaxl.cli import as_of_option, friendly, parse_as_of


@click.command("annotate")
@click.argument("ledger", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              help="Output file (default: LEDGER.annotated.xlsx beside the ledger). 输出文件。")
@as_of_option
@friendly
def command(ledger: Path, out: Path | None, as_of: str | None) -> None:
    """标注台账副本 / Write a copy of LEDGER with every finding marked on its cell.

    Finding cells are filled by severity and carry a note; 校验结果 Findings, 评分 Scores and
    预警 Alerts tabs are added. The ledger itself is never written; everything else in the
    workbook (macros, charts, sparklines, formats) is kept byte for byte. Annotating an
    annotated copy replaces its previous marks.
    """
    from kaxl.api import check_files
    from kaxl.progress import stage_lines
    from kaxl.reports.annotate import annotate_ledger, check_output_path, default_output

    target = out or default_output(ledger)
    check_output_path(ledger, target)  # before the read: a wrong --out fails at once
    progress = stage_lines()
    result = check_files([ledger], parse_as_of(as_of), progress, kpis=False)  # the copy shows none
    if progress:
        progress("annotate")
    target = annotate_ledger(result, ledger, target)
    if progress:
        progress.done()
    counts = result.counts
    click.echo(f"已写入 {target}：标注 {counts['error']} 个错误、{counts['warning']} 个警告、{counts['info']} 条提示。\n"
               f"Wrote {target}: {counts['error']} errors, {counts['warning']} warnings, {counts['info']} notes marked.")
