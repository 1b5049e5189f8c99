"""Make docs/images/summary-delivery.png, summary-health.png and summary-issues.png: the summary's
after-sale tabs (SPEC §7) on the sample ledger, rendered by LibreOffice (xlsx → PDF) and pdftoppm
(PDF → PNG).

    python scripts/readme_aftersale_pictures.py [--out-dir docs/images] [--ledger PATH]

Without ``--ledger`` the sample is generated (40 projects, seed 7, as of 2026-11-16) with its
after-sale sheets (kaxl.samples.aftersale, added to the sample's sheet modules if the default
sample does not have it yet). Each picture is the first page of its tab, found by the text on
it, so a change in column widths cannot silently picture the wrong sheet.
"""

from __future__ import annotations

import argparse
import datetime as dt
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kaxl.api import check_files  # noqa: E402
from kaxl.reports.summary import write_summary  # noqa: E402

AS_OF = dt.date(2026, 11, 16)
# picture → the text that starts its tab (the section title in A1)
PICTURES = {"summary-delivery.png": "交付 Delivery —", "summary-health.png": "客户健康 Health —",
            "summary-issues.png": "问题 Issues —"}


def sample_ledger(path: Path) -> Path:
    """The 40-project sample with the after-sale sheets."""
    from kaxl.samples import generator

    if "kaxl.samples.aftersale" not in generator.SHEET_MODULES:
        generator.SHEET_MODULES = (*generator.SHEET_MODULES, "kaxl.samples.aftersale")
    return generator.write_sample(generator.make_sample(40, 7), path)


def to_pdf(workbook: Path, work: Path) -> Path:
    profile = (work / "lo-profile").as_uri()
    subprocess.run(["soffice", f"-env:UserInstallation={profile}", "--headless", "--convert-to", "pdf",
                    "--outdir", str(work), str(workbook)], check=True, capture_output=True, timeout=600)
    return work / f"{workbook.stem}.pdf"


def page_texts(pdf: Path) -> list[str]:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    count = int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))
    return [subprocess.run(["pdftotext", "-f", str(p), "-l", str(p), str(pdf), "-"], capture_output=True, text=True,
                           check=True).stdout for p in range(1, count + 1)]


def render(summary: Path, out_dir: Path, work: Path, resolution: int = 100) -> list[Path]:
    """One PNG per after-sale tab: the first PDF page that carries its title."""
    pdf = to_pdf(summary, work)
    texts = page_texts(pdf)
    made = []
    for name, marker in PICTURES.items():
        page = next((i for i, text in enumerate(texts, start=1) if marker in text), None)
        if page is None:
            raise SystemExit(f"{marker!r} was not found in the PDF")
        out = out_dir / name
        subprocess.run(["pdftoppm", "-png", "-r", str(resolution), "-f", str(page), "-l", str(page), "-singlefile",
                        str(pdf), str(out.with_suffix(""))], check=True)
        made.append(out)
    return made


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out-dir", type=Path, default=ROOT / "docs" / "images")
    parser.add_argument("--ledger", type=Path, default=None)
    parser.add_argument("--as-of", type=dt.date.fromisoformat, default=AS_OF)
    args = parser.parse_args()
    args.out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        ledger = args.ledger or sample_ledger(work / "kaxl-sample.xlsx")
        result = check_files([ledger], args.as_of)
        summary = write_summary(result, work / "summary.xlsx", generated_at=dt.datetime(2026, 11, 16, 9, 0))
        for path in render(summary, args.out_dir, work):
            print(path)


if __name__ == "__main__":
    main()
