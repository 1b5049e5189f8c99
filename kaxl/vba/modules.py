"""The VBA modules a kaxl workbook carries, and the buttons that call them.

``xlwings.bas`` and ``Dictionary.cls`` are xlwings' standalone modules exactly as the pinned
xlwings wheel ships them in ``quickstart_standalone.xlsm`` (``scripts/extract_xlwings_vba.py``
copies them; a test fails when the installed xlwings ships different ones, because the VBA and
the Python package must match). ``kaxl.bas`` holds the three Subs the buttons name.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from importlib import resources

from kaxl.vba.project import Module, build_project, document_module

# The button → Sub mapping, in cover order: (Sub, Chinese caption, English caption, what it does).
BUTTONS = (
    ("KaxlValidate", "校验", "Validate",
     "检查每个单元格并标出问题 · check every cell and mark the problems"),
    ("KaxlRefresh", "刷新评分", "Refresh scores",
     "重算评分与预警，不标单元格 · recompute scores and alerts, no cell marks"),
    ("KaxlSummary", "生成汇总", "Build summary",
     "在台账旁生成管理层汇总 · write the managers' summary beside the ledger"),
)
# The workbook's own xlwings settings (a hidden ``xlwings.conf`` tab, which xlwings reads before
# the user's config file). "USE UDF SERVER" makes RunPython talk to one Python that xlwings keeps
# running (its COM server, free, part of xlwings on Windows) instead of starting a new Python per
# press: only the first press of a session pays the imports (docs/excel.md).
XLWINGS_CONF_TITLE = "xlwings.conf"
XLWINGS_CONF = (("USE UDF SERVER", "True"),)
BUTTON_MACROS = {"validate": "KaxlValidate", "refresh": "KaxlRefresh", "summary": "KaxlSummary"}
SOURCES = (("xlwings", "standard", "xlwings.bas"), ("Dictionary", "class", "Dictionary.cls"),
           ("kaxl", "standard", "kaxl.bas"))


def source_text(filename: str) -> str:
    """A module's stored source from the package data (LF line ends; CRLF when stored)."""
    return resources.files("kaxl.vba").joinpath("data", filename).read_text(encoding="ascii")


def kaxl_modules() -> list[Module]:
    """The xlwings modules and the kaxl module (no document modules)."""
    return [Module(name, kind, source_text(filename)) for name, kind, filename in SOURCES]


def subs(source: str) -> list[str]:
    """Names of the public Subs in a module's source."""
    return re.findall(r"^(?:Public\s+)?Sub\s+(\w+)\s*\(", source, flags=re.MULTILINE | re.IGNORECASE)


def build_vba_project(document_modules: Sequence[str] = ("ThisWorkbook", "Sheet1")) -> bytes:
    """``vbaProject.bin`` for a workbook whose code names are ``document_modules``
    (ThisWorkbook and one per sheet), with the xlwings and kaxl modules."""
    modules = [document_module(name) for name in document_modules] + kaxl_modules()
    return build_project(modules)
