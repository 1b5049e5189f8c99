"""An OPC package (the zip behind .xlsx/.xlsm): read parts, replace a few, write a faithful copy.

The copy keeps the source's entry order and, for every part that was not changed, its
*compressed* bytes exactly as stored (no inflate/deflate round trip): that is what makes
"byte-for-byte" cheap for a 20 MB ledger and guarantees the VBA project, images and sheets
nobody touched come out identical. Changed and new parts are deflated afresh; new parts are
appended after the existing ones. The zip is written by hand (local headers, central
directory, end record) because :mod:`zipfile` has no public way to copy an entry raw.

The destination is written atomically: a temporary file in the destination's folder, fsync'd,
then ``os.replace`` — a crash leaves either the old file or the complete new one, never half.
"""

from __future__ import annotations

import os
import posixpath
import stat
import struct
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from kaxl.atomic import atomic_output
from kaxl.errors import LedgerReadError
from kaxl.ooxml import zipcodec
from kaxl.ooxml.guard import check_part

_LOCAL = struct.Struct("<4s5H3L2H")
_CENTRAL = struct.Struct("<4s6H3L5H2L")
_END = struct.Struct("<4s4H2LH")
_NEW_PART_TIME = (1980, 1, 1, 0, 0, 0)  # what Excel and XlsxWriter stamp on every entry
_UTF8_FLAG = 0x800
_ZIP32_LIMIT = 0xFFFFFFFF
# A part at least this big is deflated as soon as it is written (see Package.write)
_EAGER_BYTES = 1 << 20


