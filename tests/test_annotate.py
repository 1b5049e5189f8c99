"""`kaxl annotate`: the marked-up copy loses nothing (issue 5's bar), read back by other clients."""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
import subprocess
import warnings
import zipfile
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from python_calamine import CalamineWorkbook

from kaxl.cli import main
from kaxl.ooxml.contenttypes import ContentTypes
from kaxl.ooxml.package import Package
from kaxl.ooxml.workbook import Workbook
from kaxl.reports.annotate_package import CellMark, NewSheet, annotate_package
from tests.annotate_fixtures import LEDGER_SHEET, rich_workbook
from tests.package_helpers import parts, tags

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample_ledgers" / "kaxl-sample.xlsx"
SHEET_PART = "xl/worksheets/sheet1.xml"
# The only parts a run on the ledger sheet may change; everything else must be byte-identical.
MAY_CHANGE = {"[Content_Types].xml", "xl/workbook.xml", "xl/_rels/workbook.xml.rels", "xl/styles.xml",
              SHEET_PART, "xl/worksheets/_rels/sheet1.xml.rels", "xl/comments1.xml",
              "xl/drawings/vmlDrawing1.vml"}
MARKS = [CellMark(LEDGER_SHEET, "B2", "error", "kaxl 校验 Validate\n[错误 error] SCH-005 客户名称有误\n    bad customer"),
         CellMark(LEDGER_SHEET, "D3", "warning", "kaxl 校验 Validate\n[警告 warning] INI-001 晚 1 个工作日"),
         CellMark(LEDGER_SHEET, "H4", "info", "kaxl 校验 Validate\n[提示 info] on a formula cell"),
         CellMark(LEDGER_SHEET, "Z40", "info", "kaxl 校验 Validate\n[提示 info] a cell that did not exist")]
TABS = [NewSheet("校验结果 Findings", ["单元格 Cell", "说明 Message"],
                 [[f"'{LEDGER_SHEET}'!B2", "客户名称有误"], [f"'{LEDGER_SHEET}'!D3", "晚 1 个工作日"]], link_column=0),
        NewSheet("评分 Scores", ["项目编号 Project ID", "得分 Score"], [["KA-2026-0001", 85.5], ["=1+1", None]]),
        NewSheet("预警 Alerts", ["规则 Rule"], [])]


@pytest.fixture(scope="module")
def rich(tmp_path_factory) -> Path:
    return rich_workbook(tmp_path_factory.mktemp("rich") / "华东区KA台账2026(1).xlsm")


