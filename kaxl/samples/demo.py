"""`kaxl demo`: the bundled sample ledger through every command kaxl has, into one folder.

The sample is generated on the fly (``make_sample(40, 7)``), so the demo works from an
installed wheel with no repository files. Steps are a list: the check always runs; the
annotated copy, the managers' summary and the digest previews run when their modules are
installed (looked up with getattr, so a command added later joins the demo by existing).
A failing optional step is reported and the others still run.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kaxl.atomic import atomic_output
from kaxl.samples.generator import DEFAULT_AS_OF, DEFAULT_SEED, make_sample, write_sample

DEMO_PROJECTS = 40
LEDGER_NAME = "kaxl-sample.xlsx"


@dataclass
class DemoRun:
    """What the steps share: where to write, the reference date, the ledger and its check result."""

    out_dir: Path
    as_of: dt.date
    ledger: Path | None = None
    result: Any = None
    written: list[tuple[str, str, Path]] = field(default_factory=list)  # (zh, en, path)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (step, error)

    def wrote(self, zh: str, en: str, path: Path) -> None:
        self.written.append((zh, en, path))


@dataclass(frozen=True)
class DemoStep:
    name: str
    run: Callable[[DemoRun], None]
    required: bool = False  # a required step failing ends the demo (exit 2 via KaxlError/exception)


def _sample(run: DemoRun) -> None:
    run.ledger = write_sample(make_sample(DEMO_PROJECTS, DEFAULT_SEED, run.as_of), run.out_dir / LEDGER_NAME)
    run.wrote("示例台账（含示例错误）", "sample ledger (with deliberate mistakes)", run.ledger)


def _check(run: DemoRun) -> None:
    from kaxl.api import check_files
    from kaxl.reports.console import render
    from kaxl.reports.jsonout import dumps, to_document

    run.result = check_files([run.ledger], run.as_of)
    text, doc = run.out_dir / "check.txt", run.out_dir / "check.json"
    with atomic_output(text) as tmp:
        tmp.write_text(render(run.result, "zh", None), encoding="utf-8")
    with atomic_output(doc) as tmp:
        tmp.write_text(dumps(to_document(run.result)), encoding="utf-8")  # as `kaxl check --json` writes it
    run.wrote("校验结果（中文）", "check output (Chinese)", text)
    run.wrote("校验结果 JSON", "check output as JSON", doc)


def _annotate(run: DemoRun) -> None:
    from kaxl.reports.annotate import annotate_ledger

    path = annotate_ledger(run.result, run.ledger, run.out_dir / "kaxl-sample.annotated.xlsx")
    run.wrote("标注副本（问题单元格已标出）", "annotated copy (finding cells marked)", Path(path))


def _summary(run: DemoRun) -> None:
    from kaxl.reports.summary import write_summary

    path = write_summary(run.result, run.out_dir / "summary.xlsx", sources=[str(run.ledger)])
    run.wrote("管理层汇总工作簿", "managers' summary workbook", Path(path))


def _digest(run: DemoRun) -> None:
    from zoneinfo import ZoneInfo

    from kaxl.digest import write_previews

    monday_9 = dt.datetime.combine(run.as_of, dt.time(9, 0), ZoneInfo("Asia/Shanghai"))
    folder = run.out_dir / "digest"
    written = write_previews(run.result, folder, now=lambda: monday_9)
    run.wrote(f"每周邮件预览（{len(written) // 2} 封）", f"weekly e-mail previews ({len(written) // 2})", folder)


def _template(run: DemoRun) -> None:
    from kaxl.reports.template import write_templates

    for path in write_templates(run.out_dir / "templates"):
        zh, en = ("空白台账（带按钮）", "blank ledger with the Excel buttons") if path.suffix == ".xlsm" \
            else ("空白台账模板", "blank ledger template")
        run.wrote(zh, en, path)


def _excel_enable(run: DemoRun) -> None:
    from kaxl.vba.enable import enable_workbook

    out = run.out_dir / "kaxl-sample.xlsm"
    enable_workbook(run.ledger, out)
    run.wrote("示例台账加上按钮（.xlsm）", "sample ledger with the Excel buttons (.xlsm)", out)


STEPS: tuple[DemoStep, ...] = (
    DemoStep("sample", _sample, required=True),
    DemoStep("check", _check, required=True),
    DemoStep("annotate", _annotate),
    DemoStep("summary", _summary),
    DemoStep("digest", _digest),
    DemoStep("template", _template),
    DemoStep("excel-enable", _excel_enable),
)


def sheet_module_lines(run: DemoRun) -> list[str]:
    """What the sample's optional sheets hold and what the check found on them (SPEC §7), one
    block per sample sheet module that says so (``DEMO = (zh, en, sheet keys, rule ids)`` in
    :data:`kaxl.samples.generator.SHEET_MODULES`): rows per sheet, then each rule's findings."""
    import importlib
    from collections import Counter

    from kaxl.contract.columns import sheet
    from kaxl.contract.rules import rule
    from kaxl.samples.generator import SHEET_MODULES

    if run.result is None or run.ledger is None:
        return []
    from kaxl.reading.ledger import read_ledger

    ledger = read_ledger(run.ledger)
    fired = Counter(f.rule for f in run.result.findings)
    lines: list[str] = []
    for name in SHEET_MODULES:
        demo = getattr(importlib.import_module(name), "DEMO", None)
        if demo is None:
            continue
        zh, en, keys, rules = demo
        sizes = [(sheet(k).title, len(ledger.frames[k])) for k in keys if ledger.present.get(k)]
        if not sizes:
            continue
        found = sum(fired[r] for r in rules)
        rows = "，".join(f"{title} {n} 行 rows" for title, n in sizes)
        lines.append(f"{zh} {en}：{rows}；{found} 项发现 findings")
        for rule_id in rules:
            if fired[rule_id]:
                r = rule(rule_id)
                lines.append(f"    {rule_id} ×{fired[rule_id]}  {r.title_zh} / {r.title_en}")
    return lines


def run_demo(out_dir: str | os.PathLike[str] = "kaxl-demo", as_of: dt.date = DEFAULT_AS_OF,
             steps: tuple[DemoStep, ...] = STEPS) -> DemoRun:
    """Run every demo step into ``out_dir``; optional steps that fail are recorded, not raised."""
    run = DemoRun(Path(out_dir), as_of)
    run.out_dir.mkdir(parents=True, exist_ok=True)
    for step in steps:
        if step.required:
            step.run(run)
            continue
        try:
            step.run(run)
        except Exception as exc:  # noqa: BLE001 - one broken preview must not hide the rest
            run.failed.append((step.name, f"{type(exc).__name__}: {exc}"))
    return run
