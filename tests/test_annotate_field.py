"""`kaxl annotate` on a ledger with 线索登记 Leads and 拜访记录 Visits (SPEC §7 applies §5's annotate
to the optional sheets exactly as to the first ten).

The hand ledger of tests/field_ledgers.py, plus one mistake of each kind it lacks, so every
LEA and VIS rule lands on a cell: L1's admission approval removed (LEA-003 on P3, active and
past Initiation), a converted lead with no project (LEA-002), a stranger among the contacts
of the first visit (VIS-005). The sheets are titled in Chinese only or in English only: a
mark goes on the sheet as the user named it. Re-opened with openpyxl, calamine and LibreOffice.
"""

from __future__ import annotations

import datetime as dt
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
from kaxl.reports.marks import split_cell
from tests.field_ledgers import LEADS, VISITS, field_sheets
from tests.ledger_factory import d, write_ledger
from tests.package_helpers import parts, tags

AS_OF = dt.date(2026, 11, 18)
FILLS = {"error": "FFC7CE", "warning": "FFEB9C", "info": "DDEBF7"}
TITLES = {"zh": {"leads": "线索登记", "visits": "拜访记录"}, "en": {"leads": "Leads", "visits": "Visits"}}
# The cells each rule must mark (sheet key, A1), worked out from the rows below and the column
# order of SPEC §7 (leads: H screened_date, K project_id, M admission_approved; visits: E contacts,
# F plan_date, G record_date, K next_date).
EXPECTED = {
    ("leads", "M2"): ("LEA-003", "error"),    # L1 → P3 (方案, active) without admission approval
    ("leads", "H3"): ("LEA-001", "warning"),  # L2 screened 4 days after registering
    ("leads", "H5"): ("LEA-001", "warning"),  # L4 never screened, due 11-12
    ("leads", "K7"): ("LEA-002", "error"),    # L6 converted, project blank
    ("visits", "E2"): ("VIS-005", "info"),    # 陌生人 is no stakeholder of P3
    ("visits", "G3"): ("VIS-001", "warning"),  # call of 11-16 not recorded by 11-17
    ("visits", "K3"): ("VIS-004", "warning"),  # follow-up of 11-17 missed
    ("visits", "F5"): ("VIS-002", "warning"),  # planned 11-16 for 11-17
    ("visits", "G7"): ("VIS-001", "warning"),  # recorded 8 days late
}


def ledger_sheets() -> dict[str, list[dict]]:
    sheets = field_sheets()
    leads = [dict(row) for row in LEADS]
    leads[0].pop("admission_approved")
    leads.append({"lead_id": "L6", "customer": "南方电网", "source": "官网", "registered_date": d("2026-11-01"),
                  "owner": "孙强", "screened_date": d("2026-11-02"), "grade": "A", "result": "转立项"})
    visits = [dict(row) for row in VISITS]
    visits[0]["contacts"] = "周总、吴处、陌生人"
    sheets["leads"], sheets["visits"] = leads, visits
    return sheets


@pytest.fixture(scope="module", params=["zh", "en"])
def case(request, tmp_path_factory) -> tuple[dict[str, str], Path, Path]:
    """(sheet titles, ledger, annotated copy written by the CLI)."""
    titles = TITLES[request.param]
    folder = tmp_path_factory.mktemp(f"field-{request.param}")
    ledger = write_ledger(folder / "华北区台账.xlsx", ledger_sheets(), titles=titles)
    out = folder / "华北区台账.annotated.xlsx"
    run = CliRunner().invoke(main, ["annotate", str(ledger), "--out", str(out), "--as-of", AS_OF.isoformat()])
    assert run.exit_code == 0, run.output
    return titles, ledger, out


def test_every_field_finding_is_on_the_cell_expected(case) -> None:
    titles, ledger, _ = case
    result = check_files([ledger], AS_OF)
    found = {}
    for f in result.findings:
        if f.rule.startswith(("LEA-", "VIS-")) and f.cell:
            sheet, cell = split_cell(f.cell)
            key = next((k for k, t in titles.items() if t == sheet), None)
            if key:
                found[(key, cell)] = (f.rule, f.severity)
    assert found == EXPECTED


