"""`kaxl template --out DIR [--docs PATH]`: the blank ledger templates (and the column docs)."""

from __future__ import annotations

from pathlib import Path

import click

from kaxl.cli import friendly


@click.command("template")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("."),
              show_default=True, help="Folder for the templates. 输出文件夹。")
@click.option("--docs", "docs", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the column reference (Markdown), e.g. docs/columns.md. 同时生成列说明文档。")
@friendly
def command(out_dir: Path, docs: Path | None) -> None:
    """生成空白台账模板 / Write the blank ledger templates (kaxl-ledger-template.xlsx, .xlsm).

    Every sheet with bilingual headers (required columns marked ✱), dropdowns, date and money
    formats, a 说明 Guide tab and a 参数 Settings tab with every default. The .xlsm with the
    Excel buttons is written too when the VBA part of kaxl is installed.
    """
    from kaxl.reports.template import write_docs, write_templates

    for path in write_templates(out_dir):
        click.echo(f"已写入 Wrote {path}")
    if docs is not None:
        click.echo(f"已写入 Wrote {write_docs(docs)}")
