"""A minimal MS-CFB (Compound File Binary, version 3) writer for ``vbaProject.bin``.

A VBA project is an OLE compound file: a FAT-based little file system of storages and streams.
We only ever write a small, fresh one, so this writer does the simple thing the spec allows:
512-byte sectors, streams under 4096 bytes in the mini stream (64-byte mini sectors), the
directory as a balanced red-black tree, no DIFAT sectors (109 FAT sectors address 7 MB, far
beyond a VBA project). Output is deterministic — no timestamps, no random CLSIDs — so the same
project always gives the same bytes, and a test can pin it.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Mapping
from dataclasses import dataclass, field

SECTOR = 512
MINI_SECTOR = 64
MINI_CUTOFF = 4096
FREESECT, ENDOFCHAIN, FATSECT = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD
NOSTREAM = 0xFFFFFFFF
SIGNATURE = bytes.fromhex("D0CF11E0A1B11AE1")
STORAGE, STREAM, ROOT = 1, 2, 5
RED, BLACK = 0, 1


@dataclass
class _Entry:
    name: str
    kind: int
    data: bytes = b""
    children: dict[str, _Entry] = field(default_factory=dict)
    sid: int = 0
    left: int = NOSTREAM
    right: int = NOSTREAM
    child: int = NOSTREAM
    color: int = BLACK
    start: int = ENDOFCHAIN
    size: int = 0


def write_cfb(streams: Mapping[str, bytes]) -> bytes:
    """A compound file holding ``streams``, keyed by path (``"VBA/dir"``; storages implied)."""
    root = _Entry("Root Entry", ROOT)
    for path, data in streams.items():
        *storages, name = path.split("/")
        node = root
        for part in storages:
            node = node.children.setdefault(part, _Entry(part, STORAGE))
        node.children[name] = _Entry(name, STREAM, bytes(data))
    entries = _number(root)

    # Mini stream: every small stream, each padded to whole 64-byte mini sectors.
    mini_fat: list[int] = []
    mini = bytearray()
    big: list[_Entry] = []
    for entry in entries:
        if entry.kind != STREAM:
            continue
        entry.size = len(entry.data)
        if entry.size >= MINI_CUTOFF:
            big.append(entry)
        elif entry.size:
            count = math.ceil(entry.size / MINI_SECTOR)
            entry.start = len(mini_fat)
            mini_fat += [len(mini_fat) + i + 1 for i in range(count - 1)] + [ENDOFCHAIN]
            mini += entry.data.ljust(count * MINI_SECTOR, b"\0")

    # Regular sectors: big streams, the mini stream, the mini FAT, the directory, then the FAT.
    body: list[bytes] = []
    fat: list[int] = []

    def allocate(data: bytes, marker: int | None = None) -> int:
        if not data:
            return ENDOFCHAIN
        first = len(fat)
        count = math.ceil(len(data) / SECTOR)
        fat.extend(marker if marker is not None else first + i + 1 for i in range(count))
        if marker is None:
            fat[-1] = ENDOFCHAIN
        body.append(data.ljust(count * SECTOR, b"\0"))
        return first

    for entry in big:
        entry.start = allocate(entry.data)
    root.start, root.size = allocate(bytes(mini)), len(mini)
    mini_fat_bytes = struct.pack(f"<{len(mini_fat)}I", *mini_fat)
    mini_fat_bytes += b"\xff" * (-len(mini_fat_bytes) % SECTOR)
    mini_fat_start = allocate(mini_fat_bytes) if mini_fat else ENDOFCHAIN
    directory = b"".join(_dir_entry(e) for e in entries)
    directory += _dir_entry(None) * (-len(entries) % (SECTOR // 128))
    dir_start = allocate(directory)

    fat_sectors = 0
    while math.ceil((len(fat) + fat_sectors) / (SECTOR // 4)) > fat_sectors:
        fat_sectors += 1
    if fat_sectors > 109:  # pragma: no cover - a VBA project is never 7 MB
        raise ValueError("compound file too large for a header-only DIFAT")
    fat_start = len(fat)
    fat += [FATSECT] * fat_sectors
    fat += [FREESECT] * (fat_sectors * (SECTOR // 4) - len(fat))
    body.append(struct.pack(f"<{len(fat)}I", *fat))

    difat = [fat_start + i for i in range(fat_sectors)] + [FREESECT] * (109 - fat_sectors)
    header = (SIGNATURE + bytes(16)
              + struct.pack("<HHHHH6s9I", 0x003E, 0x0003, 0xFFFE, 9, 6, bytes(6), 0, fat_sectors, dir_start,
                            0, MINI_CUTOFF, mini_fat_start, math.ceil(len(mini_fat) / (SECTOR // 4)), ENDOFCHAIN, 0)
              + struct.pack("<109I", *difat))
    assert len(header) == SECTOR
    return header + b"".join(body)


def _number(root: _Entry) -> list[_Entry]:
    """Give every entry its directory index and build each storage's red-black sibling tree."""
    entries = [root]

    def visit(storage: _Entry) -> None:
        kids = sorted(storage.children.values(), key=_order)
        for kid in kids:
            kid.sid = len(entries)
            entries.append(kid)
        storage.child = _tree(kids, 0, len(kids), 1, _depth(len(kids)))
        for kid in kids:
            if kid.kind == STORAGE:
                visit(kid)

    visit(root)
    return entries


def _order(entry: _Entry) -> tuple[int, str]:
    """MS-CFB 2.6.4: shorter names first, then by upper-cased name."""
    return len(entry.name), entry.name.upper()


def _depth(count: int) -> int:
    return count.bit_length()  # depth of a balanced tree of ``count`` nodes


def _tree(kids: list[_Entry], lo: int, hi: int, depth: int, max_depth: int) -> int:
    """A balanced binary search tree of kids[lo:hi]; the deepest level of an incomplete tree is
    red, so every path from the root to a leaf passes the same number of black nodes."""
    if lo >= hi:
        return NOSTREAM
    mid = (lo + hi) // 2
    node = kids[mid]
    perfect = len(kids) + 1 == 1 << max_depth
    node.color = RED if depth == max_depth and not perfect else BLACK
    node.left = _tree(kids, lo, mid, depth + 1, max_depth)
    node.right = _tree(kids, mid + 1, hi, depth + 1, max_depth)
    return node.sid


def _dir_entry(entry: _Entry | None) -> bytes:
    """One 128-byte directory entry (an unused one for None)."""
    if entry is None:
        return bytes(64) + struct.pack("<HBBIII16sIQQIQ", 0, 0, 0, NOSTREAM, NOSTREAM, NOSTREAM, bytes(16), 0, 0, 0, 0, 0)
    name = entry.name.encode("utf-16-le")
    if len(name) > 62:
        raise ValueError(f"compound file names are at most 31 characters: {entry.name}")
    start = entry.start if entry.kind != STORAGE else 0
    size = entry.size if entry.kind != STORAGE else 0
    return (name.ljust(64, b"\0")
            + struct.pack("<HBBIII16sIQQIQ", len(name) + 2, entry.kind, entry.color, entry.left, entry.right,
                          entry.child, bytes(16), 0, 0, 0, start, size))
