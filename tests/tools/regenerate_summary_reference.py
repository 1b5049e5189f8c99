"""Rewrite tests/reference/summary-sample.xlsx from the committed sample, as tests/test_summary.py
builds its summary (same as-of, same generated-at): run it after a change that is meant to alter
the first-wave tabs, and look at the diff of what test_summary compares before committing.

    python tests/tools/regenerate_summary_reference.py
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from kaxl.api import check_files
from kaxl.reports.summary import write_summary

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "sample_ledgers" / "kaxl-sample.xlsx"
AS_OF = dt.date(2026, 11, 16)
NOW = dt.datetime(2026, 11, 16, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))

if __name__ == "__main__":
    out = ROOT / "tests" / "reference" / "summary-sample.xlsx"
    write_summary(check_files([SAMPLE], AS_OF), out, sources=[str(SAMPLE)], generated_at=NOW)
    print(out)
