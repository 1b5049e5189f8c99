"""A workbook with everything openpyxl's load/save would lose, made with XlsxWriter in code.

Recipe (no opaque binary in the repo): the VBA project is the ``xl/vbaProject.bin`` of the
``quickstart.xlsm`` shipped inside the pinned xlwings wheel; the image is a 2×2 PNG built
here with zlib. Everything else is XlsxWriter API calls: a form button bound to a macro, a
sparkline, a 2010 data bar, a chart, an image with a hyperlink, a text box, comments, data
validation, defined names and formulas with cached values.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from pathlib import Path

import xlsxwriter

LEDGER_SHEET = "项目台账 Projects"
OTHER_SHEET = "图表 Charts"


def vba_project_bin() -> bytes:
    import xlwings

    quickstart = Path(xlwings.__file__).parent / "quickstart.xlsm"
    with zipfile.ZipFile(quickstart) as package:
        return package.read("xl/vbaProject.bin")


def tiny_png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"".join(b"\x00" + b"\xd0\x30\x30" * 2 for _ in range(2))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def rich_workbook(path: Path, *, vba: bool = True) -> Path:
    """Write the fixture to ``path``: an .xlsm with a VBA project and a button, or (``vba=False``,
    for ``kaxl excel-enable``) the same workbook as a macro-free .xlsx without code names."""
    book = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False})
    if vba:
        book.set_vba_name("ThisWorkbook")
        book.add_vba_project(io.BytesIO(vba_project_bin()), is_stream=True)
    ws = book.add_worksheet(LEDGER_SHEET)
    if vba:
        ws.set_vba_name("Sheet1")
    money = book.add_format({"num_format": "#,##0.00", "bold": True, "bg_color": "#E2EFDA"})
    ws.write_row(0, 0, ["项目编号 Project ID", "客户名称 Customer", "预估金额 Estimated amount", "状态 Status",
                        "一季度", "二季度", "三季度", "合计 Total"])
    rows = [("KA-2026-0001", "安徽省人民医院", 350000, "进行中", 1, 4, 2),
            ("KA-2026-0002", "宁德时代东莞基地", 560000, "赢单", 3, 2, 5),
            ("KA-2026-0003", "=HYPERLINK(\"http://x\")", 120000, "进行中", 2, 2, 2)]
    for r, (pid, customer, amount, status, *quarters) in enumerate(rows, start=1):
        ws.write_string(r, 0, pid)
        ws.write_string(r, 1, customer)
        ws.write_number(r, 2, amount, money)
        ws.write_string(r, 3, status)
        ws.write_row(r, 4, quarters)
        ws.write_formula(r, 7, f"=SUM(E{r + 1}:G{r + 1})", None, sum(quarters))
    ws.write_comment("B2", "客户要求下周回访 (user's own note)")
    ws.write_comment("A4", "an untouched note")
    ws.add_sparkline("I2", {"range": f"'{LEDGER_SHEET}'!E2:G2", "markers": True})
    ws.conditional_format("C2:C4", {"type": "data_bar", "data_bar_2010": True, "bar_solid": True,
                                    "bar_negative_color": "#FF0000"})
    ws.data_validation("D2:D50", {"validate": "list", "source": ["进行中", "赢单", "输单", "暂停"]})
    ws.insert_textbox("K2", "台账说明：请在每周五更新 (a text box)", {"width": 240, "height": 60})
    ws.insert_image("K6", "logo.png", {"image_data": io.BytesIO(tiny_png()), "url": "https://example.com/kaxl",
                                       "x_scale": 20, "y_scale": 20})
    if vba:
        ws.insert_button("K12", {"macro": "Module1.Hello", "caption": "校验 Validate", "width": 120, "height": 30})
    ws.freeze_panes(1, 0)
    book.define_name("Amounts", f"='{LEDGER_SHEET}'!$C$2:$C$4")
    book.define_name("Rate", "=0.13")
    other = book.add_worksheet(OTHER_SHEET)
    if vba:
        other.set_vba_name("Sheet2")
    chart = book.add_chart({"type": "column"})
    chart.add_series({"name": "预估金额", "categories": f"='{LEDGER_SHEET}'!$A$2:$A$4",
                      "values": f"='{LEDGER_SHEET}'!$C$2:$C$4"})
    chart.set_title({"name": "管道 Pipeline"})
    other.insert_chart("B2", chart)
    other.write_formula("A1", f"=SUM('{LEDGER_SHEET}'!C2:C4)", None, 1030000)
    book.close()
    return path