@pytest.fixture(scope="module")
def annotated(rich: Path, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("out") / "annotated.xlsm"
    annotate_package(rich, out, MARKS, TABS)
    return out


def test_untouched_parts_are_byte_identical(rich: Path, annotated: Path) -> None:
    before, after = parts(rich), parts(annotated)
    assert set(before) <= set(after), "a part was dropped"
    changed = {name for name in before if before[name] != after[name]}
    assert changed <= MAY_CHANGE, changed - MAY_CHANGE
    for name in ("xl/vbaProject.bin", "xl/charts/chart1.xml", "xl/drawings/drawing1.xml", "xl/media/image1.png",
                 "xl/worksheets/sheet2.xml", "xl/sharedStrings.xml", "xl/drawings/_rels/drawing1.xml.rels"):
        assert before[name] == after[name], name
    # the raw zip entries too (same compressed bytes, not just the same content)
    with zipfile.ZipFile(rich) as a, zipfile.ZipFile(annotated) as b:
        assert a.getinfo("xl/vbaProject.bin").CRC == b.getinfo("xl/vbaProject.bin").CRC
        assert a.getinfo("xl/vbaProject.bin").compress_size == b.getinfo("xl/vbaProject.bin").compress_size


def test_touched_parts_keep_every_original_element(rich: Path, annotated: Path) -> None:
    before, after = parts(rich), parts(annotated)
    for name in MAY_CHANGE & set(before):
        missing = tags(before[name]) - tags(after[name])
        assert not missing, (name, missing)
    sheet = after[SHEET_PART]
    for needle in (b"x14:sparkline", b"x14:dataBar", b"<f>SUM(E4:G4)</f><v>6</v>", b"dataValidation", b"legacyDrawing"):
        assert needle in sheet, needle
    vml = after["xl/drawings/vmlDrawing1.vml"]
    assert b'ObjectType="Button"' in vml and b"Module1.Hello" in vml, "the form button was lost"
    workbook = after["xl/workbook.xml"]
    assert b'codeName="ThisWorkbook"' in workbook and b"Amounts" in workbook and b"Rate" in workbook


def test_marks_notes_and_tabs_read_back_in_openpyxl(annotated: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # openpyxl does not model sparklines/2010 data bars: that is why it is not our writer
        warnings.filterwarnings("ignore", message=".*extension is not supported", category=UserWarning)
        book = load_workbook(annotated)
    ws = book[LEDGER_SHEET]
    assert ws["B2"].fill.fgColor.rgb.endswith("FFC7CE")
    assert ws["D3"].fill.fgColor.rgb.endswith("FFEB9C")
    assert ws["H4"].fill.fgColor.rgb.endswith("DDEBF7")
    assert ws["C2"].number_format == "#,##0.00" and ws["C2"].font.b, "an unmarked cell's style changed"
    assert "客户要求下周回访" in ws["B2"].comment.text and "SCH-005" in ws["B2"].comment.text, "existing note not kept+extended"
    assert ws["A4"].comment.text.endswith("an untouched note")
    assert "INI-001" in ws["D3"].comment.text
    assert ws["Z40"].comment is not None
    assert book.sheetnames[-3:] == ["校验结果 Findings", "评分 Scores", "预警 Alerts"]
    link = book["校验结果 Findings"]["A2"].hyperlink
    assert link is not None and link.location == f"'{LEDGER_SHEET}'!B2"
    assert book["评分 Scores"]["A3"].data_type == "s" and book["评分 Scores"]["A3"].value == "=1+1"


def test_calamine_reads_values_and_cached_formulas(annotated: Path) -> None:
    book = CalamineWorkbook.from_path(str(annotated))
    rows = book.get_sheet_by_name(LEDGER_SHEET).to_python()
    assert rows[1][:3] == ["KA-2026-0001", "安徽省人民医院", 350000.0]
    assert rows[3][7] == 6.0, "cached formula value lost"
    assert book.get_sheet_by_name("评分 Scores").to_python()[1] == ["KA-2026-0001", 85.5]


def test_reannotating_replaces_marks_instead_of_stacking(rich: Path, annotated: Path, tmp_path: Path) -> None:
    again = tmp_path / "again.xlsm"
    annotate_package(annotated, again, MARKS, TABS)
    first, second = parts(annotated), parts(again)
    assert set(first) == set(second)
    for name in first:
        assert first[name] == second[name], name
    # with nothing to mark, the annotated copy goes back to the original: every part exactly,
    # except that the styles kaxl added stay defined (unused) and "kaxl" stays a comment author
    undone = tmp_path / "undone.xlsm"
    annotate_package(annotated, undone, [], [])
    original, restored = parts(rich), parts(undone)
    assert set(restored) == set(original)
    for name in set(original) - {"xl/styles.xml", "xl/comments1.xml"}:
        assert original[name] == restored[name], name
    assert tags(original["xl/styles.xml"]) - tags(restored["xl/styles.xml"]) == Counter()
    assert restored["xl/comments1.xml"].count(b"<comment ") == original["xl/comments1.xml"].count(b"<comment ")
    assert b"SCH-005" not in restored["xl/comments1.xml"]


def test_source_never_written_and_failure_leaves_nothing(rich: Path, tmp_path: Path, monkeypatch) -> None:
    digest = hashlib.sha256(rich.read_bytes()).hexdigest()
    out = tmp_path / "out.xlsm"

    def explode(self, out_handle, source):
        out_handle.write(b"PK partial")
        raise OSError("disk full")

    monkeypatch.setattr(Package, "_write_zip", explode)
    with pytest.raises(OSError):
        annotate_package(rich, out, MARKS, TABS)
    assert not out.exists() and list(tmp_path.iterdir()) == []
    assert hashlib.sha256(rich.read_bytes()).hexdigest() == digest


def test_cli_on_the_sample(tmp_path: Path) -> None:
    out = tmp_path / "sample.annotated.xlsx"
    before = SAMPLE.read_bytes()
    run = CliRunner().invoke(main, ["annotate", str(SAMPLE), "--out", str(out), "--as-of", "2026-11-16"])
    assert run.exit_code == 0, run.output
    assert SAMPLE.read_bytes() == before
    from kaxl.api import check_files

    result = check_files([SAMPLE], __import__("datetime").date(2026, 11, 16))
    book = CalamineWorkbook.from_path(str(out))
    findings_tab = book.get_sheet_by_name("校验结果 Findings").to_python()
    assert len(findings_tab) - 1 == len(result.findings)
    assert {r[2] for r in findings_tab[1:]} == {f.rule for f in result.findings}
    scores = book.get_sheet_by_name("评分 Scores").to_python()
    assert len(scores) - 1 == len(result.projects)
    # re-checking the annotated copy finds the same problems (kaxl's tabs are not ledger data)
    again = check_files([out], __import__("datetime").date(2026, 11, 16))
    assert sorted(f.rule for f in again.findings) == sorted(f.rule for f in result.findings)


def test_cli_refuses_to_overwrite_the_ledger(tmp_path: Path) -> None:
    ledger = tmp_path / "台账.xlsx"
    shutil.copy(SAMPLE, ledger)
    run = CliRunner().invoke(main, ["annotate", str(ledger), "--out", str(ledger), "--as-of", "2026-11-16"])
    assert run.exit_code == 2 and "Traceback" not in run.output
    assert ledger.read_bytes() == SAMPLE.read_bytes()


@pytest.mark.skipif(not (shutil.which("soffice") and shutil.which("pdftoppm")), reason="LibreOffice/poppler missing")
def test_libreoffice_opens_and_renders(annotated: Path, tmp_path: Path) -> None:
    profile = f"file://{tmp_path / 'lo-profile'}"
    run = subprocess.run(["soffice", f"-env:UserInstallation={profile}", "--headless", "--convert-to", "pdf",
                          "--outdir", str(tmp_path), str(annotated)], capture_output=True, timeout=180)
    pdf = tmp_path / "annotated.pdf"
    assert pdf.exists(), run.stderr
    subprocess.run(["pdftoppm", "-r", "50", "-png", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "page")],
                   check=True, timeout=60)
    png = next(tmp_path.glob("page*.png"))
    assert png.stat().st_size > 2000
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, timeout=60).stdout
    assert "安徽省人民医" in text and "客户名称有误" in text, "a sheet or kaxl's Findings tab did not render"


