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
from hypothesis import given, settings
from hypothesis import strategies as st
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
    assert book.sheetnames == SHEETS
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
    assert len(charts) == 4
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


def test_fast_rows_match_the_per_cell_writer(sample_result, tmp_path: Path) -> None:
    """The column-at-a-time renderer (summary_rows) writes what XlsxWriter's own cell API writes."""
    from kaxl.reports import summary_rows

    assert summary_rows.supported()
    fast = write_summary(sample_result, tmp_path / "fast.xlsx", sources=[str(SAMPLE)], generated_at=NOW)
    slow = write_summary(sample_result, tmp_path / "slow.xlsx", sources=[str(SAMPLE)], generated_at=NOW, fast=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        a, b = _content(fast), _content(slow)
    assert a["values"]["校验 Findings"][3:] and a["项目 Projects tables"]["Projects"][0].endswith(
        str(3 + len(sample_result.projects)))
    for key in b:
        assert a[key] == b[key], key


def test_fast_rows_keep_hostile_text_as_text(tmp_path: Path) -> None:
    """Control characters, _xHHHH_ look-alikes, markup and 40k-character text survive the fast path."""
    hostile = ["a\x01b", "_x0041_", "<b>&amp;</b>", " lead and trail ", "行1\n行2", "x" * 40000,
               '=HYPERLINK("http://evil.example","点我")']
    ledger = write_ledger(tmp_path / "h.xlsx", {"projects": [
        {"project_id": f"KA-2026-00{i:02d}", "customer": name, "account_manager": "张伟", "stage": "initiation",
         "status": "active", "lead_date": d("2026-11-10"), "estimated_amount": 100000}
        for i, name in enumerate(hostile, start=1)]})
    result = check_files([ledger], AS_OF)
    fast = write_summary(result, tmp_path / "fast.xlsx", generated_at=NOW)
    slow = write_summary(result, tmp_path / "slow.xlsx", generated_at=NOW, fast=False)
    assert rows(fast, "项目 Projects") == rows(slow, "项目 Projects")
    ws = load_workbook(fast)["项目 Projects"]
    customers = [ws.cell(r, 2).value for r in range(4, 4 + len(hostile))]
    assert "_x0041_" in customers and "<b>&amp;</b>" in customers and "x" * 32767 in customers


def test_rich_text_shaped_ledger_text_stays_text(tmp_path: Path) -> None:
    """XlsxWriter writes a shared string shaped like ``<r>…</r>`` unescaped, as rich text; the
    summary's string table writes every ledger value as text, read back by two readers as typed."""
    import zipfile

    import xlsxwriter.workbook

    shaped = ["<r><t>注入</t></r>", "<r>x</r>", "<r><rPr><b/></rPr><t>粗体</t></r>"]
    # (set on the result: the test ledger is itself written by XlsxWriter, which would store these as rich text)
    ledger = write_ledger(tmp_path / "r.xlsx", {"projects": [
        {"project_id": f"KA-2026-00{i:02d}", "customer": f"客户{i}", "account_manager": "张伟", "stage": "initiation",
         "status": "active", "lead_date": d("2026-11-10"), "estimated_amount": 100000} for i in range(1, 4)]})
    result = check_files([ledger], AS_OF)
    result.projects["customer"] = shaped
    out = write_summary(result, tmp_path / "s.xlsx", generated_at=NOW)
    assert xlsxwriter.workbook.ZipFile is zipfile.ZipFile  # the deflate level was only lent for the write
    with zipfile.ZipFile(out) as package:
        sst = package.read("xl/sharedStrings.xml").decode()
    assert "<si><r>" not in sst and "<si><t>&lt;r&gt;&lt;t&gt;注入&lt;/t&gt;&lt;/r&gt;</t></si>" in sst
    assert sorted(row[1] for row in rows(out, "项目 Projects")[3:6]) == sorted(shaped)
    ws = load_workbook(out)["项目 Projects"]
    assert sorted(ws.cell(r, 2).value for r in range(4, 7)) == sorted(shaped)


def test_parts_are_deflated_by_kaxls_codec(summary: Path) -> None:
    """kaxl's fast codec (as the annotated copy), not zlib's default level 6 inside zipfile."""
    import zipfile
    import zlib

    from kaxl.ooxml import zipcodec

    with zipfile.ZipFile(summary) as package:
        assert package.testzip() is None  # every part's CRC checks out (kaxl's own entry writer)
        assert package.namelist()[0] == "[Content_Types].xml"  # in XlsxWriter's order, as Excel wants
        info = package.getinfo("xl/sharedStrings.xml")
        data = package.read(info)
    packer = zlib.compressobj(6, zlib.DEFLATED, -15)
    default = len(packer.compress(data) + packer.flush())
    assert info.compress_type == zipfile.ZIP_DEFLATED and info.compress_size < len(data)
    assert info.compress_size == len(zipcodec.deflate(data)) != default


def test_block_row_heights_match_the_per_cell_line_count() -> None:
    from kaxl.reports.summary import _heights, _lines

    pool = ["", "a", "项目逾期", "x\ny", "很长的中文消息" * 20, "mixed 中文 and english " * 5, None, 3.5, "\n\n\n",
            "é" * 70, "😀" * 30, "逾" * 500]
    rows = [[a, b] for a in pool for b in pool]
    wrapped = [(0, 40.0), (1, 60.0)]
    expected = [13.5 * n if (n := max(_lines(row[j], w) for j, w in wrapped)) > 1 else None for row in rows]
    assert _heights(rows, wrapped) == expected
    assert {h for h in expected} >= {None, 13.5 * 15}  # both ends of the range are exercised


def test_string_table_marks_the_same_strings_as_xlsxwriter_for_whitespace() -> None:
    """The summary's string table decides xml:space="preserve" without XlsxWriter's two regexes;
    it must pick exactly the strings they pick (leading or trailing Unicode whitespace)."""
    import itertools

    from xlsxwriter.utility import _preserve_whitespace

    from kaxl.reports.summary_rows import TextSharedStrings

    pool = [" ", "\t", "\n", "a", "中", "\u3000", "\xa0", "\x85", "\u2028", "b"]  # (control characters are escaped first)
    texts = ["".join(p) for n in range(4) for p in itertools.product(pool, repeat=n)]
    sheet = TextSharedStrings()
    sheet.string_table = type("T", (), {"string_array": texts})()
    out = __import__("io").StringIO()
    sheet.fh = out
    sheet._write_sst_strings()
    written = out.getvalue().split("</si>")[:-1]
    assert len(written) == len(texts)
    for text, si in zip(texts, written):
        assert ('xml:space="preserve"' in si) == bool(_preserve_whitespace(text)), repr(text)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.lists(st.sampled_from([" ", "\t", "\n", "a", "中", "\u3000", "\x0b", "\x85", "\x01", "\x1f", "&",
                                          "<", ">", "_x0041_", "\ue000", "\u2028", "\ufffe"]), max_size=5).map("".join),
                max_size=12))
