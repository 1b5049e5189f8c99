"""The library front door: what each CLI command and Excel button calls."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Sequence

from kaxl.engine import CheckResult, run_check
from kaxl.ledger import read_ledger


def check_files(paths: Sequence[str | os.PathLike[str]] | str | os.PathLike[str], as_of: dt.date,
                progress: Callable[[str], None] | None = None) -> CheckResult:
    """Read the ledgers once and run every check on them as one portfolio.

    ``progress``, when given, is called with ``"read"`` and then ``"check"`` as each stage starts
    (the CLI shows them on a terminal; see :mod:`kaxl.progress`).
    """
    if progress:
        progress("read")
    ledger = read_ledger(paths)
    if progress:
        progress("check")
    return run_check(ledger, as_of)
