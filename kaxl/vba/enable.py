"""``kaxl excel-enable``: an existing ledger, with the kaxl buttons, as an .xlsm — losslessly.

The same XML-level approach as ``kaxl annotate`` (:mod:`kaxl.ooxml`): the copy gets

- ``xl/vbaProject.bin`` (xlwings' standalone modules + ``kaxl``, one document module per code
  name), related from the workbook, and the workbook's content type switched to macro-enabled;
- a ``codeName`` on the workbook and on each worksheet that lacks one (an attribute added to
  ``workbookPr`` / ``sheetPr``: the VBA document modules are matched to sheets by it);
- a tab :data:`COVER_TITLE`, last in the tab order (inserting it first would renumber every
  sheet-local name and print area), with the three buttons (legacy form controls in VML, as
  Excel itself stores them) and a line on what each does.

Every other part is copied byte for byte, and the source file is only read. A workbook that
already carries someone's macros is refused (replacing them would lose their work); one that
carries kaxl's project gets it rebuilt, so running excel-enable again after adding sheets works.
"""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

import olefile

from kaxl.errors import KaxlError
from kaxl.ooxml import contenttypes
from kaxl.ooxml.contenttypes import ContentTypes
from kaxl.ooxml.package import Package, iter_parts
from kaxl.ooxml.rels import VML_DRAWING, Rels
from kaxl.ooxml.vml import blocks_of
from kaxl.ooxml.workbook import Workbook
from kaxl.ooxml.xmltext import (
    MAIN_NS,
    REL_NS,
    attributes,
    decode,
    encode,
    escape_attribute,
    escape_text,
    root_prefix,
    set_attribute,
    start_tags,
)
from kaxl.vba.modules import BUTTONS, XLWINGS_CONF, XLWINGS_CONF_TITLE, build_vba_project

COVER_TITLE = "kaxl 按钮 Buttons"
VBA_PART = "xl/vbaProject.bin"
VBA_REL = "http://schemas.microsoft.com/office/2006/relationships/vbaProject"
VBA_TYPE = "application/vnd.ms-office.vbaProject"
MACRO_MAIN = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
COLUMN_PX, ROW_PX = 201, 20  # width 28 (Calibri 11) and the default row height