def test_new_tab_text_escaped_a_column_at_a_time_as_one_cell_at_a_time() -> None:
    """The column-wise escaping of the new tabs equals escaping each text on its own, hostile ones included."""
    from kaxl.ooxml.newsheet import _string_cell, render
    from kaxl.ooxml.styles import Styles

    clean = ["plain", "<b>&amp;</b>", " lead", "trail ", "行1\n行2", "x" * 40000]
    hostile = ["a\x01b", "_x0041_", "join\ue000char", "lone \ud800 surrogate"]
    for texts in (clean, clean + hostile):
        xml = render("T", ["h"], [[t] for t in texts], Styles(None), date1904=False).decode("utf-8", "surrogatepass")
        for n, text in enumerate(texts, start=2):
            assert _string_cell(f"A{n}", text, 0) in xml


def test_a_new_notes_shown_text_is_what_is_read_back() -> None:
    """The record hashes a new note's text without parsing the element back: both must agree."""
    from kaxl.ooxml.comments import Comments, plain_text

    comments = Comments(None)
    for text in ["kaxl 校验\n[错误 error] A-1 <缺少> & 'x'", "&amp; &copy; &#x41;", "a\x01b _x0041_", "crlf\r\nline"]:
        assert Comments.shown_text(text) == plain_text(comments.new_comment("B2", text))


