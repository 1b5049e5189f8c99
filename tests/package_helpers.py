"""Helpers the package-level tests share: a workbook's parts, an XML part's element counts, and
LibreOffice's view of a workbook's macros (through tests/tools/lo_list_macros.py)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import zipfile
from collections import Counter
from pathlib import Path

LO_SCRIPT = Path(__file__).parent / "tools" / "lo_list_macros.py"
SYSTEM_PYTHON = "/usr/bin/python3"  # LibreOffice's uno module lives in the system Python


def parts(path: Path) -> dict[str, bytes]:
    """Every part of an OOXML package by name, as bytes."""
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in sorted(archive.namelist())}


def tags(xml: bytes) -> Counter:
    """How many elements of each tag an XML part holds (what "kept every element" compares)."""
    return Counter(re.findall(rb"<([A-Za-z_][\w.:-]*)", xml))


def libreoffice_ready() -> bool:
    if not shutil.which("soffice") or not os.path.exists(SYSTEM_PYTHON):
        return False
    return subprocess.run([SYSTEM_PYTHON, "-c", "import uno"], capture_output=True).returncode == 0


def libreoffice_modules(workbook: Path, profile: Path) -> dict[str, str]:
    """{module name: Basic source} of every library LibreOffice imported from the workbook."""
    done = subprocess.run([SYSTEM_PYTHON, str(LO_SCRIPT), str(workbook), str(profile)],
                          capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr
    libraries = json.loads(done.stdout.strip().splitlines()[-1])
    return {name: source for library in libraries.values() for name, source in library.items()}
