"""The library front door: what each CLI command and Excel button calls.

Light on purpose: pandas and the rules are imported by :func:`read_ledger` on the main thread
*while* the reader threads parse the workbooks (calamine parses without holding the GIL), not
before the read starts; the commands take care that nothing imports pandas before (the
``--as-of`` date is parsed without it). pandera is set up there too, unless the check will fork:
its child validates the schemas and loads pandera itself (see :func:`prepare_check`).
"""

from __future__ import annotations

import datetime as dt
import importlib
import os
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kaxl.engine import CheckResult, Findings
    from kaxl.ledger import Ledger

CHECK_MODULES = ("kaxl.engine", "kaxl.ledger", "kaxl.validators.schema", "kaxl.validators.references",
                 "kaxl.settings", "kaxl.workdays", "kaxl.enrich", "kaxl.kpis")


def check_files(paths: Sequence[str | os.PathLike[str]] | str | os.PathLike[str], as_of: dt.date,
                progress: Callable[[str], None] | None = None, *, prepare: Sequence[str] = ()) -> CheckResult:
    """Read the ledgers once and run every check on them as one portfolio.

    ``progress``, when given, is called with ``"read"`` and then ``"check"`` as each stage starts
    (the CLI shows them on a terminal; see :mod:`kaxl.progress`). ``prepare`` names modules the
    caller will use next (the summary writer, say): they are imported during the read as well.
    """
    ledger = read_ledger(paths, progress, prepare=prepare)
    from kaxl.engine import run_check  # after the read: imported during it (it needs pandas)

    if progress:
        progress("check")
    return run_check(ledger, as_of)


def check_files_findings(paths: Sequence[str | os.PathLike[str]] | str | os.PathLike[str], as_of: dt.date,
                         progress: Callable[[str], None] | None = None, *, prepare: Sequence[str] = ()) -> Findings:
    """:func:`check_files` up to the findings (:func:`kaxl.engine.check_findings`): for the
    writers that compute the rest beside their own first work (summary, annotated copy)."""
    ledger = read_ledger(paths, progress, prepare=prepare)
    from kaxl.engine import check_findings  # after the read: imported during it (it needs pandas)

    if progress:
        progress("check")
    return check_findings(ledger, as_of)


def read_ledger(paths: Sequence[str | os.PathLike[str]] | str | os.PathLike[str],
                progress: Callable[[str], None] | None = None, *, prepare: Sequence[str] = ()) -> Ledger:
    """The ledgers read once and typed, as one portfolio (the first step of :func:`check_files`).

    Each sheet is typed as soon as calamine has read it, while it parses the others; the
    check's modules (and ``prepare``) are imported meanwhile.
    """
    from kaxl.gcpause import paused_gc
    from kaxl.workbook import load_workbooks

    if progress:
        progress("read")
    typer = None

    def meanwhile() -> None:
        nonlocal typer
        prepare_check(prepare)
        from kaxl.ledger import SheetTyper

        typer = SheetTyper()

    with paused_gc():  # millions of cell values, none of them cyclic garbage: no collector passes
        # each sheet is typed as soon as calamine has read it, while it parses the others
        workbooks = load_workbooks(paths, meanwhile=meanwhile, ready=lambda file, sheet: typer.add(file, sheet))
        assert typer is not None
        return typer.ledger(workbooks)


def prepare_check(also: Sequence[str] = (), *, schemas: bool | None = None) -> None:
    """Import every module the check uses (and ``also``) and set pandera up for validating.

    Only time moves: the same work would happen on first use. pandera registers its backends
    (and imports its strategy modules) on the first ``validate``, so an empty frame is validated.

    ``schemas`` (default: unless the check will fork its side job) sets pandera up here. A
    forked check validates the schemas in its child (:func:`kaxl.engine.check_findings`), which
    then imports pandera itself: done here, during the read, pandera's ~0.6 s would be spent on
    this process's main thread, which types every sheet after calamine has parsed them all — the
    read's critical path — for a library this process never uses.
    """
    from kaxl import sidejob
    from kaxl.engine import SOP_MODULES

    for name in (*CHECK_MODULES, *SOP_MODULES, *also):
        importlib.import_module(name)
    if schemas is None:
        schemas = not sidejob.fork_planned()
    if schemas:
        from kaxl.validators.schema import prepare_schemas

        prepare_schemas()
