"""Make docs/images/summary-leads.png and summary-visits.png: the summary's 线索 Leads and 拜访 Visits
tabs of the bundled sample ledger, printed by LibreOffice (xlsx → PDF) and rasterised by pdftoppm.

    python scripts/readme_field_pictures.py [--ledger sample_ledgers/kaxl-sample.xlsx] [--as-of 2026-11-16]

Each picture is the top of the tab's first printed page (title, the small tables and the native
charts), found by the tab's own heading text, so a layout change never pictures the wrong sheet.
Needs soffice, pdfinfo, pdftotext and pdftoppm on PATH, like scripts/readme_pictures.py.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from readme_pictures import page_with, run, to_pdf  # noqa: E402

from kaxl.api import check_files  # noqa: E402
from kaxl.reports.summary import write_summary  # noqa: E402

A4_LANDSCAPE = (11.69, 8.27)  # inches: the field tabs print landscape, one page wide
# picture → (heading on the tab's first page, dpi, kept box as fractions of the page: left, top, right, bottom)
PICTURES = {
    # title, funnel and by-source tables and charts, the by-AM table (the every-lead list left out)
    "summary-leads.png": ("线索 Leads — 登记", 110, (0.05, 0.08, 0.94, 0.675)),
    # title, per-month and per-AM tables and charts, the first rows of the AM × customer table
    "summary-visits.png": ("拜访 Visits — 每月面谈", 150, (0.05, 0.08, 0.985, 0.66)),
}


def crop(pdf: Path, page: int, target: Path, dpi: int, box: tuple[float, float, float, float]) -> None:
    """One page to PNG, keeping ``box`` (fractions of the page) and dropping the white margins."""
    width, height = (round(side * dpi) for side in A4_LANDSCAPE)
    left, top, right, bottom = box
    run("pdftoppm", "-png", "-singlefile", "-r", dpi, "-f", page, "-l", page, "-x", round(left * width),
        "-y", round(top * height), "-W", round((right - left) * width), "-H", round((bottom - top) * height),
        pdf, target.with_suffix(""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ledger", type=Path, default=ROOT / "sample_ledgers" / "kaxl-sample.xlsx")
    parser.add_argument("--as-of", type=dt.date.fromisoformat, default=dt.date(2026, 11, 16))
    parser.add_argument("--out-dir", type=Path, default=ROOT / "docs" / "images")
    args = parser.parse_args()
    args.out_dir.mkdir(parents=True, exist_ok=True)
    result = check_files([args.ledger], args.as_of)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        summary = write_summary(result, work / "summary.xlsx", sources=[args.ledger],
                                generated_at=dt.datetime.combine(args.as_of, dt.time(9, 0)))
        pdf = to_pdf(summary, work)
        for name, (heading, dpi, box) in PICTURES.items():
            crop(pdf, page_with(pdf, heading), args.out_dir / name, dpi, box)
            print((args.out_dir / name).relative_to(ROOT) if args.out_dir.is_relative_to(ROOT) else args.out_dir / name)


if __name__ == "__main__":
    main()
