"""`kaxl summary LEDGER… --out summary.xlsx [--as-of D]`."""

from __future__ import annotations

from pathlib import Path

import click

from kaxl.cli import as_of_option, friendly, history_option, keep_history, parse_as_of
from kaxl.errors import KaxlError


@click.command("summary")
@click.argument("ledgers", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The summary workbook to write (.xlsx). 输出文件。")
@as_of_option
@history_option
@friendly
def command(ledgers: tuple[Path, ...], out: Path, as_of: str | None, history: str | None) -> None:
    """生成管理层汇总工作簿 / Write the managers' summary workbook of LEDGERS.

    Tabs: 概览 Dashboard (KPI tiles against target, pipeline, aging, monthly collection and
    grade charts), 预警 Alerts, 项目 Projects (with 扣分 Deductions one click away),
    回款 Receivables, 销售经理 Managers, 校验 Findings (each links to its ledger cell) and
    说明 About (source files with SHA-256), and 趋势 Trend with a history store. Several ledgers
    form one portfolio. The ledgers
    are only read; the summary is written atomically.
    """
    from kaxl.api import check_files
    from kaxl.progress import stage_lines

    if out.suffix.lower() != ".xlsx":
        raise KaxlError(f"汇总文件须为 .xlsx：{out.name}", f"The summary must be an .xlsx file: {out.name}", file=str(out))
    if out.name.startswith("~$"):
        raise KaxlError("不能写入 Excel 的临时锁文件（~$ 开头）。", "Refusing to write Excel's lock file (~$…).", file=str(out))
    for ledger in ledgers:
        if out.exists() and ledger.exists() and out.resolve() == ledger.resolve():
            raise KaxlError("输出文件不能与台账相同：kaxl 从不覆盖您的台账。", "The output cannot be a ledger: kaxl never "
                            "overwrites your ledger.", file=str(ledger))
    progress = stage_lines()
    result = check_files(list(ledgers), parse_as_of(as_of), progress)
    result = keep_history(result, history, progress, read="trend")  # what the trend tab shows
    from kaxl.reports.summary import write_summary

    if progress:
        progress("summary")
    target = write_summary(result, out, sources=[str(p) for p in ledgers])
    if progress:
        progress.done()
    click.echo(f"已写入汇总 {target}（{len(result.projects)} 个项目，{len(result.alerts)} 条预警）。\n"
               f"Wrote the summary {target} ({len(result.projects)} projects, {len(result.alerts)} alerts).")
