"""Per-project field values (SPEC §7) in `kaxl check --json`: last visit, visits in the cadence
window, last in-person visit, cadence met (watched projects only), lead source, admission date —
blank when the sheet is absent, numbers as numbers, dates ISO."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys

from tests.field_cases import AS_OF, field_project, lead, visit
from tests.ledger_factory import d, write_ledger
from tests.sop_cases import merge, project_rows


def _check_json(path) -> dict:
    out = subprocess.run([sys.executable, "-m", "kaxl", "check", str(path), "--as-of", AS_OF.isoformat(), "--json"],
                         capture_output=True, text=True, check=False)
    assert out.returncode in (0, 1), out.stderr
    return {p["project_id"]: p for p in json.loads(out.stdout)["projects"]}


def test_values_in_check_json(tmp_path):
    rows = merge(
        field_project("seen", extra_visits=[
            visit("seen", kind="电话", visit_date=d("2026-11-14"), record_date=d("2026-11-14")),
            visit("seen", kind="视频", visit_date=AS_OF - dt.timedelta(days=30), record_date=AS_OF - dt.timedelta(days=30)),
            visit("seen", kind="电话", visit_date=AS_OF - dt.timedelta(days=31), record_date=AS_OF - dt.timedelta(days=31)),
            visit("seen", kind="面谈", visit_date=d("2026-11-25"), record_date=None, plan_date=d("2026-11-18"))],
            changes={"leads": [lead("seen", source="转介绍", result="培育", registered_date=d("2026-07-01"),
                                    admission_approved=None),
                               lead("seen", 2, source="exhibition", admission_approved=d("2026-08-06")),
                               lead("seen", 3, source="官网", admission_approved=d("2026-08-05"))]}),
        field_project("phoned", {"visits": [visit("phoned", kind="电话")], "leads": [lead("other")]}),
        field_project("unwatched", {"visits": [], "projects": {"tier": "B"}, "leads": []}),
    )
    got = _check_json(write_ledger(tmp_path / "l.xlsx", rows))
    seen = got["seen"]
    assert seen["last_visit"] == "2026-11-14" and seen["last_in_person_visit"] == "2026-11-10"
    assert seen["visits_recent"] == 3  # 11-10, 11-14 and the one exactly 30 days back; not 31, not the future one
    assert seen["cadence_met"] is True
    assert seen["lead_source"] == "exhibition" and seen["admission_date"] == "2026-08-05"
    phoned = got["phoned"]
    assert phoned["cadence_met"] is False and phoned["last_in_person_visit"] is None
    assert phoned["last_visit"] == "2026-11-10" and phoned["visits_recent"] == 1
    assert phoned["lead_source"] is None and phoned["admission_date"] is None
    unwatched = got["unwatched"]
    assert unwatched["cadence_met"] is None and unwatched["visits_recent"] == 0 and unwatched["last_visit"] is None


def test_blank_when_the_sheets_are_absent(tmp_path):
    got = _check_json(write_ledger(tmp_path / "l.xlsx", project_rows("p", stage="方案", status="进行中", as_of=AS_OF)))
    p = got["p"]
    for key in ("last_visit", "visits_recent", "last_in_person_visit", "cadence_met", "lead_source", "admission_date"):
        assert key in p and p[key] is None, key
