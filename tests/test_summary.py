"""`kaxl summary`: the managers' workbook, read back by openpyxl, calamine and LibreOffice."""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
import subprocess
import warnings
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from python_calamine import CalamineWorkbook

from kaxl.api import check_files
from kaxl.cli import main
from kaxl.reports.summary import write_summary
from kaxl.reports.summary_data import TILE_KPIS, monthly_collection_rows
from tests.ledger_factory import d, write_ledger

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample_ledgers" / "kaxl-sample.xlsx"
TEMPLATE = ROOT / "workbook_templates" / "kaxl-ledger-template.xlsx"
AS_OF = dt.date(2026, 11, 16)
NOW = dt.datetime(2026, 11, 16, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
SHEETS = ["概览 Dashboard", "预警 Alerts", "项目 Projects", "扣分 Deductions", "回款 Receivables",
          "销售经理 Managers", "校验 Findings", "说明 About"]


@pytest.fixture(scope="module")
def sample_result():
    return check_files([SAMPLE], AS_OF)


@pytest.fixture(scope="module")
def summary(sample_result, tmp_path_factory) -> Path:
    return write_summary(sample_result, tmp_path_factory.mktemp("s") / "summary.xlsx", sources=[str(SAMPLE)],
                         generated_at=NOW)


def rows(path: Path, sheet: str) -> list[list]:
    return CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet).to_python()


