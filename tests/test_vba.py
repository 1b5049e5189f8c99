"""The VBA project kaxl builds on Linux, read back by independent readers.

olevba (oletools) and olefile read the compound file and decompress every module; LibreOffice
opens the .xlsm and imports the VBA as Basic (listed through UNO by tests/tools/lo_list_macros.py,
run with the system Python that has LibreOffice's ``uno``); the buttons' macro references are
read from the .xlsm's VML and must name Subs that exist.
"""

from __future__ import annotations

import io
import random
import re
import zipfile
from pathlib import Path

import olefile
import pytest
from oletools.olevba import VBA_Parser, decompress_stream

from kaxl.reports.template import write_template
from kaxl.vba import modules as vba_modules
from kaxl.vba.cfb import write_cfb
from kaxl.vba.compression import compress
from kaxl.vba.modules import BUTTON_MACROS, BUTTONS, build_vba_project, kaxl_modules, subs
from kaxl.vba.project import PROJECT_ID, decrypt, encrypt
from kaxl.vba.xlsm import add_buttons_and_vba
from tests.package_helpers import libreoffice_modules, libreoffice_ready

ROOT = Path(__file__).resolve().parents[1]


def _lf(text: str) -> str:
    return text.replace("\r\n", "\n")


@pytest.fixture(scope="module")
def xlsm(tmp_path_factory) -> Path:
    return write_template(tmp_path_factory.mktemp("vba") / "模板.xlsm", vba=add_buttons_and_vba)


@pytest.mark.parametrize("data", [
    b"", b"a", b"abc" * 5000, bytes(10_000), random.Random(7).randbytes(8192),
    (ROOT / "kaxl/vba/data/xlwings.bas").read_bytes(),
    random.Random(1).randbytes(3000) + b"Sub x()\r\n" * 900,
], ids=["empty", "one", "repeat", "zeros", "random-2-raw-chunks", "xlwings.bas", "mixed"])
def test_compression_round_trips_through_olevba(data):
    packed = compress(data)
    assert packed[0] == 1
    assert bytes(decompress_stream(bytearray(packed))) == data
    if len(data) > 100 and len(set(data)) < 20:
        assert len(packed) < len(data) / 2  # it really compresses


def test_cfb_streams_read_back_with_olefile():
    streams = {"A": b"x" * 10, "S/big": bytes(range(256)) * 40, "S/small": b"", "S/T/deep": b"deep" * 100,
               **{f"M/m{i:02d}": bytes([i]) * (i * 37) for i in range(1, 20)}}
    ole = olefile.OleFileIO(io.BytesIO(write_cfb(streams)))
    listed = {"/".join(p) for p in ole.listdir()}
    assert listed == set(streams)
    for path, data in streams.items():
        assert ole.openstream(path).read() == data


def test_project_streams(xlsm):
    project = build_vba_project(("ThisWorkbook", "Sheet1"))
    assert project == build_vba_project(("ThisWorkbook", "Sheet1"))  # deterministic
    ole = olefile.OleFileIO(io.BytesIO(project))
    assert {"/".join(p) for p in ole.listdir()} == {
        "PROJECT", "PROJECTwm", "VBA/_VBA_PROJECT", "VBA/dir", "VBA/ThisWorkbook", "VBA/Sheet1",
        "VBA/xlwings", "VBA/Dictionary", "VBA/kaxl"}
    # version 0xFFFF: no performance cache, Excel compiles from source
    assert ole.openstream("VBA/_VBA_PROJECT").read() == b"\xcc\x61\xff\xff\x00\x01\x00"
    text = ole.openstream("PROJECT").read().decode("cp1252")
    assert "Document=ThisWorkbook/&H00000000\r\nDocument=Sheet1/&H00000000\r\nModule=xlwings\r\n" in text
    assert "Class=Dictionary\r\nModule=kaxl\r\n" in text
    fields = dict(re.findall(r'^(CMG|DPB|GC)="([0-9A-F]+)"', text, flags=re.MULTILINE))
    assert decrypt(fields["CMG"]) == bytes(4) and decrypt(fields["DPB"]) == b"\0" and decrypt(fields["GC"]) == b"\xff"
    # every module's source starts at offset 0 of its stream (MODULEOFFSET 0)
    for name in ("xlwings", "kaxl", "Sheet1"):
        source = bytes(decompress_stream(bytearray(ole.openstream(f"VBA/{name}").read())))
        assert source.startswith(f'Attribute VB_Name = "{name}"'.encode())


