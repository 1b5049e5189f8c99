"""kaxl's deflate/inflate (ISA-L where installed, zlib elsewhere): standard streams any reader
inflates, and reading enforces what zipfile enforces — declared size and CRC."""

from __future__ import annotations

import struct
import zipfile
import zlib
from pathlib import Path

import pytest

from kaxl.ooxml import zipcodec

DATA = ("<row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>项目逾期 overdue</t></is></c></row>" * 5000).encode()


@pytest.fixture(params=["installed", "zlib"])
def codec(request, monkeypatch):
    """Every test runs with the codec this platform gets, and with the zlib fallback."""
    if request.param == "zlib":
        monkeypatch.setattr(zipcodec, "_lib", zlib)
        monkeypatch.setattr(zipcodec, "LEVEL", 3)
    return request.param


def _zip(path: Path, data: bytes, method: int = zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", method) as out:
        out.writestr("xl/worksheets/sheet1.xml", data)
    return path


def test_the_platform_gets_isal_where_it_is_declared() -> None:
    import platform
    import sys

    machine = platform.machine()
    declared = ((sys.platform == "linux" and machine in ("x86_64", "aarch64"))
                or (sys.platform == "win32" and machine == "AMD64") or (sys.platform == "darwin" and machine == "arm64"))
    assert ("isal" if declared else "zlib") == zipcodec.ENGINE


def test_deflated_parts_inflate_with_plain_zlib(codec) -> None:
    packed = zipcodec.deflate(DATA)
    assert zlib.decompress(packed, -15) == DATA and len(packed) < len(DATA) // 10
    assert zipcodec.crc32(DATA) == zlib.crc32(DATA)


@pytest.mark.parametrize("method", [zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED])
def test_reads_what_zipfile_reads(codec, tmp_path: Path, method: int) -> None:
    path = _zip(tmp_path / "a.xlsx", DATA, method)
    assert zipcodec.read_part(path, "xl/worksheets/sheet1.xml") == DATA


def _patch_central(path: Path, offset: int, value: int) -> None:
    raw = bytearray(path.read_bytes())
    at = raw.index(b"PK\x01\x02")
    struct.pack_into("<L", raw, at + offset, value)
    path.write_bytes(bytes(raw))


def test_a_header_declaring_less_than_the_stream_holds_is_refused(codec, tmp_path: Path) -> None:
    path = _zip(tmp_path / "lie.xlsx", DATA)
    _patch_central(path, 24, 1000)  # uncompressed size: 1,000 bytes instead of ~400 kB
    with pytest.raises(zipfile.BadZipFile, match="declares"):
        zipcodec.read_part(path, "xl/worksheets/sheet1.xml")


def test_a_wrong_crc_is_refused(codec, tmp_path: Path) -> None:
    path = _zip(tmp_path / "crc.xlsx", DATA)
    _patch_central(path, 16, zlib.crc32(DATA) ^ 1)
    with pytest.raises(zipfile.BadZipFile, match="CRC"):
        zipcodec.read_part(path, "xl/worksheets/sheet1.xml")


def test_a_damaged_stream_is_refused(codec, tmp_path: Path) -> None:
    path = _zip(tmp_path / "bad.xlsx", DATA)
    raw = bytearray(path.read_bytes())
    start = raw.index(b"sheet1.xml") + len(b"sheet1.xml")  # the local header's name, then the stream
    raw[start:start + 64] = b"\xff" * 64
    path.write_bytes(bytes(raw))
    with pytest.raises(zipfile.BadZipFile):
        zipcodec.read_part(path, "xl/worksheets/sheet1.xml")


def test_the_annotated_copy_round_trips_with_either_codec(codec, tmp_path: Path) -> None:
    from kaxl.ooxml.package import Package

    src = _zip(tmp_path / "src.xlsx", DATA)
    with Package(src) as package:
        assert package.read("xl/worksheets/sheet1.xml") == DATA
        package.write("xl/worksheets/sheet1.xml", DATA + b"<!-- changed -->")
        package.save(tmp_path / "out.xlsx")
    with zipfile.ZipFile(tmp_path / "out.xlsx") as out:
        assert out.testzip() is None
        assert out.read("xl/worksheets/sheet1.xml") == DATA + b"<!-- changed -->"
        info = out.getinfo("xl/worksheets/sheet1.xml")
        assert info.compress_size == len(zipcodec.deflate(DATA + b"<!-- changed -->"))




BIG = DATA * 4  # over a megabyte: deflated in the background as soon as it is written


def test_a_big_part_written_twice_is_saved_as_written_last(codec, tmp_path: Path) -> None:
    from kaxl.ooxml.package import Package

    src = _zip(tmp_path / "src.xlsx", DATA)
    with Package(src) as package:
        package.write("xl/worksheets/sheet1.xml", BIG)
        package.write("xl/worksheets/sheet2.xml", BIG + b"<!-- two -->")
        package.write("xl/worksheets/sheet1.xml", BIG + b"<!-- last -->")
        package.write("xl/worksheets/sheet2.xml", b"<small/>")  # a small part: deflated at save
        package.remove("xl/worksheets/sheet2.xml")
        package.save(tmp_path / "out.xlsx")
    with zipfile.ZipFile(tmp_path / "out.xlsx") as out:
        assert out.testzip() is None
        assert out.namelist() == ["xl/worksheets/sheet1.xml"]
        assert out.read("xl/worksheets/sheet1.xml") == BIG + b"<!-- last -->"


def test_a_part_read_ahead_is_read_and_checked_as_any_other(codec, tmp_path: Path) -> None:
    from kaxl.errors import LedgerReadError
    from kaxl.ooxml.package import Package

    good = _zip(tmp_path / "good.xlsx", DATA)
    with Package(good) as package:
        package.read_ahead("xl/worksheets/sheet1.xml")
        assert package.read("xl/worksheets/sheet1.xml") == DATA
    bad = _zip(tmp_path / "bad.xlsx", DATA)
    _patch_central(bad, 16, zlib.crc32(DATA) ^ 1)
    with Package(bad) as package:
        package.read_ahead("xl/worksheets/sheet1.xml")
        with pytest.raises(LedgerReadError, match="damaged"):
            package.read("xl/worksheets/sheet1.xml")
    entity = _zip(tmp_path / "entity.xlsx", b'<!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>')
    with Package(entity) as package:
        package.read_ahead("xl/worksheets/sheet1.xml")
        with pytest.raises(LedgerReadError):
            package.read("xl/worksheets/sheet1.xml")