def _open(path: Path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return load_workbook(path)


def test_openpyxl_sees_fill_and_note_on_each_field_cell(case) -> None:
    titles, ledger, out = case
    book, original = _open(out), _open(ledger)
    for (key, cell), (rule, severity) in EXPECTED.items():
        marked = book[titles[key]][cell]
        assert marked.fill.fgColor.rgb.endswith(FILLS[severity]), (key, cell, marked.fill.fgColor.rgb)
        assert marked.comment is not None and rule in marked.comment.text, (key, cell)
        assert marked.value == original[titles[key]][cell].value, "a marked cell's value changed"
    # the messages say what to do in both languages, on the very cell
    note = book[titles["leads"]]["K7"].comment.text
    assert "没有填写项目编号" in note and "names no project" in note
    assert "陌生人" in book[titles["visits"]]["E2"].comment.text
    # nothing else on the two sheets is marked
    for key, title in titles.items():
        marked = {c.coordinate for row in book[title].iter_rows() for c in row if c.comment is not None}
        assert marked == {cell for (k, cell) in EXPECTED if k == key}, key
    # the Findings tab links to the field cells as the sheet is named
    links = {c.hyperlink.location for c in book["校验结果 Findings"]["A"] if c.hyperlink is not None}
    assert f"{titles['leads']}!K7" in {link.replace("'", "") for link in links}


def test_calamine_reads_the_same_values_and_the_ledger_is_untouched(case) -> None:
    titles, ledger, out = case
    before, after = CalamineWorkbook.from_path(str(ledger)), CalamineWorkbook.from_path(str(out))
    for name in before.sheet_names:
        assert after.get_sheet_by_name(name).to_python() == before.get_sheet_by_name(name).to_python(), name
    findings = after.get_sheet_by_name("校验结果 Findings").to_python()
    rules = {row[2] for row in findings[1:]}
    assert {"LEA-001", "LEA-002", "LEA-003", "VIS-001", "VIS-002", "VIS-004", "VIS-005"} <= rules
    # formula-looking ledger text stays text in the copy (L2's customer, row 4's purpose)
    leads = after.get_sheet_by_name(titles["leads"]).to_python()
    assert leads[2][1] == "=HYPERLINK(\"http://x\",\"点我\")"


def test_every_other_byte_is_kept(case) -> None:
    titles, ledger, out = case
    before, after = parts(ledger), parts(out)
    book = _open(ledger)
    position = {title: n for n, title in enumerate(book.sheetnames, start=1)}
    touched = {f"xl/worksheets/sheet{position[t]}.xml" for t in (*titles.values(), "项目台账 Projects",
                                                                 "回款台账 Receivables")}
    may_change = touched | {"[Content_Types].xml", "xl/workbook.xml", "xl/_rels/workbook.xml.rels", "xl/styles.xml",
                            "docProps/app.xml"}
    changed = {name for name in before if before[name] != after.get(name)}
    assert changed <= may_change, changed - may_change
    assert {f"xl/worksheets/sheet{position[t]}.xml" for t in titles.values()} <= changed
    for name in changed & set(after):
        missing = tags(before[name]) - tags(after[name])
        assert not missing, (name, missing)


@pytest.mark.skipif(not shutil.which("soffice"), reason="LibreOffice missing")
def test_libreoffice_keeps_the_marks(case, tmp_path: Path) -> None:
    titles, _, out = case
    if titles is not TITLES["en"]:
        pytest.skip("one LibreOffice round trip is enough (the English-titled copy)")
    profile = f"file://{tmp_path / 'lo-profile'}"
    target = tmp_path / "lo"
    run = subprocess.run(["soffice", f"-env:UserInstallation={profile}", "--headless", "--convert-to", "xlsx",
                          "--outdir", str(target), str(out)], capture_output=True, timeout=240)
    converted = target / out.name
    assert converted.exists(), run.stderr
    book = _open(converted)
    for (key, cell), (rule, severity) in EXPECTED.items():
        marked = book[titles[key]][cell]
        assert marked.comment is not None and rule in marked.comment.text, (key, cell)
        assert str(marked.fill.fgColor.rgb).endswith(FILLS[severity]), (key, cell, marked.fill.fgColor.rgb)
