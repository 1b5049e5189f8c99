"""What a reader sees of a workbook, cell by cell: for comparing kaxl's output with a reference.

openpyxl resolves every cell's value, type, number format, font, fill, alignment and hyperlink,
and each sheet's row heights, tables, conditional formats, charts, widths and frozen panes —
what "the same workbook" means to the manager who opens it, whatever the XML looks like.
"""

from __future__ import annotations

import warnings
import zipfile
from pathlib import PureWindowsPath
from typing import Any

from openpyxl import load_workbook


def reader_view(path, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        book = load_workbook(path)
    seen: dict[str, Any] = {}
    for ws in book.worksheets:
        if ws.title in skip:
            continue
        cells = {}
        path_columns = set()  # sized to a full path, which differs from machine to machine
        for row in ws.iter_rows():
            for c in row:
                if c.value is None and not c.hyperlink:
                    continue
                f = c.font
                link = None
                if c.hyperlink:  # a ledger link's target is relative to where the file was written
                    target = c.hyperlink.target
                    link = (PureWindowsPath(target).name if target else None, c.hyperlink.location)
                value = c.value
                if isinstance(value, str) and value.endswith((".xlsx", ".xlsm")) and ("/" in value or "\\" in value):
                    value = PureWindowsPath(value).name  # a ledger's full path differs from machine to machine
                    path_columns.add(c.column_letter)
                cells[c.coordinate] = (
                    value, c.data_type, c.number_format, c.fill.fgColor.rgb if c.fill.fill_type else None,
                    (f.name, f.sz, f.b, f.u, f.color.rgb if f.color is not None and f.color.type == "rgb" else None),
                    (c.alignment.wrap_text, c.alignment.vertical, c.alignment.horizontal), link)
        seen[ws.title] = cells
        seen[ws.title + " heights"] = {r: d.height for r, d in ws.row_dimensions.items() if d.height}
        seen[ws.title + " tables"] = {t.name: (t.ref, t.autoFilter.ref if t.autoFilter else None)
                                      for t in ws.tables.values()}
        seen[ws.title + " conditional formats"] = sorted(str(r.sqref) for r in ws.conditional_formatting)
        seen[ws.title + " widths"] = {k: round(v.width, 2) for k, v in ws.column_dimensions.items()
                                      if v.width and k not in path_columns}
        seen[ws.title + " frozen"] = ws.freeze_panes
    with zipfile.ZipFile(path) as z:  # (openpyxl has no public list of a sheet's charts)
        # by number (chart2 before chart10), so the first tabs' charts stay a prefix when more follow
        seen["charts"] = sorted((n for n in z.namelist() if n.startswith("xl/charts/chart")),
                                key=lambda n: (len(n), n))
    return seen
