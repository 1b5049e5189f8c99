"""The blank template: derived from the column definitions, readable by kaxl, clean, renderable."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from kaxl.cli import main
from kaxl.contract.columns import SHEETS
from kaxl.contract.rules import RULES
from kaxl.contract.settings import SETTINGS, format_default
from kaxl.reading.ledger import read_ledger
from kaxl.reports.template import (
    GUIDE_TITLE,
    LISTS_TITLE,
    XLSX_NAME,
    columns_markdown,
    header_text,
    write_template,
    write_templates,
)
from tests.package_helpers import parts

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    return write_template(tmp_path_factory.mktemp("tpl") / XLSX_NAME)


def test_committed_template_is_current(template):
    committed = REPO / "workbook_templates" / XLSX_NAME
    assert committed.exists(), "run: kaxl template --out workbook_templates"
    assert parts(committed) == parts(template), "stale: run kaxl template --out workbook_templates"


def test_generation_is_deterministic(template, tmp_path):
    assert write_template(tmp_path / XLSX_NAME).read_bytes() == template.read_bytes()


def test_committed_docs_are_current():
    docs = REPO / "docs" / "columns.md"
    assert docs.read_text(encoding="utf-8") == columns_markdown(), "stale: kaxl template --docs docs/columns.md"


def test_docs_name_every_column_setting_and_rule():
    text = columns_markdown()
    for spec in SHEETS:
        for column in spec.columns:
            assert f"`{column.key}`" in text and column.zh in text
    for setting in SETTINGS:
        assert f"`{setting.key}`" in text
    for rule_id in RULES:
        assert f"| {rule_id} |" in text


def test_reader_recognises_every_marked_header(template):
    ledger = read_ledger(template)
    for spec in SHEETS:
        assert ledger.present[spec.key], spec.key
        source = ledger.sources[spec.key][0]
        assert set(source.col_index) == {c.key for c in spec.columns}, spec.key
        assert source.extra_headers == ()
        for column in spec.required_columns:
            assert source.headers[column.key].endswith("✱")


def test_check_of_template_finds_only_no_data_yet(template):
    result = CliRunner().invoke(main, ["check", str(template), "--json", "--as-of", "2026-11-16"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    rules = {f["rule"] for f in document["findings"]}
    assert rules == {"SCH-012"}
    required = {s.title for s in SHEETS if s.required}
    assert {f["sheet"] for f in document["findings"]} == required


def test_workbook_features(template):
    book = openpyxl.load_workbook(template)
    assert book.sheetnames[0] == GUIDE_TITLE
    assert book[LISTS_TITLE].sheet_state == "hidden"
    for spec in SHEETS:
        ws = book[spec.title]
        assert ws.freeze_panes == "A2"
        assert ws.auto_filter.ref and ws.auto_filter.ref.startswith("A1:")
        headers = [cell.value for cell in ws[1]]
        assert headers == [header_text(c) for c in spec.columns]
        validations = {str(dv.sqref).split(":")[0]: dv for dv in ws.data_validations.dataValidation}
        for index, column in enumerate(spec.columns):
            letter = openpyxl.utils.get_column_letter(index + 1)
            if column.choices:
                dv = validations[f"{letter}2"]
                assert dv.type == "list"
                ref_sheet, ref = dv.formula1.split("!")
                labels = [c.value for row in book[LISTS_TITLE][ref.replace("$", "")] for c in row]
                assert labels == column.dropdown(), (spec.key, column.key)
            expected = {"date": "yyyy-mm-dd", "money": "#,##0.00", "ratio": "0%"}.get(column.type)
            if expected:
                assert column_formats(template, spec.title)[index] == expected, (spec.key, column.key)


def column_formats(path: Path, title: str) -> dict[int, str]:
    """0-based column → number format of its column style, read from the package XML."""
    book = openpyxl.load_workbook(path)
    position = book.sheetnames.index(title) + 1
    with zipfile.ZipFile(path) as archive:
        sheet_xml = archive.read(f"xl/worksheets/sheet{position}.xml").decode()
        styles = archive.read("xl/styles.xml").decode()
    codes = {int(m[0]): m[1] for m in re.findall(r'<numFmt numFmtId="(\d+)" formatCode="([^"]*)"', styles)}
    codes.update({9: "0%", 0: "General"})
    xfs = re.search(r"<cellXfs[^>]*>(.*?)</cellXfs>", styles, re.S).group(1)
    xf_formats = [int(m) for m in re.findall(r'<xf numFmtId="(\d+)"', xfs)]
    out: dict[int, str] = {}
    for low, high, style in re.findall(r'<col min="(\d+)" max="(\d+)"[^>]*?style="(\d+)"', sheet_xml):
        for col in range(int(low), int(high) + 1):
            out[col - 1] = codes.get(xf_formats[int(style)], "?").replace("&amp;", "&")
    return out


def test_guide_and_settings_tabs(template):
    book = openpyxl.load_workbook(template)
    guide_text = "\n".join(str(c.value) for row in book[GUIDE_TITLE].iter_rows() for c in row if c.value)
    for rule_id in RULES:
        assert rule_id in guide_text
    for spec in SHEETS:
        assert spec.title in guide_text
        for column in spec.columns:
            assert column.title in guide_text
    settings = book["参数 Settings"]
    rows = {r[0]: (r[1], r[2]) for r in settings.iter_rows(min_row=2, values_only=True) if r[0]}
    assert list(rows) == [s.key for s in SETTINGS]
    for setting in SETTINGS:
        value, note = rows[setting.key]
        assert str(value) == format_default(setting) or float(value) == float(setting.default)
        assert setting.zh in note and setting.en in note


def test_write_templates_without_vba_module_writes_the_xlsx(tmp_path):
    written = write_templates(tmp_path)
    assert written[0] == tmp_path / XLSX_NAME and written[0].exists()
    assert not list(tmp_path.glob(".*")), "no temp files left behind"


def test_vba_hook_receives_workbook_and_guide(tmp_path):
    seen = {}

    def hook(book, cover):
        seen["sheets"] = [ws.get_name() for ws in book.worksheets()]
        seen["cover"] = cover.get_name()

    write_template(tmp_path / "t.xlsx", vba=hook)
    assert seen["cover"] == GUIDE_TITLE and "项目台账 Projects" in seen["sheets"]


def test_cli_template_and_docs(tmp_path):
    result = CliRunner().invoke(main, ["template", "--out", str(tmp_path), "--docs", str(tmp_path / "c.md")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / XLSX_NAME).exists() and (tmp_path / "c.md").read_text(encoding="utf-8") == columns_markdown()
    assert "Wrote" in result.output


@pytest.mark.skipif(shutil.which("soffice") is None or shutil.which("pdftoppm") is None,
                    reason="LibreOffice / poppler not installed")
def test_template_opens_and_renders_in_libreoffice(template, tmp_path):
    subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{tmp_path}/lo", "--convert-to", "pdf",
                    "--outdir", str(tmp_path), str(template)], check=True, capture_output=True, timeout=180)
    pdf = tmp_path / (template.stem + ".pdf")
    assert pdf.exists() and pdf.stat().st_size > 10_000
    subprocess.run(["pdftoppm", "-r", "60", "-f", "1", "-l", "1", "-png", str(pdf), str(tmp_path / "page")],
                   check=True, capture_output=True, timeout=60)
    pngs = list(tmp_path.glob("page*.png"))
    assert pngs and pngs[0].stat().st_size > 5_000
