"""Deflate and inflate of package parts: ISA-L (python-isal) where it is installed, zlib elsewhere.

A 20,000-project run moves a lot of XML through deflate: the read inflates every sheet once
more for the error/formula scan (97 MB), annotate inflates the sheets it marks and deflates
them again with its three new tabs (~100 MB), the summary deflates 55 MB. With zlib that was
over a second of CPU per command on a machine where every core is already busy. ISA-L
inflates the same streams twice as fast and, at its level 2, deflates 5× faster than zlib's
level 3 for a file about 8 % larger: the better trade for a command someone waits on.

Both write standard raw deflate streams that any zip reader (Excel, LibreOffice, zipfile)
inflates; which one ran is only visible in the compressed bytes. isal is declared for the
platforms it publishes wheels for; anywhere else zlib does the same job, a little slower.

Reading here (:func:`inflate_entry`) enforces what :mod:`zipfile` enforces: the declared size
(no more is ever produced, so a lying header cannot inflate a bomb) and the CRC.
"""

from __future__ import annotations

import os
import struct
import zipfile
import zlib
from typing import BinaryIO

try:
    from isal import isal_zlib as _lib
except ImportError:  # a platform without isal wheels: zlib does the same, slower
    _lib = zlib  # type: ignore[assignment]

ENGINE = "isal" if _lib is not zlib else "zlib"
# isal's levels are 0-3 (2: 5x zlib-3's speed, +8% size); zlib's are 1-9 (3: see above)
LEVEL = 2 if ENGINE == "isal" else 3

_LOCAL = struct.Struct("<4s5H3L2H")


def deflate(data: bytes) -> bytes:
    """``data`` as a raw deflate stream (what a zip entry of method 8 holds)."""
    packer = _lib.compressobj(LEVEL, _lib.DEFLATED, -15)
    return packer.compress(data) + packer.flush()


def inflate(payload: bytes, size: int) -> bytes:
    """What :func:`deflate` made of ``size`` bytes, back (kaxl's own output: trusted)."""
    return _lib.decompressobj(-15).decompress(payload, size)


def crc32(data: bytes) -> int:
    return _lib.crc32(data) & 0xFFFFFFFF


def stored_payload(info: zipfile.ZipInfo, source: BinaryIO) -> bytes:
    """The entry's bytes exactly as stored in the zip (compressed, if it is)."""
    source.seek(info.header_offset)
    fields = _LOCAL.unpack(source.read(_LOCAL.size))
    if fields[0] != b"PK\x03\x04":
        raise zipfile.BadZipFile(f"zip entry {info.filename} is damaged")
    source.seek(fields[-2] + fields[-1], 1)  # past the local name and extra field
    payload = source.read(info.compress_size)
    if len(payload) != info.compress_size:
        raise zipfile.BadZipFile(f"zip entry {info.filename} is truncated")
    return payload


def inflate_entry(archive: zipfile.ZipFile, info: zipfile.ZipInfo, source: BinaryIO) -> bytes:
    """The entry's content: read raw from ``source`` (the archive's file, opened by the caller)
    and inflated here; :meth:`zipfile.ZipFile.read` for anything but plain deflate."""
    if info.compress_type != zipfile.ZIP_DEFLATED or info.flag_bits & 0x1:  # stored, encrypted, other
        return archive.read(info)
    payload = stored_payload(info, source)
    inflater = _lib.decompressobj(-15)
    try:
        data = inflater.decompress(payload, info.file_size + 1)  # one byte more than declared: caught below
    except Exception as exc:  # zlib.error, isal's error: the stream is damaged
        raise zipfile.BadZipFile(f"zip entry {info.filename} is damaged ({exc})") from None
    if len(data) != info.file_size or not inflater.eof:
        raise zipfile.BadZipFile(f"zip entry {info.filename} does not hold the {info.file_size:,} bytes it declares")
    if crc32(data) != info.CRC:
        raise zipfile.BadZipFile(f"Bad CRC-32 for file {info.filename!r}")
    return data


def read_part(path: str | os.PathLike[str], name: str) -> bytes:
    """Part ``name`` of the package at ``path``, inflated by :func:`inflate_entry`."""
    with zipfile.ZipFile(path) as archive, open(path, "rb") as source:
        return inflate_entry(archive, archive.getinfo(name), source)
