"""Copy xlwings' standalone VBA modules from the installed wheel into kaxl/vba/data/.

``python scripts/extract_xlwings_vba.py`` after changing the xlwings pin in pyproject.toml:
the modules come from the wheel's ``quickstart_standalone.xlsm`` (read with oletools), so the
VBA inside kaxl's workbooks always matches the Python package that answers it. Then run
``kaxl template --out workbook_templates`` and the tests (test_vba checks the two match).
"""

from __future__ import annotations

from pathlib import Path

import xlwings
from oletools.olevba import VBA_Parser

TARGET = Path(__file__).resolve().parent.parent / "kaxl" / "vba" / "data"
MODULES = ("xlwings.bas", "Dictionary.cls")


def main() -> None:
    workbook = Path(xlwings.__file__).parent / "quickstart_standalone.xlsm"
    shipped = {name: code for _, _, name, code in VBA_Parser(str(workbook)).extract_macros()}
    for name in MODULES:
        text = shipped[name].replace("\r\n", "\n")  # stored with LF; CRLF when built into a project
        (TARGET / name).write_text(text, encoding="ascii", newline="\n")
        print(f"{name}: {len(text)} characters from xlwings {xlwings.__version__}")


if __name__ == "__main__":
    main()