def test_string_table_is_what_xlsxwriter_writes(texts: list[str]) -> None:
    """The summary's string table, written by joining and escaping all strings at once (and one
    by one only where one needs it), is byte for byte XlsxWriter's own — control characters,
    _xHHHH_-shaped text, edge whitespace anywhere in the table, the joining character itself."""
    import io

    from xlsxwriter.sharedstrings import SharedStrings

    from kaxl.reports.summary_rows import TextSharedStrings

    texts = [t for t in texts if not (t.startswith("<r>") and t.endswith("</r>"))]  # (XlsxWriter's rich text)

    def written(kind: type) -> str:
        table = kind()
        table.string_table = type("T", (), {"string_array": texts})()
        table.fh = io.StringIO()
        table._write_sst_strings()
        return table.fh.getvalue()

    assert written(TextSharedStrings) == written(SharedStrings)


def test_block_hyperlinks_are_written_as_xlsxwriter_writes_them(tmp_path: Path) -> None:
    """BlockSheet writes <hyperlinks> and the sheet's .rels itself; byte for byte what XlsxWriter
    writes from the Url objects write_url stores, for every kind of target the summary may hold."""
    import zipfile

    from kaxl.reports import summary_rows

    targets = [
        "external:..\\台账 A&B.xlsx#'回款台账 Receivables'!F12", "external:..\\台账 A&B.xlsx#'回款台账 Receivables'!G13",
        "external:C:\\data\\华东 #1.xlsx#'项目台账 Projects'!B4", "external:../up/dir.xlsx#'x<y>\"z'!A1",
        "external:plain.xlsx", "external:a.xlsx#odd/anchor", "internal:'扣分 Deductions'!A5",
        "internal:'It''s'!A7", "https://example.com/a b?x=1#frag", "mailto:ops@example.com", None,
    ]

    def build(path: Path, through_urls: bool) -> dict[str, bytes]:
        book = summary_rows.BlockWorkbook(str(path), {"in_memory": True})
        ws = book.add_worksheet("Links", worksheet_class=summary_rows.BlockSheet)
        link = book.add_format({"underline": 1})
        rows = [[f"第{i}行 & <链接>", f"说明 {i}", "\n换行"] for i in range(len(targets))]
        summary_rows.write_block(ws, 1, rows, [None] * 3, [False] * 3,
                                 links={0: targets, 2: list(reversed(targets))}, link_format=link)
        if through_urls:
            ws.links_as_urls()
        book.close()
        with zipfile.ZipFile(path) as package:
            return {name: package.read(name) for name in package.namelist()}

    fast, slow = build(tmp_path / "fast.xlsx", False), build(tmp_path / "slow.xlsx", True)
    sheet = fast["xl/worksheets/sheet1.xml"].decode()
    assert sheet.count("<hyperlink ") == 2 * (len(targets) - 1) and 'r:id="rId16"' in sheet
    assert "&amp;" in sheet and 'display="&#xA;换行"' in sheet
    assert fast["xl/worksheets/_rels/sheet1.xml.rels"].count(b"<Relationship ") == 16
    assert fast == slow


def test_rels_are_written_as_xlsxwriter_writes_them() -> None:
    """TextRelationships (one string, each distinct value escaped once) = Relationships, byte for byte."""
    import io

    from xlsxwriter.relationships import Relationships

    from kaxl.reports.summary_rows import TextRelationships

    def written(kind: type) -> str:
        rels = kind()
        for target, mode in [("../台账 A&B.xlsx", "External"), ('x<y>"z\n.xlsx', "External"),
                             ("../台账 A&B.xlsx", "External"), ("../drawings/drawing1.xml", None)]:
            rels._add_document_relationship("/hyperlink" if mode else "/drawing", target, mode)
        rels.fh = io.StringIO()
        rels._write_relationships()
        return rels.fh.getvalue()

    ours, theirs = written(TextRelationships), written(Relationships)
    assert ours == theirs
    assert ours.count("<Relationship ") == 4 and 'Id="rId4"' in ours and "A&amp;B" in ours and "&quot;z" in ours