def test_new_notes_written_together_as_one_at_a_time() -> None:
    """Comments.add_new gives each cell the element new_comment gives it and returns its shown
    text, with or without a text that needs Excel's escape among them (the joined-text check)."""
    from kaxl.ooxml.comments import Comments, plain_text
    from kaxl.ooxml.record import text_hash, text_hashes

    clean = ["kaxl 校验\n[错误 error] A-1 <缺少> & 'x'", "&amp; &copy; &#x41;", "crlf\r\nline", "ends in _x", "x0041_"]
    for texts in (clean, clean + ["a\x01b", "_x0041_", "lone \ud800"]):
        refs = [f"B{n}" for n in range(2, 2 + len(texts))] + ['Q"&1']
        texts = texts + ["odd ref"]
        one, many = Comments(None), Comments(None)
        for ref, text in zip(refs, texts):
            one.put(ref, one.new_comment(ref, text))
        shown = many.add_new(list(zip(refs, texts)))
        assert many.to_bytes() == one.to_bytes()
        assert shown == [plain_text(many.get(ref)) for ref in refs] == [Comments.shown_text(t) for t in texts]
        assert text_hashes(shown) == [text_hash(t) for t in shown]


def test_new_tab_cells_inline_as_value_cell_writes_them() -> None:
    """The column comprehension's inline str/int/float paths give what _value_cell gives each value."""
    import datetime as dt
    import decimal

    import numpy as np

    from kaxl.ooxml.newsheet import CellStyles, _Formats, _value_cell, render
    from kaxl.ooxml.styles import Styles

    values = [1, -7, 0, 2**70, 1.5, -0.0, 1e300, float("inf"), float("-inf"), float("nan"), True, False,
              dt.date(2026, 11, 16), dt.date(1899, 1, 1), dt.datetime(2026, 11, 16, 9, 30), dt.datetime(2026, 1, 1),
              decimal.Decimal("2.50"), np.int64(3), np.float64(2.25), "文本", " pad ", None]
    styles = Styles(None)
    xml = render("T", ["h"], [[v] for v in values], styles, date1904=False).decode()
    formats = _Formats(styles)
    cell_styles = CellStyles(date=formats.date, datetime=formats.datetime, link=formats.link)
    for n, value in enumerate(values, start=2):
        cell = _value_cell(f"A{n}", value, 0, cell_styles, False)
        assert cell in xml if cell else f'<c r="A{n}"' not in xml, value
    assert '<v>1e+300</v>' in xml and '<c r="A11"' not in xml  # NaN left out
    assert "<t>inf</t>" in xml and "<t>-inf</t>" in xml  # infinities as their text, not as numbers


def test_needs_cell_escape_agrees_with_one_regex() -> None:
    """The split check (character class + _x test) finds exactly what the one-regex check found."""
    import re

    from hypothesis import given
    from hypothesis import strategies as st

    from kaxl.ooxml.xmltext import needs_cell_escape

    one = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]|[\ud800-\udfff]|_x[0-9A-Fa-f]{4}_")
    pieces = st.sampled_from(["_x", "_x0041_", "_X0041_", "_x00G1_", "x", "_", "\x01", "\t", "\n", "\r", "\ud800",
                              "\ufffe", "\uffff", "中", "a", "0", "F"])

    @given(st.lists(pieces, max_size=12).map("".join))
    def check(text: str) -> None:
        assert needs_cell_escape(text) == (one.search(text) is not None)

    check()


