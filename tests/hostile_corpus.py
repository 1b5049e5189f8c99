"""Hostile and broken workbooks, made by code (no opaque binaries without their recipe).

Each maker writes one file into a directory and returns its path. They start from the clean
sample ledger or from raw bytes, and change exactly one thing: the zip is cut, the XML gains a
DOCTYPE, the zip directory lies about a size, the file is encrypted …
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample_ledgers" / "kaxl-sample.xlsx"

BILLION_LAUGHS = ('<!DOCTYPE lolz [<!ENTITY lol "lol">'
                  + "".join(f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
                            for i in range(1, 10))
                  + "]>")
EXTERNAL_ENTITY = '<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'


def rewrite(src: Path, dst: Path, change: Callable[[str, bytes], bytes]) -> Path:
    """Copy the package part by part, passing each through ``change(name, data)``."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            zout.writestr(info.filename, change(info.filename, zin.read(info)))
    return dst


def with_doctype(part: str, doctype: str, *, padding: int = 0) -> Callable[[str, bytes], bytes]:
    """Insert ``doctype`` after the XML declaration of ``part`` (behind ``padding`` bytes of comment)."""
    def change(name: str, data: bytes) -> bytes:
        if name != part:
            return data
        text = data.decode("utf-8")
        declaration = re.match(r"<\?xml[^>]*\?>\s*", text)
        at = declaration.end() if declaration else 0
        comment = f"<!--{'x' * padding}-->\n" if padding else ""
        return (text[:at] + comment + doctype + text[at:]).encode("utf-8")
    return change


def not_a_zip(folder: Path) -> Path:
    path = folder / "随机数据.xlsx"
    path.write_bytes(bytes(range(256)) * 8)
    return path


def csv_renamed(folder: Path) -> Path:
    path = folder / "导出的台账.xlsx"
    path.write_text("项目编号,客户名称,预估金额\nKA-2026-0001,安徽省人民医院,350000\n", encoding="utf-8-sig")
    return path


def truncated(folder: Path) -> Path:
    data = SAMPLE.read_bytes()
    path = folder / "下载一半.xlsx"
    path.write_bytes(data[: len(data) // 2])
    return path


def legacy_xls(folder: Path) -> Path:
    """An Excel 97-2003 file: a compound file with a ``Workbook`` stream (our own CFB writer)."""
    from kaxl.vba.cfb import write_cfb

    path = folder / "旧版台账.xls"
    path.write_bytes(write_cfb({"Workbook": b"\x09\x08\x10\x00\x00\x06\x05\x00" + bytes(4088),
                                "\x05SummaryInformation": bytes(200)}))
    return path


def legacy_xls_renamed(folder: Path) -> Path:
    path = folder / "旧版改名.xlsx"
    path.write_bytes(legacy_xls(folder).read_bytes())
    return path


def ods(folder: Path) -> Path:
    path = folder / "开源表格.ods"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr("content.xml", '<?xml version="1.0"?><office:document-content '
                                  'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"/>')
        z.writestr("META-INF/manifest.xml", "<manifest/>")
    return path


def password_protected(folder: Path) -> Path:
    from msoffcrypto.format.ooxml import OOXMLFile

    path = folder / "加密台账.xlsx"
    with open(SAMPLE, "rb") as plain, open(path, "wb") as out:
        OOXMLFile(plain).encrypt("kaxl-2026", out)
    return path


def size_lie_bomb(folder: Path) -> Path:
    """A small zip whose directory declares a 4 GB sheet (zipfile would stop at the lie while
    inflating; kaxl must refuse from the directory, without inflating anything)."""
    path = rewrite(SAMPLE, folder / "炸弹-声明.xlsx", lambda name, data: data)
    raw = bytearray(path.read_bytes())
    target = b"xl/worksheets/sheet1.xml"
    for signature, size_at in ((b"PK\x01\x02", 24), (b"PK\x03\x04", 22)):
        start = 0
        while (found := raw.find(signature, start)) >= 0:
            name_len_at = 28 if signature == b"PK\x01\x02" else 26
            name_len = int.from_bytes(raw[found + name_len_at: found + name_len_at + 2], "little")
            name_at = found + (46 if signature == b"PK\x01\x02" else 30)
            if raw[name_at: name_at + name_len] == target:
                raw[found + size_at: found + size_at + 4] = (4_000_000_000).to_bytes(4, "little")
            start = found + 4
    path.write_bytes(bytes(raw))
    return path


def ratio_bomb(folder: Path, megabytes: int = 256) -> Path:
    """A real bomb: a worksheet part of ``megabytes`` MB of blanks, deflated to a few hundred KB."""
    path = folder / "炸弹-真实.xlsx"

    def change(name: str, data: bytes) -> bytes:
        return data

    rewrite(SAMPLE, path, change)
    info = zipfile.ZipInfo("xl/worksheets/sheet99.xml")
    info.compress_type = zipfile.ZIP_DEFLATED
    with zipfile.ZipFile(path, "a") as z, z.open(info, "w", force_zip64=True) as part:
        block = b" " * (1 << 20)
        for _ in range(megabytes):
            part.write(block)
    return path


def shared_strings_ledger(folder: Path) -> Path:
    """A small real ledger written the way Excel writes text: in xl/sharedStrings.xml."""
    from tests.ledger_factory import write_ledger

    return write_ledger(folder / "共享字符串.xlsx", {"projects": [
        {"project_id": "KA-2026-0001", "customer": "安徽省人民医院", "account_manager": "张伟", "stage": "立项",
         "status": "进行中"}]})


def xml_attack(folder: Path, part: str, doctype: str, *, padding: int = 0, label: str = "") -> Path:
    stem = part.replace("/", "_").replace(".xml", "")
    path = folder / f"实体-{label or stem}-{padding}.xlsx"
    base = shared_strings_ledger(folder) if part == "xl/sharedStrings.xml" else SAMPLE
    with zipfile.ZipFile(base) as z:
        assert part in z.namelist(), f"{base.name} has no {part} to attack"
    return rewrite(base, path, with_doctype(part, doctype, padding=padding))


def utf16_attack(folder: Path) -> Path:
    """The DOCTYPE in a part re-encoded as UTF-16 (a byte search for b"<!DOCTYPE" misses it)."""
    def change(name: str, data: bytes) -> bytes:
        if name != "docProps/core.xml":
            return data
        text = data.decode("utf-8").replace('encoding="UTF-8"', 'encoding="UTF-16"')
        at = text.index("?>") + 2
        return (text[:at] + EXTERNAL_ENTITY + text[at:]).encode("utf-16")
    return rewrite(SAMPLE, folder / "实体-utf16.xlsx", change)


def zip_of(parts: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        for name, data in parts.items():
            z.writestr(name, data)
    return buffer.getvalue()
