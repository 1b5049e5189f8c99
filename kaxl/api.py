"""The library front door: what each CLI command and Excel button calls.

Light on purpose: importing this module imports no pandas (the Excel buttons' first press,
``kaxl --help``); :func:`read_ledger` imports what the check needs, then reads.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kaxl.reading.ledger import Ledger
    from kaxl.sop.engine import CheckResult

Paths = Sequence[str | os.PathLike[str]] | str | os.PathLike[str]


def check_files(paths: Paths, as_of: dt.date, progress: Callable[[str], None] | None = None, *,
                kpis: bool = True) -> CheckResult:
    """Read the ledgers once and run every check on them as one portfolio.

    ``kpis=False``: the result's KPIs are left empty (see :func:`kaxl.sop.engine.run_check`).

    ``progress``, when given, is called with ``"read"`` and then ``"check"`` as each stage starts
    (the CLI shows them on a terminal; see :mod:`kaxl.progress`).
    """
    ledger = read_ledger(paths, progress)
    from kaxl.sop.engine import run_check

    if progress:
        progress("check")
    return run_check(ledger, as_of, kpis=kpis)


def read_ledger(paths: Paths, progress: Callable[[str], None] | None = None) -> Ledger:
    """The ledgers read once and typed, as one portfolio (the first step of :func:`check_files`)."""
    if progress:
        progress("read")
    from kaxl.reading import ledger

    return ledger.read_ledger(paths)
