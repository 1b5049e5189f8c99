"""`kaxl excel-enable`: an existing ledger becomes an .xlsm with the buttons, nothing else lost.

The rich workbook of the annotate tests (chart, image with a link, text box, comments, sparkline,
2010 data bar, validation, defined names, cached formulas), saved as a macro-free .xlsx, is
enabled; every part except the few that must change is byte-identical, the changed ones keep
every element they had, and independent readers (olevba, python-calamine, LibreOffice) see the
project, the data and the modules.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from oletools.olevba import VBA_Parser
from python_calamine import CalamineWorkbook

from kaxl.api import check_files
from kaxl.cli import main
from kaxl.vba.enable import COVER_TITLE, enable_workbook
from kaxl.vba.modules import BUTTON_MACROS, kaxl_modules
from tests.annotate_fixtures import LEDGER_SHEET, OTHER_SHEET, rich_workbook
from tests.package_helpers import libreoffice_modules, libreoffice_ready, parts, tags

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample_ledgers" / "kaxl-sample.xlsx"
# What enabling may change: the package's index, the workbook (codeName, the new tab), its rels,
# and the two worksheets (a codeName attribute each).
MAY_CHANGE = {"[Content_Types].xml", "xl/workbook.xml", "xl/_rels/workbook.xml.rels",
              "xl/worksheets/sheet1.xml", "xl/worksheets/sheet2.xml"}


@pytest.fixture(scope="module")
def rich(tmp_path_factory) -> Path:
    return rich_workbook(tmp_path_factory.mktemp("rich") / "华东区KA台账2026(1).xlsx", vba=False)


@pytest.fixture(scope="module")
def enabled(rich: Path, tmp_path_factory) -> Path:
    return enable_workbook(rich, tmp_path_factory.mktemp("out") / "华东区KA台账2026(1).xlsm")


def test_untouched_parts_are_byte_identical(rich, enabled):
    before, after = parts(rich), parts(enabled)
    assert set(before) <= set(after), "a part was dropped"
    changed = {name for name in before if before[name] != after[name]}
    assert changed <= MAY_CHANGE, changed - MAY_CHANGE
    for name in ("xl/charts/chart1.xml", "xl/drawings/drawing1.xml", "xl/media/image1.png", "xl/sharedStrings.xml",
                 "xl/styles.xml", "xl/comments1.xml", "xl/drawings/vmlDrawing1.vml"):
        assert before[name] == after[name], name
    added = set(after) - set(before)
    assert "xl/vbaProject.bin" in added and any(n.endswith(".vml") for n in added)


def test_touched_parts_keep_every_element_and_gain_code_names(rich, enabled):
    before, after = parts(rich), parts(enabled)
    for name in MAY_CHANGE:
        missing = tags(before[name]) - tags(after[name])
        assert not missing, (name, missing)
    assert b'codeName="ThisWorkbook"' in after["xl/workbook.xml"]
    assert b'<sheetPr codeName="Sheet1"' in after["xl/worksheets/sheet1.xml"]
    types = after["[Content_Types].xml"].decode()
    assert 'PartName="/xl/workbook.xml" ContentType="application/vnd.ms-excel.sheet.macroEnabled.main+xml"' in types
    assert 'PartName="/xl/vbaProject.bin" ContentType="application/vnd.ms-office.vbaProject"' in types
    assert "relationships/vbaProject" in after["xl/_rels/workbook.xml.rels"].decode()


def test_olevba_reads_the_modules_and_buttons_name_them(enabled):
    got = {name.rsplit(".", 1)[0]: code for _, _, name, code in VBA_Parser(str(enabled)).extract_macros()}
    for module in kaxl_modules():
        assert got[module.name].replace("\r\n", "\n") == module.source.replace("\r\n", "\n")
    assert {"ThisWorkbook", "Sheet1", "Sheet2", "Sheet3"} <= set(got)  # one per sheet, the cover included
    with zipfile.ZipFile(enabled) as z:
        vml = "".join(z.read(n).decode() for n in z.namelist() if n.endswith(".vml"))
    assert re.findall(r"\[0\]!(Kaxl\w+)", vml) == list(BUTTON_MACROS.values())
    # the comments' VML and the buttons' VML own different shape-id blocks
    blocks = re.findall(r'<o:idmap v:ext="edit" data="(\d+)"', vml)
    assert len(blocks) == len(set(blocks)) == 2


def test_data_reads_back_with_calamine(rich, enabled):
    a, b = CalamineWorkbook.from_path(str(rich)), CalamineWorkbook.from_path(str(enabled))
    assert b.sheet_names == [LEDGER_SHEET, OTHER_SHEET, COVER_TITLE, "xlwings.conf"]
    conf = b.get_sheet_by_name("xlwings.conf")
    assert conf.to_python() == [["USE UDF SERVER", "True"]]  # one Python kept alive between presses
    assert "Hidden" in str(next(m.visible for m in b.sheets_metadata if m.name == "xlwings.conf"))
    for sheet in (LEDGER_SHEET, OTHER_SHEET):
        assert a.get_sheet_by_name(sheet).to_python() == b.get_sheet_by_name(sheet).to_python()
    cover = [row[0] for row in b.get_sheet_by_name(COVER_TITLE).to_python() if row and row[0]]
    assert any("校验 Validate" in text for text in cover)


def test_enabling_the_sample_keeps_its_check_and_reruns_cleanly(tmp_path):
    before = hashlib.sha256(SAMPLE.read_bytes()).hexdigest()
    first = enable_workbook(SAMPLE, tmp_path / "台账.xlsm")
    as_of = dt.date(2026, 11, 16)
    original, enabled = check_files([SAMPLE], as_of), check_files([first], as_of)
    assert [(f.rule, f.cell) for f in enabled.findings] == [(f.rule, f.cell) for f in original.findings]
    again = enable_workbook(first, tmp_path / "again.xlsm")  # kaxl's own project: rebuilt, no second cover
    assert CalamineWorkbook.from_path(str(again)).sheet_names.count(COVER_TITLE) == 1
    assert hashlib.sha256(SAMPLE.read_bytes()).hexdigest() == before  # the source is only read


def test_someone_elses_macros_are_not_replaced(tmp_path):
    theirs = rich_workbook(tmp_path / "theirs.xlsm")
    run = CliRunner().invoke(main, ["excel-enable", str(theirs), "--out", str(tmp_path / "out.xlsm")])
    assert run.exit_code == 2
    assert "theirs.xlsm" in run.output and "已包含其他宏" in run.output and "Traceback" not in run.output
    assert not (tmp_path / "out.xlsm").exists()


def test_cli_refuses_wrong_targets(tmp_path):
    ledger = tmp_path / "台账.xlsx"
    ledger.write_bytes(SAMPLE.read_bytes())
    run = CliRunner().invoke(main, ["excel-enable", str(ledger), "--out", str(tmp_path / "x.xlsx")])
    assert run.exit_code == 2 and ".xlsm" in run.output
    broken = tmp_path / "坏.xlsx"
    broken.write_bytes(b"not a zip")
    run = CliRunner().invoke(main, ["excel-enable", str(broken)])
    assert run.exit_code == 2 and "坏.xlsx" in run.output and "Traceback" not in run.output
    assert not (tmp_path / "坏.xlsm").exists()
    run = CliRunner().invoke(main, ["excel-enable", str(ledger)])
    assert run.exit_code == 0, run.output
    assert (tmp_path / "台账.xlsm").exists() and [p.name for p in tmp_path.glob(".*")] == []  # no temp left


@pytest.mark.skipif(not libreoffice_ready(), reason="LibreOffice with python3-uno not installed")
def test_libreoffice_lists_the_kaxl_module(enabled, tmp_path):
    modules = libreoffice_modules(enabled, tmp_path / "profile")
    assert all(f"Sub {macro}()" in modules["kaxl"] for macro in BUTTON_MACROS.values())
