"""The template .xlsm: the blank ledger plus its VBA project and three buttons on the Guide.

Called by :func:`kaxl.reports.template.write_template` through the ``vba`` hook while the XlsxWriter
workbook is still open. The Guide (the first, active tab) keeps :data:`RESERVED_ROWS` rows free
under its title for the buttons and a line on what each one does.
"""

from __future__ import annotations

import io
from typing import Any

from kaxl.vba.modules import BUTTONS, XLWINGS_CONF, XLWINGS_CONF_TITLE, build_vba_project

FIRST_ROW = 2  # the Guide's title is row 0
RESERVED_ROWS = 7  # rows 2-3 buttons, 4 blank, 5-7 what each does, 8 blank
BUTTON_WIDTH, BUTTON_HEIGHT = 150, 36
COLUMNS = (0, 1, 2)  # the Guide's columns A-C are ~170-200 px wide: one button each


def code_names(workbook: Any) -> list[str]:
    """ThisWorkbook and Sheet1..SheetN, set on the workbook so the VBA document modules match."""
    workbook.set_vba_name("ThisWorkbook")
    names = ["ThisWorkbook"]
    for index, sheet in enumerate(workbook.worksheets(), start=1):
        sheet.set_vba_name(f"Sheet{index}")
        names.append(f"Sheet{index}")
    return names


def add_buttons_and_vba(workbook: Any, cover_sheet: Any) -> None:
    """Add the VBA project to ``workbook``, the three buttons to ``cover_sheet`` and the hidden
    ``xlwings.conf`` tab (:data:`kaxl.vba.modules.XLWINGS_CONF`)."""
    conf = workbook.add_worksheet(XLWINGS_CONF_TITLE)
    for row, (key, value) in enumerate(XLWINGS_CONF):
        conf.write_string(row, 0, key)
        conf.write_string(row, 1, value)
    conf.hide()
    project = build_vba_project(code_names(workbook))
    workbook.add_vba_project(io.BytesIO(project), is_stream=True)
    bold = workbook.add_format({"bold": True, "font_color": "#1F4E79"})
    plain = workbook.add_format({"font_color": "#404040"})
    for (macro, zh, en, what), column in zip(BUTTONS, COLUMNS):
        cover_sheet.insert_button(FIRST_ROW, column, {
            "macro": macro, "caption": f"{zh} {en}", "width": BUTTON_WIDTH, "height": BUTTON_HEIGHT,
            "x_offset": 4, "y_offset": 2, "description": f"{zh} {en}: {what}"})
    for offset, (_macro, zh, en, what) in enumerate(BUTTONS):
        cover_sheet.write_string(FIRST_ROW + 3 + offset, 0, f"{zh} {en}", bold)
        cover_sheet.write_string(FIRST_ROW + 3 + offset, 1, what, plain)


add_buttons_and_vba.reserved_rows = RESERVED_ROWS  # type: ignore[attr-defined]