def test_encryption_matches_the_spec_on_xlwings_own_project():
    # values Excel wrote into xlwings' quickstart_standalone.xlsm, with its project id
    qid = "{5CF9CDAB-B77B-4FE4-BD7E-D29900070E1B}"
    assert decrypt("8D8FA61394EA98EA98EA98EA98", qid) == bytes(4)
    assert decrypt("8D8FA61394EF95EF95EF", qid) == b"\0"
    assert decrypt("8D8FA61394EF95EF9510", qid) == b"\xff"
    for seed in range(0, 256, 17):
        assert decrypt(encrypt(b"\x12\x34", seed), PROJECT_ID) == b"\x12\x34"


def test_olevba_reads_back_every_module_exactly(xlsm):
    parser = VBA_Parser(str(xlsm))
    got = {name.rsplit(".", 1)[0]: code for _, _, name, code in parser.extract_macros()}
    for module in kaxl_modules():
        assert _lf(got[module.name]) == _lf(module.source), module.name
    sheets = zipfile.ZipFile(xlsm).read("xl/workbook.xml").decode().count("<sheet ")
    assert {f"Sheet{i}" for i in range(1, sheets + 1)} | {"ThisWorkbook"} <= set(got)


def test_buttons_name_subs_that_exist(xlsm):
    kaxl_source = next(m.source for m in kaxl_modules() if m.name == "kaxl")
    defined = set(subs(kaxl_source))
    assert set(BUTTON_MACROS.values()) == {b[0] for b in BUTTONS} <= defined
    with zipfile.ZipFile(xlsm) as z:
        vml = "".join(z.read(n).decode() for n in z.namelist() if n.endswith(".vml"))
        workbook = z.read("xl/workbook.xml").decode()
        types = z.read("[Content_Types].xml").decode()
    macros = re.findall(r"<x:FmlaMacro>\[0\]!(\w+)</x:FmlaMacro>", vml)
    assert macros == [b[0] for b in BUTTONS]
    assert all(m in defined for m in macros)
    assert 'codeName="ThisWorkbook"' in workbook
    assert "application/vnd.ms-excel.sheet.macroEnabled.main+xml" in types
    for _macro, zh, en, _what in BUTTONS:
        assert f"{zh} {en}" in vml


def test_each_button_runs_the_matching_python_entry_point():
    source = next(m.source for m in kaxl_modules() if m.name == "kaxl")
    for action, macro in BUTTON_MACROS.items():
        body = re.search(rf"Sub {macro}\(\)(.*?)End Sub", source, flags=re.DOTALL).group(1)
        assert f'RunPython "import kaxl.macros; kaxl.macros.{action}()"' in body
        import kaxl.macros

        assert callable(getattr(kaxl.macros, action))


def test_template_xlsm_reads_as_a_ledger(xlsm):
    import datetime as dt

    from kaxl.api import check_files

    result = check_files([xlsm], dt.date(2026, 11, 16))
    assert {f.rule for f in result.findings} == {"SCH-012"}  # "no data yet" only


def test_committed_modules_match_the_installed_xlwings():
    """The VBA and the xlwings package must match: re-extract when xlwings is upgraded
    (python scripts/extract_xlwings_vba.py)."""
    import xlwings

    parser = VBA_Parser(str(Path(xlwings.__file__).parent / "quickstart_standalone.xlsm"))
    shipped = {name: code for _, _, name, code in parser.extract_macros()}
    for filename in ("xlwings.bas", "Dictionary.cls"):
        assert _lf(vba_modules.source_text(filename)) == _lf(shipped[filename]), filename


@pytest.mark.skipif(not libreoffice_ready(), reason="LibreOffice with python3-uno not installed")
def test_libreoffice_lists_the_kaxl_module(xlsm, tmp_path):
    modules = libreoffice_modules(xlsm, tmp_path / "profile")
    assert {"kaxl", "xlwings", "Dictionary"} <= set(modules)
    for macro in BUTTON_MACROS.values():
        assert f"Sub {macro}()" in modules["kaxl"]
    assert "Function RunPython" in modules["xlwings"]


def test_committed_xlsm_template_is_current(tmp_path):
    fresh = write_template(tmp_path / "kaxl-ledger-template.xlsm", vba=add_buttons_and_vba)
    committed = ROOT / "workbook_templates" / "kaxl-ledger-template.xlsm"
    assert committed.read_bytes() == fresh.read_bytes(), "run: kaxl template --out workbook_templates"