class Package:
    """The parts of one package, with pending changes kept in memory until :meth:`save`."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.source = self.path.name
        try:
            self._zip = zipfile.ZipFile(self.path)
        except (zipfile.BadZipFile, OSError) as exc:
            raise LedgerReadError(f"{self.source} 不是有效的 Excel 文件（{exc}）。",
                                  f"{self.source} is not a valid Excel file ({exc}).", file=str(self.path)) from None
        self._infos = {info.filename: info for info in self._zip.infolist()}
        self._order = list(self._infos)
        self._changed: dict[str, bytes] = {}
        self._deflating: dict[str, Future[_Entry]] = {}  # big changed parts, deflating since written
        self._reading: dict[str, Future[bytes]] = {}  # parts being inflated ahead of their read
        self._pool: ThreadPoolExecutor | None = None
        self._by_lower = {name.lower(): name for name in self._order}

    def __enter__(self) -> Package:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        self._deflating.clear()
        self._reading.clear()
        self._zip.close()

    # -- reading -------------------------------------------------------------------------
    def names(self) -> list[str]:
        return list(self._order)

    def find(self, name: str) -> str | None:
        """The stored spelling of part ``name`` (OPC part names compare case-insensitively)."""
        return self._by_lower.get(name.lstrip("/").lower())

    def has(self, name: str) -> bool:
        return self.find(name) is not None

    def read(self, name: str) -> bytes:
        """The part's bytes; XML-ish parts are checked for DOCTYPE/ENTITY first."""
        stored = self.find(name)
        if stored is None:
            raise KeyError(name)
        data = self._changed.get(stored)
        if data is None:
            ahead = self._reading.pop(stored, None)
            try:
                data = ahead.result() if ahead is not None else self._inflate(stored)
            except (zipfile.BadZipFile, zlib.error, OSError) as exc:
                raise LedgerReadError(f"{self.source} 的部件 {stored} 已损坏（{exc}）。",
                                      f"part {stored} of {self.source} is damaged ({exc}).",
                                      file=str(self.path)) from None
        if _is_xml(stored):
            check_part(stored, data, self.source)
        return data

    def _inflate(self, stored: str) -> bytes:
        with open(self.path, "rb") as source:
            return zipcodec.inflate_entry(self._zip, self._infos[stored], source)

    def read_ahead(self, name: str) -> None:
        """Start inflating part ``name`` on a worker thread, for a :meth:`read` that follows
        soon: the caller works on one sheet while the next one is inflated (the inflater
        releases the GIL). Nothing is checked here; :meth:`read` checks as always."""
        stored = self.find(name)
        if stored is not None and stored not in self._changed and stored not in self._reading:
            self._reading[stored] = self._executor().submit(self._inflate, stored)

    def _executor(self) -> ThreadPoolExecutor:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=os.cpu_count() or 1)
        return self._pool

    def changed(self, name: str) -> bool:
        return name in self._changed

    # -- changing ------------------------------------------------------------------------
    def write(self, name: str, data: bytes) -> None:
        """Replace a part, or add it after the existing ones.

        A big part starts deflating at once on a worker thread (zlib and ISA-L release the GIL),
        so the compression of one sheet runs beside the Python work that builds the next one
        instead of all of it waiting for :meth:`save`; a part written again is deflated again."""
        stored = self.find(name) or name.lstrip("/")
        if stored not in self._order:
            self._order.append(stored)
            self._by_lower[stored.lower()] = stored
        self._changed[stored] = data
        self._reading.pop(stored, None)
        self._deflating.pop(stored, None)
        if len(data) >= _EAGER_BYTES:
            self._deflating[stored] = self._deflate(stored)

    def remove(self, name: str) -> None:
        stored = self.find(name)
        if stored is not None:
            self._order.remove(stored)
            self._changed.pop(stored, None)
            self._deflating.pop(stored, None)
            self._by_lower.pop(stored.lower(), None)

    def free_name(self, pattern: str) -> str:
        """The first ``pattern.format(n)`` (n = 1, 2, …) that is not a part yet."""
        n = 1
        while self.has(pattern.format(n)):
            n += 1
        return pattern.format(n)

    # -- writing -------------------------------------------------------------------------
    def save(self, dst: str | os.PathLike[str]) -> None:
        """Write the package to ``dst`` atomically (never opens the source for writing)."""
        with atomic_output(dst) as tmp:  # --out may name a new folder; a failure leaves nothing
            with open(tmp, "wb") as out, open(self.path, "rb") as source:
                self._write_zip(out, source)
            os.chmod(tmp, stat.S_IMODE(os.stat(self.path).st_mode) | stat.S_IWUSR | stat.S_IRUSR)

    def _deflate(self, stored: str) -> Future[_Entry]:
        return self._executor().submit(_Entry.deflated, self._changed[stored], self._infos.get(stored))

    def _write_zip(self, out, source) -> None:
        # Every changed part is deflated on the package's worker threads (zlib and ISA-L release
        # the GIL): the big ones since they were written, the rest now, all cores at once.
        deflated = {name: self._deflating.get(name) or self._deflate(name) for name in self._order
                    if name in self._changed}
        write_entries(out, ((name, deflated[name].result() if name in deflated else _Entry.raw(self._infos[name], source))
                            for name in self._order))


def write_entries(out, entries: Iterable[tuple[str, _Entry]]) -> None:
    """A whole zip file on ``out``: each (name, entry) in order, then the central directory."""
    central: list[bytes] = []
    for name, entry in entries:
        offset = out.tell()
        encoded, flags = _encode_name(name)
        flags |= entry.flags
        out.write(_LOCAL.pack(b"PK\x03\x04", 20, flags, entry.method, *entry.dos_time, entry.crc,
                              len(entry.payload), entry.size, len(encoded), 0))
        out.write(encoded)
        out.write(entry.payload)
        if max(offset, len(entry.payload), entry.size) > _ZIP32_LIMIT:
            raise LedgerReadError("输出文件超过 4 GB，无法写入。", "The output would exceed 4 GB; not written.")
        central.append(_CENTRAL.pack(b"PK\x01\x02", entry.made_by, 20, flags, entry.method, *entry.dos_time,
                                     entry.crc, len(entry.payload), entry.size, len(encoded), 0, 0, 0,
                                     entry.internal_attr, entry.external_attr, offset) + encoded)
    start = out.tell()
    for record in central:
        out.write(record)
    size = out.tell() - start
    if len(central) > 0xFFFF:
        raise LedgerReadError("输出文件部件过多，无法写入。", "The output would hold too many parts; not written.")
    out.write(_END.pack(b"PK\x05\x06", 0, 0, len(central), len(central), size, start, 0))