def test_vml_shape_count_follows_its_edits() -> None:
    """Vml.shapes() is counted once and then kept up to date: it must equal a fresh count after
    every kind of edit (notes added to a new or an existing drawing, removed one or many)."""
    from kaxl.ooxml.vml import _SHAPE, Vml

    def fresh(vml: Vml) -> int:
        return len(_SHAPE.findall(vml.text))

    vml = Vml(None, {1})
    assert vml.shapes() == fresh(vml) == 0
    vml.add_notes([(2, 3, "a"), (4, 5, "b\n中文"), (6, 1, "c")])
    assert vml.shapes() == fresh(vml) == 3
    again = Vml(vml.to_bytes(), set())
    again.remove_notes({(4, 5), (9, 9)})
    assert again.shapes() == fresh(again) == 2
    again.remove_note(2, 3)
    assert again.shapes() == fresh(again) == 1
    again.add_notes([(8, 8, "d")])
    assert again.shapes() == fresh(again) == 2 and again.notes().keys() == {(6, 1), (8, 8)}


def test_note_boxes_drawn_as_before() -> None:
    """The note boxes (ids, margins formatted with :g far down the sheet, heights from CJK,
    narrow-quote, emoji and empty lines, z-order) are byte for byte what the per-note drawing
    wrote before the shapes were built in one loop (its SHA-256, taken from that version)."""
    import hashlib

    from kaxl.ooxml.vml import Vml

    vml = Vml(None, {1})
    vml.add_notes([(2, 3, "a"), (20001, 12, "长 “引号” text × " * 30 + "\nnext\n\n😀"), (1, 1, "x\r\ny"), (3, 3, "")])
    assert hashlib.sha256(vml.to_bytes()).hexdigest() == "d1da4736fefc77b1cac49521bddf8ca154892850f4d3be6f8bb5499281047801"


def test_notes_kaxl_created_go_again_with_their_drawing_link(tmp_path: Path) -> None:
    """On a sheet without notes, kaxl adds the comments, the VML drawing and the sheet's
    <legacyDrawing> link; a run with nothing to mark takes all three away again, and every
    sheet comes back byte for byte."""
    annotated, undone = tmp_path / "annotated.xlsx", tmp_path / "undone.xlsx"
    first = parts(SAMPLE)
    with Package(SAMPLE) as package:
        entry = next(e for e in Workbook(package, ContentTypes(package)).sheets()
                     if e.part and b"<legacyDrawing" not in first[e.part] and b"<row" in first[e.part])
    annotate_package(SAMPLE, annotated, [CellMark(entry.name, "B2", "error", "kaxl 校验 Validate\n[错误 error] a note")], [])
    marked = parts(annotated)
    assert b"<legacyDrawing " in marked[entry.part] and any(n.endswith(".vml") for n in marked)
    annotate_package(annotated, undone, [], [])
    restored = parts(undone)
    assert b"<legacyDrawing" not in restored[entry.part]
    assert not any(n.endswith(".vml") for n in restored)
    for name in first:
        if name.startswith("xl/worksheets/"):
            assert restored[name] == first[name], name


@pytest.mark.parametrize("column", [[1, -7, 0, 2**70], [1.5, -0.0, 1e300, 2.25], [1.5, float("inf")],
                                    [dt.date(2026, 11, 16), dt.date(2000, 1, 1)], ["文本", "<&>", "x"],
                                    [" pad ", "行1\n行2", "a"], [1, None, 3], ["a", None]])
@pytest.mark.parametrize("style", [0, 7])
def test_a_one_type_column_renders_as_each_cell_would(column: list, style: int) -> None:
    """A gapless one-type column is written as pieces the row join puts together; every cell
    must still be what _value_cell writes for its value (gaps and infinities take other paths)."""
    from kaxl.ooxml.newsheet import CellStyles, _value_cell, render_rows

    styles = CellStyles(columns=[style, 0], date=3)
    rows = [[value, "next"] for value in column]
    xml, _ = render_rows(rows, first_row=2, ncols=2, date1904=False, styles=styles)
    expected = "".join(f'<row r="{n}">{_value_cell(f"A{n}", value, style, styles, False)}'
                       f'{_value_cell(f"B{n}", "next", 0, styles, False)}</row>'
                       for n, value in enumerate(column, start=2))
    assert xml == expected
