"""Render the README's pictures from a fresh ``kaxl demo`` run: ``python scripts/readme_pictures.py``.

The pictures are what a user gets, not mock-ups: the demo's summary workbook and annotated
ledger are printed to PDF by LibreOffice (a second, independent client) and rasterised with
poppler; the e-mail previews are screenshots from headless Chromium. Pages are found by the
text on them, so a change in column widths does not silently picture the wrong sheet.

Needs soffice, pdftoppm, pdftotext and chromium on PATH (``.ci/run`` installs them).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
IMAGES = ROOT / "docs" / "images"
AS_OF = "2026-11-16"
DIGESTS = {"digest-am.png": "张雨婷", "digest-director.png": "胡红梅"}


def run(*args: str | Path, cwd: Path | None = None) -> str:
    """Run a tool, failing loudly with its output (this is a maintainer's script)."""
    done = subprocess.run([str(a) for a in args], cwd=cwd, capture_output=True, text=True, timeout=300)
    if done.returncode:
        sys.exit(f"{args[0]} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def to_pdf(workbook: Path, out_dir: Path) -> Path:
    """LibreOffice prints every sheet, as Excel would with 'print entire workbook'."""
    profile = (out_dir / "lo-profile").as_uri()
    run("soffice", f"-env:UserInstallation={profile}", "--headless", "--convert-to", "pdf",
        "--outdir", out_dir, workbook)
    return out_dir / f"{workbook.stem}.pdf"


def page_with(pdf: Path, text: str) -> int:
    """The first page whose text contains ``text``."""
    pages = int(next(line.split()[-1] for line in run("pdfinfo", pdf).splitlines() if line.startswith("Pages:")))
    for page in range(1, pages + 1):
        if text in run("pdftotext", "-f", page, "-l", page, pdf, "-"):
            return page
    sys.exit(f"{text!r} is on no page of {pdf}")


def rasterise(pdf: Path, page: int, target: Path, *, dpi: int = 110, crop_height: float | None = None) -> None:
    """One page to PNG; ``crop_height`` keeps the top fraction of an A4 page."""
    args: list[str | Path] = ["pdftoppm", "-png", "-singlefile", "-r", dpi, "-f", page, "-l", page]
    if crop_height is not None:
        width, height = (round(8.27 * dpi), round(11.69 * dpi))
        if "summary" in pdf.stem:  # the dashboard prints landscape
            width, height = height, width
        args += ["-x", 0, "-y", 0, "-W", width, "-H", round(height * crop_height)]
    run(*args, pdf, target.with_suffix(""))


def screenshot(html: Path, target: Path, work: Path) -> None:
    """What the digest looks like in a mail client's 600-px reading pane."""
    run(shutil.which("chromium") or "chromium", "--headless", "--no-sandbox", "--disable-gpu",
        "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
        f"--user-data-dir={work / 'chromium'}", f"--screenshot={target}", "--window-size=700,1400", html.as_uri())


def main() -> None:
    IMAGES.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        run(sys.executable, "-m", "kaxl", "demo", "--out", work / "demo", "--as-of", AS_OF)
        demo = work / "demo"

        summary = to_pdf(demo / "summary.xlsx", work)
        rasterise(summary, 1, IMAGES / "summary-dashboard.png", dpi=100)

        annotated = to_pdf(demo / "kaxl-sample.annotated.xlsx", work)
        rasterise(annotated, page_with(annotated, "付款节点"), IMAGES / "annotated-receivables.png",
                  crop_height=0.45)

        for name, person in DIGESTS.items():
            html = next((demo / "digest").glob(f"*_{person}.html"))
            screenshot(html, IMAGES / name, work)
    for png in sorted(IMAGES.glob("*.png")):
        print(png.relative_to(ROOT), png.stat().st_size)


if __name__ == "__main__":
    main()