def test_opens_in_openpyxl_without_warnings(summary: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        book = load_workbook(summary)
    # the first-wave tabs in order; the sample's optional sheets (SPEC §7) add their own tabs
    # before 说明 About (tested in tests/test_summary_field.py)
    assert [name for name in book.sheetnames if name in SHEETS] == SHEETS
    assert book["预警 Alerts"].freeze_panes == "B4"
    assert book["项目 Projects"].page_setup.orientation == "landscape"
    assert "Alerts" in book["预警 Alerts"].tables


def test_tabs_hold_every_row_of_the_result(summary: Path, sample_result) -> None:
    assert len(rows(summary, "预警 Alerts")) - 3 == len(sample_result.alerts)
    assert len(rows(summary, "项目 Projects")) - 3 == len(sample_result.projects)
    assert len(rows(summary, "校验 Findings")) - 3 == len(sample_result.findings)
    assert len(rows(summary, "回款 Receivables")) - 3 == int((sample_result.receivables["outstanding"] > 0).sum())
    assert len(rows(summary, "扣分 Deductions")) - 3 == len(sample_result.deductions)
    assert len(rows(summary, "销售经理 Managers")) - 3 == len(sample_result.kpis_by_manager)
    alerts = rows(summary, "预警 Alerts")[3:]
    severities = [r[0].split()[1] for r in alerts]
    assert severities == sorted(severities, key=["error", "warning", "info"].index), "alerts not sorted by severity"
    projects = {r[0] for r in rows(summary, "项目 Projects")[3:]}
    assert projects == set(sample_result.projects["project_id"])


def test_dashboard_tiles_show_the_kpis(summary: Path, sample_result) -> None:
    ws = load_workbook(summary)["概览 Dashboard"]
    for i, key in enumerate(TILE_KPIS):
        kpi = sample_result.kpis[key]
        column = 2 + i * 3
        assert ws.cell(6, column).value == pytest.approx(kpi["value"]), key
        assert kpi["status"] in ws.cell(8, column).value, key
        assert kpi["label_zh"] in ws.cell(5, column).value
        assert ws.cell(6, column).fill.fgColor.rgb.endswith({"green": "C6EFCE", "amber": "FFEB9C", "red": "FFC7CE"}[
            kpi["status"]])


def test_dashboard_has_native_charts(summary: Path) -> None:
    import zipfile

    with zipfile.ZipFile(summary) as package:
        charts = [n for n in package.namelist() if n.startswith("xl/charts/chart")]
        texts = "".join(package.read(n).decode("utf-8") for n in charts)
    assert len(charts) >= 4  # the dashboard's four, then the optional sheets' tabs' own
    for title in ("Pipeline by stage", "Receivables aging", "Monthly collection", "Grade mix"):
        assert title in texts


def test_monthly_collection_by_hand() -> None:
    import pandas as pd

    receivables = pd.DataFrame({
        "due_date": pd.to_datetime(["2026-10-10", "2026-10-20", "2026-11-05", "2025-01-01"]),
        "amount_due": [100_000.0, 50_000.0, 200_000.0, 9.0],
        "amount_received": [100_000.0, 60_000.0, 0.0, 9.0],
        "received_date": pd.to_datetime(["2026-10-09", "2026-10-25", None, "2025-01-01"]),
    })
    table = {row[0]: row[1:] for row in monthly_collection_rows(receivables, AS_OF)}
    assert table["2026-10"] == [15.0, 16.0, 10.0]  # due 10+5 万, received 10+6, on time only the first
    assert table["2026-11"] == [20.0, 0.0, 0.0]
    assert "2025-01" not in table and len(table) == 12


def test_findings_link_back_to_the_ledger_cell(summary: Path, sample_result) -> None:
    book = load_workbook(summary)
    ws = book["校验 Findings"]
    links = [c.hyperlink for c in ws["C"][3:] if c.hyperlink is not None]
    assert len(links) == sum(1 for f in sample_result.findings if f.cell and "!" in f.cell)
    assert "'回款台账 Receivables'!D10" in {link.location for link in links}
    assert all(link.target.replace("\\", "/").endswith("sample_ledgers/kaxl-sample.xlsx") for link in links)
    projects = book["项目 Projects"]
    internal = [c.hyperlink.location for c in projects["K"][3:] if c.hyperlink is not None]
    assert internal and all(loc.startswith("'扣分 Deductions'!A") for loc in internal)


def test_about_names_sources_with_sha256(summary: Path) -> None:
    about = rows(summary, "说明 About")
    text = [" ".join(str(v) for v in r) for r in about]
    assert any(hashlib.sha256(SAMPLE.read_bytes()).hexdigest() in line for line in text)
    assert any("2026-11-16" in line for line in text)


def test_ledger_text_never_becomes_a_formula(tmp_path: Path) -> None:
    evil = ['=HYPERLINK("http://evil.example","点我")', "@SUM(A1)", "+1+1", "-2"]
    ledger = write_ledger(tmp_path / "evil.xlsx", {"projects": [
        {"project_id": f"KA-2026-000{i}", "customer": name, "account_manager": "张伟", "stage": "initiation",
         "status": "active", "lead_date": d("2026-11-10"), "estimated_amount": 100000}
        for i, name in enumerate(evil, start=1)]})
    out = write_summary(check_files([ledger], AS_OF), tmp_path / "s.xlsx", generated_at=NOW)
    ws = load_workbook(out)["项目 Projects"]
    customers = {ws.cell(r, 2).value: ws.cell(r, 2).data_type for r in range(4, 4 + len(evil))}
    assert customers == {name: "s" for name in evil}
    import zipfile

    with zipfile.ZipFile(out) as package:
        sheets = "".join(package.read(n).decode() for n in package.namelist() if n.startswith("xl/worksheets/"))
    assert "<f>" not in sheets


def test_portfolio_and_empty_ledger(tmp_path: Path) -> None:
    second = tmp_path / "华南.xlsx"
    shutil.copy(SAMPLE, second)
    run = CliRunner().invoke(main, ["summary", str(SAMPLE), str(TEMPLATE), "--out", str(tmp_path / "p.xlsx"),
                                    "--as-of", "2026-11-16"])
    assert run.exit_code == 0, run.output
    about = " ".join(str(v) for r in rows(tmp_path / "p.xlsx", "说明 About") for v in r)
    assert "kaxl-sample.xlsx" in about and "kaxl-ledger-template.xlsx" in about
    empty = write_summary(check_files([TEMPLATE], AS_OF), tmp_path / "empty.xlsx", generated_at=NOW)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        book = load_workbook(empty)
    assert book["预警 Alerts"].tables["Alerts"].ref == "A3:Q4"


def test_cli_refuses_bad_outputs(tmp_path: Path) -> None:
    for out in ("s.csv", "~$s.xlsx"):
        run = CliRunner().invoke(main, ["summary", str(SAMPLE), "--out", str(tmp_path / out)])
        assert run.exit_code == 2 and "Traceback" not in run.output, run.output
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(not (shutil.which("soffice") and shutil.which("pdftoppm")), reason="LibreOffice/poppler missing")
def test_libreoffice_renders_the_dashboard(summary: Path, tmp_path: Path) -> None:
    profile = f"file://{tmp_path / 'lo-profile'}"
    run = subprocess.run(["soffice", f"-env:UserInstallation={profile}", "--headless", "--convert-to", "pdf",
                          "--outdir", str(tmp_path), str(summary)], capture_output=True, timeout=180)
    pdf = tmp_path / "summary.pdf"
    assert pdf.exists(), run.stderr
    text = subprocess.run(["pdftotext", "-f", "1", "-l", "1", str(pdf), "-"], capture_output=True, text=True,
                          timeout=60).stdout
    for label in ("成单转化率", "Pipeline by stage", "应收账龄", "客户分级"):
        assert label in text, label
    subprocess.run(["pdftoppm", "-r", "60", "-png", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "page")],
                   check=True, timeout=60)
    assert next(tmp_path.glob("page*.png")).stat().st_size > 20_000


