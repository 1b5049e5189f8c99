"""The library front door: what each CLI command and Excel button calls.

Light on purpose: pandas and the rules are imported by :func:`read_ledger` while the reader
threads parse the workbooks (calamine parses without holding the GIL), not before the read
starts; the commands take care that nothing imports pandas before (the ``--as-of`` date is
parsed without it).
"""

from __future__ import annotations

import datetime as dt
import importlib
import os
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kaxl.reading.ledger import Ledger
    from kaxl.sop.engine import CheckResult

Paths = Sequence[str | os.PathLike[str]] | str | os.PathLike[str]
CHECK_MODULES = ("kaxl.sop.engine", "kaxl.reading.ledger", "kaxl.validators.schema", "kaxl.validators.references",
                 "kaxl.contract.settings", "kaxl.contract.calendar", "kaxl.sop.enrich", "kaxl.sop.kpis")


def check_files(paths: Paths, as_of: dt.date, progress: Callable[[str], None] | None = None, *,
                prepare: Sequence[str] = ()) -> CheckResult:
    """Read the ledgers once and run every check on them as one portfolio.

    ``progress``, when given, is called with ``"read"`` and then ``"check"`` as each stage starts
    (the CLI shows them on a terminal; see :mod:`kaxl.progress`). ``prepare`` names modules the
    caller will use next (the summary writer, say): they are imported during the read as well.
    """
    ledger = read_ledger(paths, progress, prepare=prepare)
    from kaxl.sop.engine import run_check  # after the read: imported during it (it needs pandas)

    if progress:
        progress("check")
    return run_check(ledger, as_of)


def read_ledger(paths: Paths, progress: Callable[[str], None] | None = None, *,
                prepare: Sequence[str] = ()) -> Ledger:
    """The ledgers read once and typed, as one portfolio (the first step of :func:`check_files`).

    Each sheet is typed as soon as calamine has read it, while it parses the others; the
    check's modules (and ``prepare``) are imported meanwhile.
    """
    from kaxl.reading.workbook import load_workbooks

    if progress:
        progress("read")
    typer = None

    def meanwhile() -> None:
        nonlocal typer
        prepare_check(prepare)
        from kaxl.reading.ledger import SheetTyper

        typer = SheetTyper()

    workbooks = load_workbooks(paths, meanwhile=meanwhile, ready=lambda file, sheet: typer.add(file, sheet))
    assert typer is not None
    return typer.ledger(workbooks)


def prepare_check(also: Sequence[str] = ()) -> None:
    """Import every module the check uses (and ``also``) and set pandera up for validating.

    Only time moves: the same work would happen on first use. pandera registers its backends
    (and imports its strategy modules) on the first ``validate``, so an empty frame is validated.
    """
    from kaxl.sop.engine import SOP_MODULES
    from kaxl.validators.schema import prepare_schemas

    for name in (*CHECK_MODULES, *SOP_MODULES, *also):
        importlib.import_module(name)
    prepare_schemas()
