"""What the summary's after-sale tabs cost (交付 Delivery, 客户健康 Health, 问题 Issues; SPEC §7).

    python bench/aftersale_tabs.py [--projects 20000] [--runs 3]

Generates the sample ledger (``kaxl.samples``, seed 7, with its after-sale sheets), checks it
once, then times, alternating so both see the same machine, the summary workbook without the
after-sale tabs (``kaxl.reports.summary_aftersale`` left out of ``TAB_MODULES``) and with them;
the difference is the three tabs. Use ``--projects 2000`` when the machine is loaded.

Measured 2026-12-07 on the shared 2-core machine in a quiet spell (load ≈ 2; under heavier load
runs of the same summary varied from 7.6 s to 23 s and the difference meant nothing): 20,000
projects (29,957 milestones, 2,807 assessments, 6,830 issues) — summary 5.88 s without, 6.22 s
with: the three tabs add 0.34 s (+6 %), of which building them (write_tab) is 0.21 s and their
rows the rest; 2,000 projects: 0.61 s → 0.71 s, adds 0.10 s. Before the tabs read the check's
cached tables (CheckResult.context) they cost 1.0 s at 2,000 projects.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import xlsxwriter  # noqa: E402

from kaxl.api import check_files  # noqa: E402
from kaxl.reports import summary as summary_module  # noqa: E402
from kaxl.reports import summary_aftersale  # noqa: E402
from kaxl.reports.summary import Summary, write_summary  # noqa: E402
from kaxl.samples import generator  # noqa: E402

AS_OF = dt.date(2026, 11, 16)
MODULE = "kaxl.reports.summary_aftersale"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=20000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    if "kaxl.samples.aftersale" not in generator.SHEET_MODULES:  # (before the default sample had it)
        generator.SHEET_MODULES = (*generator.SHEET_MODULES, "kaxl.samples.aftersale")
    with_tabs = summary_module.TAB_MODULES
    if MODULE not in with_tabs:
        raise SystemExit(f"{MODULE} is not registered in TAB_MODULES")
    without_tabs = tuple(m for m in with_tabs if m != MODULE)
    with tempfile.TemporaryDirectory() as tmp:
        ledger = Path(tmp) / "ledger.xlsx"
        generator.write_sample(generator.make_sample(args.projects, 7, AS_OF), ledger)
        result = check_files(ledger, AS_OF)
        sizes = {k: len(result.ledger.frames[k]) for k in ("delivery", "health", "issues")}
        plain, tabs, direct = [], [], []
        for _ in range(args.runs):  # the tabs alone: write_tab on a workbook in memory (less noisy)
            book = xlsxwriter.Workbook(str(Path(tmp) / "direct.xlsx"), {"in_memory": True})
            summary = Summary(book, result, Path(tmp) / "direct.xlsx", [str(ledger)], dt.datetime(2026, 11, 16, 9))
            started = time.perf_counter()
            summary_aftersale.write_tab(summary)
            direct.append(time.perf_counter() - started)
            book.close()
        try:
            for run in range(args.runs):
                for label, modules, times in (("plain", without_tabs, plain), ("tabs", with_tabs, tabs)):
                    summary_module.TAB_MODULES = modules
                    started = time.perf_counter()
                    write_summary(result, Path(tmp) / f"{label}{run}.xlsx", generated_at=dt.datetime(2026, 11, 16, 9))
                    times.append(time.perf_counter() - started)
        finally:
            summary_module.TAB_MODULES = with_tabs
    added = statistics.median(tabs) - statistics.median(plain)
    print(f"projects {args.projects}: {sizes['delivery']:,} milestones, {sizes['health']:,} assessments, "
          f"{sizes['issues']:,} issues and complaints")
    print(f"summary without the after-sale tabs {statistics.median(plain):.2f} s (runs "
          f"{', '.join(f'{t:.2f}' for t in plain)}), with them {statistics.median(tabs):.2f} s (runs "
          f"{', '.join(f'{t:.2f}' for t in tabs)}): the three tabs add {added:.2f} s "
          f"({added / statistics.median(plain):+.0%}); building the three tabs alone (write_tab, rows not yet "
          f"rendered) {statistics.median(direct):.2f} s")


if __name__ == "__main__":
    main()