def enable_workbook(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> Path:
    """Write ``dst`` (.xlsm): ``src`` with the VBA project, code names and the buttons tab."""
    src, dst = Path(src), Path(dst)
    if dst.exists() and dst.resolve() == src.resolve():
        raise KaxlError("输出文件不能与台账相同。", "The output cannot be the ledger itself.", file=str(src))
    with Package(src) as package:
        types = ContentTypes(package)
        book = Workbook(package, types)
        existing = book.rels.by_type(VBA_REL)
        if existing and existing[0].part and package.has(existing[0].part):
            _require_kaxl_project(package, existing[0].part, src)
        if book.sheet(COVER_TITLE) is None:
            _add_cover(package, book, types)
        if book.sheet(XLWINGS_CONF_TITLE) is None:
            book.add_sheet(XLWINGS_CONF_TITLE, _conf_xml(), hidden=True)
        names = _code_names(package, book)
        project = build_vba_project(names)
        if existing:
            package.write(existing[0].part or VBA_PART, project)
        else:
            part = package.free_name("xl/vbaProject{}.bin") if package.has(VBA_PART) else VBA_PART
            package.write(part, project)
            book.rels.add(VBA_REL, part)
            types.set_override(part, VBA_TYPE)
        if "macroEnabled" not in (types.content_type(book.part) or ""):
            types.set_override(book.part, MACRO_MAIN)
        book.save()
        types.save()
        dst.parent.mkdir(parents=True, exist_ok=True)
        package.save(dst)
    return dst


def _require_kaxl_project(package: Package, part: str, src: Path) -> None:
    """Refuse a workbook whose VBA project is not kaxl's: its macros would be lost."""
    try:
        ole = olefile.OleFileIO(io.BytesIO(package.read(part)))
        ours = ole.exists("VBA/kaxl")
        ole.close()
    except OSError:
        ours = False
    if not ours:
        raise KaxlError(
            f"{src.name} 已包含其他宏（VBA 项目）。为免覆盖您的宏，kaxl 不会替换它；请在 Excel 中导入 kaxl 模块，"
            "或对不含宏的 .xlsx 运行 excel-enable。",
            f"{src.name} already has its own macros (a VBA project). kaxl will not replace them; import the "
            "kaxl module in Excel instead, or run excel-enable on a macro-free .xlsx.", file=str(src))


# ------------------------------------------------------------------------------- code names


def _code_names(package: Package, book: Workbook) -> list[str]:
    """The workbook's and every worksheet's code name, adding ``SheetN`` where one is missing."""
    prefix = root_prefix(book.text)
    tag = next(start_tags(book.text, prefix, "workbookPr"), None)
    workbook_name = attributes(tag.group()).get("codeName") if tag else None
    if not workbook_name:
        workbook_name = "ThisWorkbook"
        if tag is not None:
            book.text = book.text[:tag.start()] + set_attribute(tag.group(), "codeName", workbook_name) + \
                book.text[tag.end():]
        else:
            anchor = _after_first(book.text, prefix, ("fileSharing", "fileVersion")) or _after_root(book.text)
            book.text = book.text[:anchor] + f'<{prefix}workbookPr codeName="{workbook_name}"/>' + book.text[anchor:]
    names = [workbook_name]
    pending: list[tuple[str, str, str]] = []  # (part, text, codec) of sheets needing a name
    taken = {workbook_name.casefold()}
    for entry in book.sheets():
        if not entry.is_worksheet or entry.part is None:
            continue
        text, codec = decode(package.read(entry.part))
        sheet_prefix = root_prefix(text)
        pr = next(start_tags(text, sheet_prefix, "sheetPr"), None)
        name = attributes(pr.group()).get("codeName") if pr else None
        if name:
            names.append(name)
            taken.add(name.casefold())
        else:
            pending.append((entry.part, text, codec))
    number = 1
    for part, text, codec in pending:
        while f"sheet{number}" in taken:
            number += 1
        name = f"Sheet{number}"
        taken.add(name.casefold())
        sheet_prefix = root_prefix(text)
        pr = next(start_tags(text, sheet_prefix, "sheetPr"), None)
        if pr is not None:
            text = text[:pr.start()] + set_attribute(pr.group(), "codeName", name) + text[pr.end():]
        else:  # sheetPr is the first child of <worksheet>
            at = _after_root(text)
            text = text[:at] + f'<{sheet_prefix}sheetPr codeName="{name}"/>' + text[at:]
        package.write(part, encode(text, codec))
        names.append(name)
    return names


def _after_root(text: str) -> int:
    """Just after the root element's start tag."""
    body = re.search(r"<(?![?!])[^>]*>", text)
    assert body is not None
    return body.end()


def _after_first(text: str, prefix: str, names: tuple[str, ...]) -> int | None:
    """The end of the first of ``names`` found (self-closing start tag or closing tag)."""
    for name in names:
        tag = next(start_tags(text, prefix, name), None)
        if tag is None:
            continue
        if tag.group().endswith("/>"):
            return tag.end()
        close = text.find(f"</{prefix}{name}>", tag.end())
        if close >= 0:
            return close + len(f"</{prefix}{name}>")
    return None


# ------------------------------------------------------------------------------- the cover tab


def _add_cover(package: Package, book: Workbook, types: ContentTypes) -> None:
    part = book.add_sheet(COVER_TITLE, b"")
    vml_part = package.free_name("xl/drawings/vmlDrawing{}.vml")
    taken = {b for vml in iter_parts(package, ".vml") for b in blocks_of(package.read(vml))}
    block = next(n for n in range(1, 10_000) if n not in taken)
    package.write(vml_part, _buttons_vml(block))
    if types.default("vml") is None:
        types.ensure_default("vml", contenttypes.VML)
    rels = Rels(package, part)
    rel_id = rels.add(VML_DRAWING, vml_part)
    rels.save()
    package.write(part, _cover_xml(rel_id))


def _conf_xml() -> bytes:
    """The hidden xlwings.conf tab: one key and value per row (``XLWINGS_CONF``)."""
    rows = "".join(f'<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>{escape_text(key)}</t></is></c>'
                   f'<c r="B{r}" t="inlineStr"><is><t>{escape_text(value)}</t></is></c></row>'
                   for r, (key, value) in enumerate(XLWINGS_CONF, start=1))
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<worksheet xmlns="{MAIN_NS}" xmlns:r="{REL_NS}"><sheetData>{rows}</sheetData>'
            '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/></worksheet>'
            ).encode()