class _Entry:
    """One zip entry's header fields and stored (compressed) payload."""

    __slots__ = ("payload", "crc", "size", "method", "dos_time", "flags", "made_by", "internal_attr",
                 "external_attr")

    def __init__(self, payload: bytes, crc: int, size: int, method: int, date_time: tuple, flags: int,
                 made_by: int, internal_attr: int, external_attr: int) -> None:
        self.payload, self.crc, self.size, self.method = payload, crc, size, method
        year, month, day, hour, minute, second = date_time
        self.dos_time = ((hour << 11) | (minute << 5) | (second // 2), ((max(year, 1980) - 1980) << 9) | (month << 5) | day)
        self.flags, self.made_by = flags, made_by
        self.internal_attr, self.external_attr = internal_attr, external_attr

    @classmethod
    def raw(cls, info: zipfile.ZipInfo, source) -> _Entry:
        """The entry exactly as stored in the source: compressed bytes copied, not re-deflated."""
        try:
            payload = zipcodec.stored_payload(info, source)
        except zipfile.BadZipFile as exc:
            raise LedgerReadError(f"压缩包条目 {info.filename} 已损坏或不完整。", f"{exc}.") from None
        # Keep only the deflate-option bits; sizes are in the header we write (no data descriptor).
        return cls(payload, info.CRC, info.file_size, info.compress_type, info.date_time, info.flag_bits & 0x6,
                   (info.create_system << 8) | 20, info.internal_attr, info.external_attr)

    @classmethod
    def deflated(cls, data: bytes, info: zipfile.ZipInfo | None) -> _Entry:
        """``data`` deflated, stamped as the source's part ``info`` (None: a new part, dated
        1980-01-01 like every part Excel writes)."""
        if info is None:
            stamp = (_NEW_PART_TIME, 0, (3 << 8) | 20, 0, 0o100644 << 16)
        else:
            stamp = (info.date_time, 0, (info.create_system << 8) | 20, info.internal_attr, info.external_attr)
        return cls(zipcodec.deflate(data), zipcodec.crc32(data), len(data), zipfile.ZIP_DEFLATED, *stamp)


def _encode_name(name: str) -> tuple[bytes, int]:
    try:
        return name.encode("ascii"), 0
    except UnicodeEncodeError:
        return name.encode("utf-8"), _UTF8_FLAG


def _is_xml(name: str) -> bool:
    lower = name.lower()
    return lower.endswith((".xml", ".rels", ".vml"))


def rels_part(part: str) -> str:
    """xl/worksheets/sheet1.xml → xl/worksheets/_rels/sheet1.xml.rels"""
    folder, base = posixpath.split(part)
    return posixpath.join(folder, "_rels", base + ".rels")


def resolve_target(source_part: str, target: str) -> str:
    """A relationship target made into a part name (absolute "/xl/..." or relative to the source)."""
    if target.startswith("/"):
        return posixpath.normpath(target.lstrip("/"))
    return posixpath.normpath(posixpath.join(posixpath.dirname(source_part), target))


def relative_target(source_part: str, part: str) -> str:
    """The relative target that :func:`resolve_target` turns back into ``part``."""
    return posixpath.relpath(part, posixpath.dirname(source_part) or ".")


def iter_parts(package: Package, suffix: str) -> Iterator[str]:
    lower = suffix.lower()
    return (name for name in package.names() if name.lower().endswith(lower))
