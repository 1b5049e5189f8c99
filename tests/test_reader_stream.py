"""Sheets typed as they arrive from the reader give the same ledger as typing them afterwards."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd

from kaxl.reading.ledger import SheetTyper, build_ledger
from kaxl.reading.workbook import load_workbooks

SAMPLE = Path(__file__).resolve().parents[1] / "sample_ledgers" / "kaxl-sample.xlsx"


def _same(a, b) -> None:
    assert a.findings == b.findings
    assert a.sources == b.sources
    for key in a.frames:
        pd.testing.assert_frame_equal(a.frames[key], b.frames[key])
        pd.testing.assert_frame_equal(a.raw[key], b.raw[key])
        pd.testing.assert_frame_equal(a.extras[key], b.extras[key])


def test_typing_on_arrival_equals_typing_afterwards_for_a_portfolio(tmp_path: Path) -> None:
    second = shutil.copy(SAMPLE, tmp_path / "华南台账.xlsx")
    paths = [str(SAMPLE), str(second)]
    typer = SheetTyper()
    arrived: list[tuple[str, str, int]] = []

    def ready(file: str, sheet) -> None:
        arrived.append((file, sheet.title, len(sheet.errors) + len(sheet.uncached_formulas)))
        typer.add(file, sheet)

    workbooks = load_workbooks(paths, meanwhile=lambda: None, ready=ready)
    streamed = typer.ledger(workbooks)
    _same(streamed, build_ledger(load_workbooks(paths)))
    # every sheet of both files came through, each with its error cells and uncached formulas found
    assert sorted((f, t) for f, t, _ in arrived) == sorted((f, s.title) for f, sheets in workbooks for s in sheets)
    assert sum(facts for _, _, facts in arrived) == 2, "each file's uncached formula reaches the typer"
    # the second file's rows point at the second source of each sheet
    assert set(streamed.frames["projects"]["_src"]) == {0, 1}
    assert [s.file for s in streamed.sources["projects"]] == paths


def test_a_second_sheet_for_the_same_ledger_sheet_is_typed_but_not_used(tmp_path: Path) -> None:
    typer = SheetTyper()
    workbooks = load_workbooks([SAMPLE], ready=typer.add)
    (file, sheets), = workbooks
    projects = next(s for s in sheets if s.title.startswith("项目台账"))
    twin = type(projects)("Projects", projects.rows[:2], projects.first_row, projects.first_col)
    typer.add(file, twin)  # same ledger sheet under its English name, after the real one
    doubled = [(file, [*sheets, twin])]
    _same(typer.ledger(doubled), build_ledger(doubled))
    assert len(typer.ledger(doubled).frames["projects"]) == len(build_ledger(workbooks).frames["projects"])
