"""What the summary's 趋势 Trend tab costs (issue 23's bar: ≤ 1 s over 12 snapshots).

    python bench/trend_tab.py [--projects 20000] [--runs 3]

Generates the sample ledger (``kaxl.samples``, seed 7), checks it once, and builds a history
of 12 weekly snapshots from that check (``snapshot_frames`` at 12 Mondays; the frames are the
size a real history of that ledger has, which is what the tab's cost depends on). Then it
times, alternating so both see the same machine, the summary workbook without the history and
with it; the difference is the tab. Use ``--projects 2000`` when the machine is loaded.

Measured 2026-12-07 on the shared 2-core machine under load: 20,000 projects (249,888 finding
rows, 240,000 project rows) — summary 2.63 s without, 3.14 s with: the tab adds 0.50 s; 2,000
projects: adds 0.10 s.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pandas as pd  # noqa: E402

from kaxl.api import check_files  # noqa: E402
from kaxl.history.frames import History  # noqa: E402
from kaxl.history.identity import snapshot_frames  # noqa: E402
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
        started = time.perf_counter()
        parts = [snapshot_frames(result, AS_OF - dt.timedelta(weeks=i)) for i in range(11, -1, -1)]
        history = History(*(pd.concat([getattr(p, n) for p in parts], ignore_index=True)
                            for n in ("findings", "projects", "kpis")))
        frames_s = time.perf_counter() - started
        with_history = dataclasses.replace(result, history=history)
        plain, trend = [], []
        for run in range(args.runs):
            for label, subject, times in (("plain", result, plain), ("trend", with_history, trend)):
                started = time.perf_counter()
                write_summary(subject, Path(tmp) / f"{label}{run}.xlsx", generated_at=dt.datetime(2026, 11, 16, 9))
                times.append(time.perf_counter() - started)
    added = statistics.median(trend) - statistics.median(plain)
    print(f"projects {args.projects}: {len(history.findings):,} finding rows, {len(history.projects):,} project rows "
          f"over 12 snapshots (frames built in {frames_s:.2f} s)")
    print(f"summary without history {statistics.median(plain):.2f} s, with the trend tab "
          f"{statistics.median(trend):.2f} s: the tab adds {added:.2f} s (bar ≤ 1 s) — "
          f"{'PASS' if added <= 1.0 else 'FAIL'}")


if __name__ == "__main__":
    main()