def _cover_xml(vml_rel: str) -> bytes:
    lines = [(1, "kaxl 大客户销售台账 · Key-account ledger")]
    lines += [(6 + i, f"{zh} {en}：{what}") for i, (_m, zh, en, what) in enumerate(BUTTONS)]
    lines += [(10, "首次使用：请 IT 在本机安装 kaxl 并运行 kaxl excel-setup；宏被阻止时见 docs/excel.md。"),
              (11, "First use: IT installs kaxl on this PC and runs kaxl excel-setup; if macros are blocked see "
                   "docs/excel.md.")]
    rows = "".join(f'<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>{escape_text(text)}</t></is></c></row>'
                   for r, text in lines)
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<worksheet xmlns="{MAIN_NS}" xmlns:r="{REL_NS}"><dimension ref="A1:A11"/>'
            '<sheetViews><sheetView workbookViewId="0" showGridLines="0"/></sheetViews>'
            '<sheetFormatPr defaultRowHeight="15"/><cols><col min="1" max="3" width="28.7109375" customWidth="1"/>'
            f'</cols><sheetData>{rows}</sheetData>'
            '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>'
            f'<legacyDrawing r:id="{vml_rel}"/></worksheet>').encode()


def _buttons_vml(block: int) -> bytes:
    """Three form-control buttons in rows 3-4, columns A-C, as XlsxWriter/Excel write them."""
    shapes = []
    for index, (macro, zh, en, _what) in enumerate(BUTTONS):
        left, top, width, height = index * COLUMN_PX + 6, 2 * ROW_PX + 2, COLUMN_PX - 12, 2 * ROW_PX - 4
        caption = escape_text(f"{zh} {en}")
        shapes.append(
            f'<v:shape id="_x0000_s{block * 1024 + index + 1}" type="#_x0000_t201" '
            f'style="position:absolute;margin-left:{left * 0.75:g}pt;margin-top:{top * 0.75:g}pt;'
            f'width:{width * 0.75:g}pt;height:{height * 0.75:g}pt;z-index:{index + 1};mso-wrap-style:tight" '
            'o:button="t" fillcolor="buttonFace [67]" strokecolor="windowText [64]" o:insetmode="auto">'
            '<v:fill color2="buttonFace [67]" o:detectmouseclick="t"/><o:lock v:ext="edit" rotation="t"/>'
            '<v:textbox style="mso-direction-alt:auto" o:singleclick="f"><div style="text-align:center">'
            f'<font face="Calibri" size="220" color="#000000">{caption}</font></div></v:textbox>'
            f'<x:ClientData ObjectType="Button"><x:Anchor>{index}, 6, 2, 2, {index}, {COLUMN_PX - 6}, 4, 0</x:Anchor>'
            '<x:PrintObject>False</x:PrintObject><x:AutoFill>False</x:AutoFill>'
            f'<x:FmlaMacro>[0]!{escape_attribute(macro)}</x:FmlaMacro>'
            '<x:TextHAlign>Center</x:TextHAlign><x:TextVAlign>Center</x:TextVAlign></x:ClientData></v:shape>')
    return ('<xml xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office" '
            'xmlns:x="urn:schemas-microsoft-com:office:excel">'
            f'<o:shapelayout v:ext="edit"><o:idmap v:ext="edit" data="{block}"/></o:shapelayout>'
            '<v:shapetype id="_x0000_t201" coordsize="21600,21600" o:spt="201" path="m,l,21600r21600,l21600,xe">'
            '<v:stroke joinstyle="miter"/><v:path shadowok="f" o:extrusionok="f" strokeok="f" fillok="f" '
            'o:connecttype="rect"/><o:lock v:ext="edit" shapetype="t"/></v:shapetype>'
            + "".join(shapes) + "</xml>").encode("utf-8")
