"""The library front door: what each CLI command and Excel button calls."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Sequence

from kaxl.engine import CheckResult, run_check
from kaxl.ledger import read_ledger


def check_files(paths: Sequence[str | os.PathLike[str]] | str | os.PathLike[str], as_of: dt.date) -> CheckResult:
    """Read the ledgers once and run every check on them as one portfolio."""
    return run_check(read_ledger(paths), as_of)
