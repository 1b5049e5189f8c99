"""The dashboard's KPI tiles and the Managers tab's KPI columns, re-opened with python-calamine
(text, numbers) and openpyxl (fills): the second wave's KPIs (SPEC §7) get a second row of tiles
when their sheets are kept, csat_avg is shown in points, and a KPI with no value is a grey tile
with —, never 0 % and never amber."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from openpyxl import load_workbook
from python_calamine import CalamineWorkbook

from kaxl.api import check_files
from kaxl.reports.summary import RAG_FILL, write_summary
from kaxl.samples.generator import make_sample, write_sample
from tests.ledger_factory import d, write_ledger

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample_ledgers" / "kaxl-sample.xlsx"
AS_OF = dt.date(2026, 11, 16)
NOW = dt.datetime(2026, 11, 16, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
DASH = "概览 Dashboard"
SECOND = ["visit_cadence_rate", "delivery_on_time_rate", "csat_avg", "health_ok_rate", "complaint_on_time_rate",
          "renewal_rate"]


def _summary(ledger: Path, out: Path) -> tuple[Path, object]:
    result = check_files([ledger], AS_OF)
    return write_summary(result, out, sources=[str(ledger)], generated_at=NOW), result


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    return _summary(SAMPLE, tmp_path_factory.mktemp("t") / "summary.xlsx")


def cells(path: Path, name: str) -> list[list]:
    return CalamineWorkbook.from_path(str(path)).get_sheet_by_name(name).to_python(skip_empty_area=False)


def tile_row(sheet: list[list], top: int) -> list[list]:
    """(label, value, target, status) of each tile whose label starts at row ``top`` (0-based)."""
    return [[sheet[top + k][col] for k in range(4)] for col in range(1, len(sheet[top]), 3) if sheet[top][col]]


def fill(path: Path, name: str, row: int, col: int) -> str:
    """The fill colour (RRGGBB) of a cell, 0-based row and column."""
    cell = load_workbook(path)[name].cell(row + 1, col + 1)
    return str(cell.fill.fgColor.rgb)[-6:]


def test_second_row_of_tiles_for_the_after_sale_and_field_kpis(sample):
    path, result = sample
    sheet = cells(path, DASH)
    first, second = tile_row(sheet, 4), tile_row(sheet, 9)
    assert [t[0].split("\n")[0] for t in first] == ["成单转化率", "平均销售周期", "按期回款率（按金额）", "节点按时完成率",
                                                    "逾期应收金额"]
    assert [t[0] for t in second] == [f"{result.kpis[k]['label_zh']}\n{result.kpis[k]['label_en']}" for k in SECOND]
    by_key = dict(zip(SECOND, second))
    csat = result.kpis["csat_avg"]
    assert by_key["csat_avg"][1] == pytest.approx(csat["value"])
    assert by_key["csat_avg"][2] == "目标 target 85 分 points"
    assert by_key["delivery_on_time_rate"][1] == pytest.approx(result.kpis["delivery_on_time_rate"]["value"])
    assert by_key["complaint_on_time_rate"][3] == "红 red"
    # the sample's contracts never end: renewal_rate has no value — a grey tile, not 0 % and not amber
    assert result.kpis["renewal_rate"]["value"] is None
    assert by_key["renewal_rate"][1:] == ["—", "目标 target 80%", "无数据 no data"]
    col = 1 + 3 * SECOND.index("renewal_rate")
    assert fill(path, DASH, 10, col) == RAG_FILL["grey"].lstrip("#")
    assert fill(path, DASH, 10, 1 + 3 * SECOND.index("csat_avg")) == RAG_FILL["amber"].lstrip("#")
    # the charts' data moved down under the second row
    assert sheet[47][1].startswith("图表数据 Chart data")


def test_points_format_on_the_csat_tile(sample):
    path, _ = sample
    cell = load_workbook(path)[DASH].cell(11, 1 + 1 + 3 * SECOND.index("csat_avg"))
    assert cell.number_format == '0.0 "分"'


def test_managers_tab_has_the_second_wave_kpi_columns(sample):
    path, result = sample
    sheet = cells(path, "销售经理 Managers")
    header = sheet[2]
    for key in SECOND:
        kpi = result.kpis[key]
        assert f"{kpi['label_zh']} {kpi['label_en']}" in header, key
    csat_col = header.index(f"{result.kpis['csat_avg']['label_zh']} {result.kpis['csat_avg']['label_en']}")
    rows = {r[0]: r for r in sheet[3:] if r[0]}
    for manager, kpis in result.kpis_by_manager.items():
        value = kpis["csat_avg"]["value"]
        assert (rows[manager][csat_col] in ("", None)) if value is None else rows[manager][csat_col] == pytest.approx(value)
    assert any(isinstance(r[csat_col], float) for r in rows.values())


def test_no_second_row_without_the_optional_sheets(tmp_path):
    ledger = write_sample(make_sample(40, 7, core_only=True), tmp_path / "core.xlsx")
    path, _ = _summary(ledger, tmp_path / "s.xlsx")
    sheet = cells(path, DASH)
    assert not any(sheet[9][1:]) and sheet[42][1].startswith("图表数据 Chart data")
    header = cells(path, "销售经理 Managers")[2]
    assert not any(h.startswith(("客户满意度", "交付里程碑", "重点客户")) for h in header if isinstance(h, str))


def test_only_the_tiles_of_the_kept_sheets(tmp_path):
    """A workbook with a health sheet (and no delivery, issues or visits): csat, health and renewal."""
    ledger = write_ledger(tmp_path / "h.xlsx", {
        "projects": [{"project_id": "KA-2026-0001", "customer": "甲公司", "account_manager": "张伟", "stage": "payment",
                      "status": "won", "lead_date": d("2026-01-05"), "estimated_amount": 1000000}],
        "health": [{"customer": "甲公司", "assessed_date": d("2026-10-01"), "usage": 90, "value": 90,
                    "relationship": 90, "csat": 92}]})
    path, result = _summary(ledger, tmp_path / "s.xlsx")
    second = tile_row(cells(path, DASH), 9)
    assert [t[0].split("\n")[0] for t in second] == ["客户满意度均值", "健康度达标客户占比", "到期合同续签率"]
    assert second[0][1] == 92 and second[0][3] == "绿 green"
    assert second[1][1] == 1 and second[2][1] == "—"


def test_a_first_wave_tile_with_no_value_is_grey_too(tmp_path):
    """One project, nothing won or lost, no contract: no win rate, no cycle, no collection rate."""
    ledger = write_ledger(tmp_path / "one.xlsx", {"projects": [
        {"project_id": "KA-2026-0001", "customer": "甲公司", "account_manager": "张伟", "stage": "initiation",
         "status": "active", "lead_date": d("2026-11-10"), "estimated_amount": 100000}]})
    path, result = _summary(ledger, tmp_path / "s.xlsx")
    first = tile_row(cells(path, DASH), 4)
    assert result.kpis["win_rate"]["value"] is None
    assert first[0][1] == "—" and first[0][3] == "无数据 no data"
    assert fill(path, DASH, 5, 1) == RAG_FILL["grey"].lstrip("#")
    assert not any(cells(path, DASH)[9][1:])  # no optional sheet: one row of tiles
