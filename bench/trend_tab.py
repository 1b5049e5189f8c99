"""What the summary's 趋势 Trend tab costs (issue 23's bar: ≤ 1 s over 12 snapshots).

    python bench/trend_tab.py [--projects 20000] [--runs 3]

Generates the sample ledger (``kaxl.samples``, seed 7), checks it once, and stores 12 weekly
snapshots of that check in an SQLite store (``snapshot_frames`` at 12 Mondays; the rows are the
size a real history of that ledger has, which is what the tab's cost depends on). Then it reads
the history back as ``kaxl summary`` does (``HistoryStore.load_trend``: the portfolio's KPIs,
the stored per-severity counts, the projects — narrowed before the last two weeks) and times,
alternating so both see the same machine, the summary workbook without the history and with
it; the difference of the best runs is the tab (best, not median: other work on a shared
machine only ever adds time). Use ``--projects 2000`` when the machine is loaded.

Measured 2026-12-07 12:30 UTC on the shared 2-core machine: see the bench table (README) for
the numbers; the read-back is printed beside the tab's cost.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kaxl.api import check_files  # noqa: E402
from kaxl.history.identity import snapshot_frames  # noqa: E402
from kaxl.history.store import open_store  # noqa: E402
from kaxl.reports.summary import write_summary  # noqa: E402
from kaxl.samples.generator import make_sample  # noqa: E402
from kaxl.samples.workbook import write_sample  # noqa: E402

AS_OF = dt.date(2026, 11, 16)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=20000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        ledger = Path(tmp) / "ledger.xlsx"
        write_sample(make_sample(args.projects, 7, AS_OF), ledger)
        result = check_files(ledger, AS_OF)
        days = [AS_OF - dt.timedelta(weeks=i) for i in range(11, -1, -1)]
        with open_store(Path(tmp) / "kaxl-history.sqlite") as store:
            for day in days:
                store.write_snapshot("ledger.xlsx", snapshot_frames(result, day), files=[ledger])
            started = time.perf_counter()
            history = store.load_trend("ledger.xlsx", days)
            read_s = time.perf_counter() - started
        with_history = dataclasses.replace(result, history=history)
        plain, trend = [], []
        for run in range(args.runs):
            for label, subject, times in (("plain", result, plain), ("trend", with_history, trend)):
                started = time.perf_counter()
                write_summary(subject, Path(tmp) / f"{label}{run}.xlsx", generated_at=dt.datetime(2026, 11, 16, 9))
                times.append(time.perf_counter() - started)
    added = min(trend) - min(plain)
    print(f"projects {args.projects}: 12 snapshots read back as the summary reads them in {read_s:.2f} s "
          f"({len(history.projects):,} project rows, {len(history.kpis):,} KPI rows, the findings as counts)")
    print(f"summary without history {min(plain):.2f} s, with the trend tab "
          f"{min(trend):.2f} s: the tab adds {added:.2f} s (bar ≤ 1 s) — "
          f"{'PASS' if added <= 1.0 else 'FAIL'}")


if __name__ == "__main__":
    main()
