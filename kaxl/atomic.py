"""Every file kaxl writes goes through here: a temp file beside the target, then ``os.replace``.

A reader of the target (Excel, a mail client, a second kaxl) sees the old file or the complete
new one, never half of one; a failure leaves the target as it was and no temp file behind. The
user's ledger is never a target (the commands check that before they get here).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def atomic_output(target: str | os.PathLike[str]) -> Iterator[Path]:
    """A temp path in the target's directory, moved over the target only if the block succeeds.

    The temp name keeps the target's extension (XlsxWriter checks it for .xlsm). The file is
    flushed to disk before the move. An OSError from making the folder or the temp file, or
    from the move itself (Windows refuses to replace a workbook open in Excel), names the
    target the user asked for, not the temp file.
    """
    target = Path(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.stem[:40]}.", suffix=target.suffix, dir=target.parent)
    except OSError as exc:
        raise _naming(exc, target) from exc
    os.close(fd)
    tmp = Path(tmp_name)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # mkstemp's 0600 would hide the file from colleagues
    try:
        yield tmp
        with open(tmp, "r+b") as written:
            os.fsync(written.fileno())
        try:
            os.replace(tmp, target)
        except OSError as exc:
            raise _naming(exc, target) from exc
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """``data`` as the whole content of ``path``, atomically."""
    with atomic_output(path) as tmp:
        tmp.write_bytes(data)


def atomic_write_text(path: str | os.PathLike[str], text: str) -> None:
    """``text`` (UTF-8) as the whole content of ``path``, atomically."""
    atomic_write_bytes(path, text.encode("utf-8"))


def _naming(exc: OSError, target: Path) -> OSError:
    return type(exc)(exc.errno, exc.strerror, str(target))
