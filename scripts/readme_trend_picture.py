"""Make docs/images/summary-trend.png: the summary's 趋势 Trend tab over 12 weekly snapshots of
the bundled sample ledger, rendered by LibreOffice (xlsx → PDF) and pdftoppm (PDF → PNG).

    python scripts/readme_trend_picture.py [--out docs/images/summary-trend.png]

The weeks are the same ledger checked as of 12 consecutive Mondays (what `kaxl snapshot
--backfill` would record from weekly copies), so KPIs, findings and stages move as time passes.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kaxl.api import check_files  # noqa: E402
from kaxl.history.frames import History  # noqa: E402
from kaxl.history.identity import snapshot_frames  # noqa: E402
from kaxl.reports.summary import write_summary  # noqa: E402


def weekly_history(ledger: Path, last: dt.date, weeks: int = 12):
    """The check result as of ``last`` with a history of ``weeks`` weekly snapshots ending there."""
    parts, result = [], None
    for i in range(weeks - 1, -1, -1):
        day = last - dt.timedelta(weeks=i)
        result = check_files(ledger, day)
        parts.append(snapshot_frames(result, day))
    import pandas as pd

    history = History(*(pd.concat([getattr(p, name) for p in parts], ignore_index=True)
                        for name in ("findings", "projects", "kpis")))
    return dataclasses.replace(result, history=history)


def trend_png(summary: Path, out: Path, work: Path) -> Path:
    """Render the workbook to PDF and keep the first page of the trend tab as a PNG."""
    subprocess.run(["soffice", "--headless", "--convert-to", "pdf", "--outdir", str(work), str(summary)],
                   check=True, capture_output=True, timeout=300)
    pdf = work / (summary.stem + ".pdf")
    pages = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    count = int(next(line.split()[-1] for line in pages.splitlines() if line.startswith("Pages:")))
    for page in range(1, count + 1):
        text = subprocess.run(["pdftotext", "-f", str(page), "-l", str(page), str(pdf), "-"],
                              capture_output=True, text=True, check=True).stdout
        if "指标趋势" in text:
            subprocess.run(["pdftoppm", "-png", "-r", "110", "-f", str(page), "-l", str(page), "-singlefile",
                            str(pdf), str(out.with_suffix(""))], check=True)
            return out
    raise SystemExit("the trend tab was not found in the PDF")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "images" / "summary-trend.png")
    parser.add_argument("--ledger", type=Path, default=ROOT / "sample_ledgers" / "kaxl-sample.xlsx")
    parser.add_argument("--as-of", type=dt.date.fromisoformat, default=dt.date(2026, 11, 16))
    args = parser.parse_args()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    result = weekly_history(args.ledger, args.as_of)
    with tempfile.TemporaryDirectory() as tmp:
        summary = write_summary(result, Path(tmp) / "summary.xlsx", generated_at=dt.datetime(2026, 11, 16, 9, 0))
        png = trend_png(summary, args.out, Path(tmp))
        if png != args.out:
            shutil.move(png, args.out)
    print(args.out)


if __name__ == "__main__":
    main()
