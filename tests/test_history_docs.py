"""docs/history.md is tested like code: every table and column of the schema is documented
(in the tables part, before the Views), and its example SQL runs on SQLite and PostgreSQL
against a real store and answers what it says."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from kaxl.api import check_files
from kaxl.history import schema
from kaxl.history.store import open_store, record_snapshot
from tests.history_helpers import SAMPLE

PAGE = (Path(__file__).resolve().parents[1] / "docs" / "history.md").read_text(encoding="utf-8")
TABLES_PART = PAGE.split("## Views")[0]


def _documented() -> dict[str, set[str]]:
    """{table: {columns}} from the "### `table`" sections' first column."""
    out = {}
    for table, body in re.findall(r"^### `([a-z_]+)`[^\n]*\n(.*?)(?=^### |\Z)", TABLES_PART, flags=re.M | re.S):
        out[table] = set(re.findall(r"^\| `([a-z_]+)` \|", body, flags=re.M))
    return out


def test_every_table_and_column_is_documented():
    documented = _documented()
    assert set(documented) == set(schema.metadata.tables)
    for name, table in schema.metadata.tables.items():
        assert documented[name] == {c.name for c in table.columns}, name
    assert PAGE.index("## Tables") < PAGE.index("## Views")


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, tmp_path):
    if request.param == "sqlite":
        return str(tmp_path / "kaxl-history.sqlite")
    return request.getfixturevalue("postgres_server")()


def test_the_example_queries_run(store_url):
    import datetime as dt

    queries = re.findall(r"```sql\n(.*?)```", PAGE, flags=re.S)
    assert len(queries) >= 4
    with open_store(store_url) as store:
        for day in (dt.date(2026, 11, 2), dt.date(2026, 11, 9), dt.date(2026, 11, 16), dt.date(2026, 11, 23)):
            record_snapshot(store, check_files(SAMPLE, day), "台账.xlsx")
        with store.engine.connect() as conn:
            answers = [conn.execute(sa.text(q)).all() for q in queries]
            counts = conn.execute(sa.text("SELECT as_of, error_count, warning_count, info_count FROM snapshots "
                                          "ORDER BY as_of")).all()
    assert all(answers), "every example answers something"
    by_severity = {(str(a)[:10], s): n for a, s, n in answers[0]}
    for as_of, errors, warnings, infos in counts:
        day = str(as_of)[:10]
        assert (by_severity.get((day, "error"), 0), by_severity.get((day, "warning"), 0),
                by_severity.get((day, "info"), 0)) == (errors, warnings, infos)
    assert {str(r[0])[:10] for r in answers[3]} == {"2026-11-02", "2026-11-09", "2026-11-16", "2026-11-23"}
    assert {str(r[3])[:10] for r in answers[4]} == {"2026-11-02"}  # open three weeks: since the first
