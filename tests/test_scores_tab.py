"""The 评分 Scores tab of the annotated copy carries SPEC §7's per-project values when the
ledger keeps their sheets, and stays the tab it always was when it does not."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from click.testing import CliRunner
from python_calamine import CalamineWorkbook

from kaxl.api import check_files
from kaxl.cli import main
from kaxl.reports.marks import SCORES_COLUMNS, SCORES_TITLE

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_ledgers" / "kaxl-sample.xlsx"
AS_OF = "2026-11-16"


def scores(path: Path) -> list[list]:
    return CalamineWorkbook.from_path(str(path)).get_sheet_by_name(SCORES_TITLE).to_python()


def annotate(ledger: Path, out: Path) -> Path:
    run = CliRunner().invoke(main, ["annotate", str(ledger), "--as-of", AS_OF, "--out", str(out)])
    assert run.exit_code in (0, 1), run.output
    return out


@pytest.fixture(scope="module")
def sample_scores(tmp_path_factory) -> list[list]:
    return scores(annotate(SAMPLE, tmp_path_factory.mktemp("a") / "annotated.xlsx"))


def test_field_and_aftersale_values_follow_the_first_wave_columns(sample_scores) -> None:
    header = sample_scores[0]
    assert header[:len(SCORES_COLUMNS)] == [title for _, title in SCORES_COLUMNS]
    for title in ("客户健康度 Health", "未结问题 Open issues", "最近拜访 Last visit", "面谈达标 Cadence met",
                  "线索来源 Lead source", "KA准入 Admission date"):
        assert title in header


def test_the_values_are_the_checks_own(sample_scores) -> None:
    result = check_files([SAMPLE], dt.date.fromisoformat(AS_OF))
    header = sample_scores[0]
    by_id = {row[0]: dict(zip(header, row)) for row in sample_scores[1:]}
    projects = result.projects.set_index("project_id")
    health = projects["customer_health"].dropna()
    assert len(health) > 0
    for pid, value in health.items():
        assert by_id[pid]["客户健康度 Health"] == int(value)
    visited = projects["last_visit"].dropna()
    pid = visited.index[0]
    assert by_id[pid]["最近拜访 Last visit"] == visited.iloc[0].date()
    assert by_id[pid]["近期拜访 Recent visits"] == int(projects.loc[pid, "visits_recent"])


def test_a_first_wave_ledger_keeps_the_tab_it_had(tmp_path: Path) -> None:
    core = tmp_path / "core.xlsx"
    run = CliRunner().invoke(main, ["sample", "--projects", "12", "--seed", "3", "--core-only", "--out", str(core)])
    assert run.exit_code == 0, run.output
    header = scores(annotate(core, tmp_path / "annotated.xlsx"))[0]
    assert header == [title for _, title in SCORES_COLUMNS]
