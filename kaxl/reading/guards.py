"""Guards for untrusted workbooks: an .xlsx is a zip of XML from whoever sent it.

Everything here runs *before* any XML parser sees a byte: the zip central directory is read
(it is small and declares every part's size), limits are enforced on those declared sizes
(zipfile enforces them again while inflating, so a lying header cannot slip past), and the
prolog of every XML part is checked for DOCTYPE/ENTITY declarations, which a spreadsheet
never needs and which are how entity-expansion and external-entity attacks start.
"""

from __future__ import annotations

import codecs
import os
import zipfile
import zlib
from pathlib import Path
from typing import BinaryIO

from kaxl.errors import LedgerReadError

MAX_PART_BYTES = 512 * 1024 * 1024  # one part, uncompressed
MAX_TOTAL_BYTES = 2 * 1024 * 1024 * 1024  # all parts, uncompressed
MAX_RATIO = 200  # uncompressed / compressed for a part above 1 MB (XML compresses ~10–30×)
MAX_PARTS = 10_000
_PROLOG_BYTES = 4096

_CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def _fail(path: Path, zh: str, en: str) -> LedgerReadError:
    return LedgerReadError(f"无法读取 {path.name}：{zh}", f"Cannot read {path.name}: {en}", file=str(path))


def check_workbook_file(path: str | os.PathLike[str]) -> None:
    """Raise :class:`LedgerReadError` unless ``path`` looks like a safe .xlsx/.xlsm package."""
    path = Path(path)
    if not path.exists():
        raise _fail(path, "文件不存在，请检查路径。", "the file does not exist; check the path.")
    if path.is_dir():
        raise _fail(path, "这是一个文件夹，不是 Excel 文件。", "this is a folder, not an Excel file.")
    if path.name.startswith("~$"):
        raise _fail(path, "这是 Excel 打开文件时生成的临时锁文件（~$ 开头），请改用原文件。",
                    "this is Excel's temporary lock file (~$…); use the real workbook instead.")
    with open(path, "rb") as handle:
        head = handle.read(8)
    if head.startswith(_CFB_MAGIC):
        if _is_encrypted_ooxml(path):
            raise _fail(path, "工作簿设置了打开密码。请在 Excel 中取消密码（文件 > 信息 > 保护工作簿）后另存一份再试。",
                        "the workbook is password-protected. Remove the password in Excel "
                        "(File > Info > Protect Workbook), save a copy and try again.")
        raise _fail(path, "这是旧版 .xls 文件。请在 Excel 中另存为 .xlsx 后再试。",
                    "this is a legacy .xls file. Save it as .xlsx in Excel and try again.")
    if not head.startswith(b"PK"):
        raise _fail(path, "不是 Excel 工作簿（.xlsx/.xlsm）。如果是 CSV，请在 Excel 中另存为 .xlsx。",
                    "not an Excel workbook (.xlsx/.xlsm). If it is a CSV, save it as .xlsx in Excel.")
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise _fail(path, "文件已损坏或下载不完整，请重新下载或从备份恢复。",
                    f"the file is damaged or incompletely downloaded ({exc}); download it again or restore a backup.") from None
    with archive:
        infos = archive.infolist()
        names = {info.filename for info in infos}
        if "mimetype" in names and "content.xml" in names:
            raise _fail(path, "这是 OpenDocument (.ods) 文件。请另存为 .xlsx 后再试。",
                        "this is an OpenDocument (.ods) file. Save it as .xlsx and try again.")
        if "[Content_Types].xml" not in names or not any(n.startswith("xl/") for n in names):
            raise _fail(path, "压缩包里没有 Excel 工作簿内容。", "the zip does not contain an Excel workbook.")
        _check_sizes(path, infos)
        _check_prologs(path, archive, infos)