def _content(path: Path) -> dict:
    """Everything a reader sees of the row tabs: values (calamine), and per cell (openpyxl)
    the type, number format, fill, font, hyperlink, plus row heights and table ranges."""
    book = load_workbook(path)
    seen: dict = {"values": {s: rows(path, s) for s in SHEETS[1:7]}}
    for name in SHEETS[1:7]:
        ws = book[name]
        seen[name] = [
            [(c.data_type, c.number_format, c.fill.fgColor.rgb, c.font.color.rgb if c.font.color else None,
              c.alignment.wrap_text, (c.hyperlink.target, c.hyperlink.location) if c.hyperlink else None)
             for c in row] for row in ws.iter_rows()]
        seen[name + " heights"] = {r: d.height for r, d in ws.row_dimensions.items() if d.height}
        seen[name + " tables"] = {t.name: (t.ref, t.autoFilter.ref if t.autoFilter else None)
                                  for t in ws.tables.values()}
    return seen


def test_reads_as_the_reference_written_by_xlsxwriter_alone(summary: Path) -> None:
    """The reference was written with every cell through XlsxWriter's public API (the summary of
    kaxl 0.1 before its rows were rendered by kaxl): a reader sees the same workbook — values,
    types, formats, fonts, fills, links, heights, tables, conditional formats, charts. (The
    About tab names the source file by its full path, which differs from machine to machine.)"""
    from tests.workbook_compare import reader_view

    expected = reader_view(ROOT / "tests" / "reference" / "summary-sample.xlsx", skip=("说明 About",))
    written = reader_view(summary, skip=("说明 About",))
    # the reference holds the first-wave tabs; the optional sheets' tabs have their own tests
    assert set(expected.keys()) <= set(written.keys())
    for key in expected:
        if key == "charts":  # the dashboard's charts come first; optional tabs' charts follow
            assert written[key][:len(expected[key])] == expected[key]
            continue
        assert written[key] == expected[key], key


def test_hostile_text_stays_text(tmp_path: Path) -> None:
    """Control characters, _xHHHH_ look-alikes, markup and 40k-character text are written as text."""
    hostile = ["a\x01b", "_x0041_", "<b>&amp;</b>", " lead and trail ", "行1\n行2", "x" * 40000,
               '=HYPERLINK("http://evil.example","点我")']
    ledger = write_ledger(tmp_path / "h.xlsx", {"projects": [
        {"project_id": f"KA-2026-00{i:02d}", "customer": name, "account_manager": "张伟", "stage": "initiation",
         "status": "active", "lead_date": d("2026-11-10"), "estimated_amount": 100000}
        for i, name in enumerate(hostile, start=1)]})
    result = check_files([ledger], AS_OF)
    out = write_summary(result, tmp_path / "s.xlsx", generated_at=NOW)
    customers = {row[1] for row in rows(out, "项目 Projects")[3:]}  # (calamine; openpyxl does not
    # unescape _xHHHH_ in inline strings, Excel, LibreOffice and calamine do)
    assert customers >= {"a\x01b", "_x0041_", '=HYPERLINK("http://evil.example","点我")', "<b>&amp;</b>", "x" * 32767}
    ws = load_workbook(out)["项目 Projects"]
    assert {ws.cell(r, 2).data_type for r in range(4, 4 + len(hostile))} == {"s"}  # text, never a formula


def test_rich_text_shaped_ledger_text_stays_text(tmp_path: Path) -> None:
    """XlsxWriter writes a string shaped like ``<r>…</r>`` unescaped, as rich text; the summary's
    rows are written by kaxl as escaped inline text, read back by two readers as typed."""
    import zipfile

    shaped = ["<r><t>注入</t></r>", "<r>x</r>", "<r><rPr><b/></rPr><t>粗体</t></r>"]
    # (set on the result: the test ledger is itself written by XlsxWriter, which would store these as rich text)
    ledger = write_ledger(tmp_path / "r.xlsx", {"projects": [
        {"project_id": f"KA-2026-00{i:02d}", "customer": f"客户{i}", "account_manager": "张伟", "stage": "initiation",
         "status": "active", "lead_date": d("2026-11-10"), "estimated_amount": 100000} for i in range(1, 4)]})
    result = check_files([ledger], AS_OF)
    result.projects["customer"] = shaped
    out = write_summary(result, tmp_path / "s.xlsx", generated_at=NOW)
    with zipfile.ZipFile(out) as package:
        xml = "".join(package.read(n).decode() for n in package.namelist() if n.endswith(".xml"))
    assert "<t>注入</t>" not in xml and "&lt;t&gt;注入&lt;/t&gt;" in xml
    assert sorted(row[1] for row in rows(out, "项目 Projects")[3:6]) == sorted(shaped)
    ws = load_workbook(out)["项目 Projects"]
    assert sorted(ws.cell(r, 2).value for r in range(4, 7)) == sorted(shaped)