def _check_sizes(path: Path, infos: list[zipfile.ZipInfo]) -> None:
    if len(infos) > MAX_PARTS:
        raise _fail(path, f"包含 {len(infos)} 个部件，超出上限，疑似恶意文件。",
                    f"it holds {len(infos)} parts, beyond the limit; refused as a possible zip bomb.")
    total = 0
    for info in infos:
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > MAX_PART_BYTES or (info.file_size > 1_000_000 and ratio > MAX_RATIO):
            raise _fail(path, f"部件 {info.filename} 解压后 {info.file_size:,} 字节（压缩比 {ratio:.0f}），疑似压缩炸弹，已拒绝。",
                        f"part {info.filename} would inflate to {info.file_size:,} bytes (ratio {ratio:.0f}); "
                        "refused as a possible zip bomb.")
    if total > MAX_TOTAL_BYTES:
        raise _fail(path, f"解压后总计 {total:,} 字节，超出上限，疑似压缩炸弹，已拒绝。",
                    f"it would inflate to {total:,} bytes in all; refused as a possible zip bomb.")


def _check_prologs(path: Path, archive: zipfile.ZipFile, infos: list[zipfile.ZipInfo]) -> None:
    """Refuse any XML part that declares a DOCTYPE (entity expansion, external entities)."""
    for info in infos:
        name = info.filename.lower()
        if not name.endswith((".xml", ".rels", ".vml")):
            continue
        try:
            with archive.open(info) as part:
                declares = prolog_declares_doctype(part)
        except (zipfile.BadZipFile, zlib.error, OSError, NotImplementedError, RuntimeError, EOFError) as exc:
            raise _fail(path, f"部件 {info.filename} 已损坏。", f"part {info.filename} is damaged ({exc}).") from None
        if declares:
            raise _fail(path, f"部件 {info.filename} 含有 XML 实体声明（DOCTYPE/ENTITY），出于安全考虑拒绝读取。",
                        f"part {info.filename} declares XML entities (DOCTYPE/ENTITY); refused for safety.")


def _encoding(head: bytes) -> str:
    """The encoding an XML parser would detect from the first bytes (XML 1.0 appendix F)."""
    if head.startswith((codecs.BOM_UTF16_LE, b"<\0")):
        return "utf-16-le"
    if head.startswith((codecs.BOM_UTF16_BE, b"\0<")):
        return "utf-16-be"
    return "utf-8"


def prolog_declares_doctype(stream: BinaryIO, chunk_size: int = _PROLOG_BYTES) -> bool:
    """True if the XML prolog read from ``stream`` holds a ``<!DOCTYPE`` (or any ``<!`` markup
    declaration other than a comment) before the root element.

    The whole prolog is walked — comments and processing instructions of any length, in UTF-8
    or UTF-16 — reading ``chunk_size`` bytes at a time and keeping only a few characters between
    reads, so a DOCTYPE hidden behind a megabyte of comment is found with bounded memory. It
    stops at the root element: the body of a sheet is never read twice.
    """
    head = stream.read(chunk_size)
    while 0 < len(head) < 4:  # enough bytes to see a BOM or UTF-16's zero bytes
        extra = stream.read(chunk_size)
        if not extra:
            break
        head += extra
    decoder = codecs.getincrementaldecoder(_encoding(head))(errors="replace")
    text = decoder.decode(head).lstrip("\ufeff")
    eof = not head

    def more() -> bool:
        nonlocal text, eof
        if eof:
            return False
        data = stream.read(chunk_size)
        eof = not data
        text += decoder.decode(data, final=eof)
        return bool(data)

    def skip_past(terminator: str) -> bool:
        nonlocal text
        while True:
            found = text.find(terminator)
            if found >= 0:
                text = text[found + len(terminator):]
                return True
            text = text[-(len(terminator) - 1):]  # bounded memory inside a long comment
            if not more():
                return False

    while True:
        text = text.lstrip(" \t\r\n")
        while len(text) < 4 and more():
            text = text.lstrip(" \t\r\n")
        if text.startswith("<?"):
            if not skip_past("?>"):
                return False
        elif text.startswith("<!--"):
            if not skip_past("-->"):
                return False
        else:
            # "<!": a DOCTYPE (or a malformed declaration), never needed in a spreadsheet;
            # anything else is the root element, or not XML at all (the parser will say so)
            return text.startswith("<!")


def _is_encrypted_ooxml(path: Path) -> bool:
    """An encrypted .xlsx is a CFB container holding EncryptionInfo + EncryptedPackage streams."""
    with open(path, "rb") as handle:
        data = handle.read(1 << 20)
    return "EncryptionInfo".encode("utf-16-le") in data or "EncryptedPackage".encode("utf-16-le") in data
