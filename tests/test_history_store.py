"""The history store against SQLite and a real PostgreSQL server (issue 23's bar): rerun replaces,
two runs at once leave one whole snapshot, a store from a newer kaxl is refused untouched,
migrating a first-version store keeps its data, a corrupt file is refused and never replaced."""

from __future__ import annotations

import datetime as dt
import hashlib
import multiprocessing

import pandas as pd
import pytest
import sqlalchemy as sa

from kaxl.api import check_files
from kaxl.history import schema
from kaxl.history.frames import FINDING_COLUMNS, KPI_COLUMNS, PROJECT_COLUMNS, History
from kaxl.history.identity import snapshot_frames
from kaxl.history.store import (
    HistoryStoreError,
    Target,
    known_revisions,
    ledger_set_key,
    migrate,
    open_store,
    record_snapshot,
    resolve_target,
)
from tests.history_helpers import SAMPLE, as_of

SET = "台账.xlsx"


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, tmp_path):
    """Where a fresh, empty store lives: an SQLite file, or a new database on the throwaway server."""
    if request.param == "sqlite":
        return str(tmp_path / "kaxl-history.sqlite")
    return request.getfixturevalue("postgres_server")()


@pytest.fixture(scope="module")
def sample_result():
    return check_files([SAMPLE], as_of())


def synthetic(day: dt.date, tag: str, n: int) -> History:
    """A snapshot of ``n`` findings named after ``tag`` (to tell two writers' snapshots apart)."""
    when = pd.Timestamp(day)
    findings = pd.DataFrame({"as_of": when, "identity": [f"{tag}-{i}" for i in range(n)], "rule": "PAY-003",
                             "severity": "error", "project_id": [f"P{i}" for i in range(n)], "owner_role": "AM",
                             "owner": tag, "account_manager": tag, "cell": "回款台账!F2", "message_zh": "逾期",
                             "message_en": "overdue"}, columns=FINDING_COLUMNS)
    projects = pd.DataFrame({"as_of": when, "project_id": [f"P{i}" for i in range(n)], "customer": tag,
                             "stage": "proposal", "status": "active", "grade": "A", "tier": None,
                             "estimated_amount": 1.0, "expected_close": pd.NaT, "account_manager": tag,
                             "qualification_score": 80.0, "process_pct": 90.0}, columns=PROJECT_COLUMNS)
    kpis = pd.DataFrame([(when, "", "win_rate", float(n), 0.35, "green")], columns=KPI_COLUMNS)
    for frame in (findings, projects, kpis):
        frame["as_of"] = frame["as_of"].astype("datetime64[ns]")
    projects["expected_close"] = projects["expected_close"].astype("datetime64[ns]")
    return History(findings, projects, kpis)


def test_snapshot_round_trip_and_rerun_replaces(store_url, sample_result):
    with open_store(store_url) as store:
        written, history = record_snapshot(store, sample_result, SET)
        assert written and history.dates == [pd.Timestamp(as_of())]
        frames = snapshot_frames(sample_result)
        assert history.findings["identity"].tolist() == frames.findings["identity"].tolist()
        assert list(history.findings.columns) == FINDING_COLUMNS
        assert list(history.projects.columns) == PROJECT_COLUMNS and list(history.kpis.columns) == KPI_COLUMNS
        merged = history.projects.merge(frames.projects, on="project_id", suffixes=("", "_run"))
        assert len(merged) == len(frames.projects)
        assert (merged["stage"] == merged["stage_run"]).all()
        assert merged["estimated_amount"].equals(merged["estimated_amount_run"])
        assert (merged["expected_close"].fillna(pd.Timestamp(0)) == merged["expected_close_run"].fillna(pd.Timestamp(0))).all()
        stored = history.kpis.set_index(["scope", "name"]).sort_index()
        ran = frames.kpis.set_index(["scope", "name"]).sort_index()
        assert stored.index.equals(ran.index) and stored["value"].equals(ran["value"])
        assert stored["target"].equals(ran["target"])

        # the same ledger set and date again, with other content: one snapshot, the new one
        assert store.write_snapshot(SET, synthetic(as_of(), "again", 3))
        again = store.load_history(SET)
        assert again.findings["identity"].tolist() == ["again-0", "again-1", "again-2"]
        assert set(again.projects["project_id"]) == {"P0", "P1", "P2"} and len(again.kpis) == 1
        assert store.snapshot_dates(SET) == [as_of()]
        # replace=False keeps what is stored
        assert not store.write_snapshot(SET, synthetic(as_of(), "kept", 1), replace=False)
        assert store.load_history(SET).findings["identity"].tolist()[0] == "again-0"
        # another date adds a snapshot; another ledger set is another history
        store.write_snapshot(SET, synthetic(as_of() + dt.timedelta(days=7), "next", 2))
        store.write_snapshot("other.xlsx", synthetic(as_of(), "other", 4))
        both = store.load_history(SET)
        assert both.dates == [pd.Timestamp(as_of()), pd.Timestamp(as_of() + dt.timedelta(days=7))]
        assert both.findings["identity"].str.startswith(("again", "next")).all()
        assert sorted(store.ledger_sets()) == sorted([SET, "other.xlsx"])
    with open_store(store_url) as store:  # reopened: still there, still at the newest schema
        assert len(store.load_history(SET).findings) == 5
        assert _revision(store.engine) == known_revisions()[-1]


def _write_many(url: str, tag: str, n: int, times: int) -> None:
    with open_store(url) as store:
        for _ in range(times):
            store.write_snapshot(SET, synthetic(as_of(), tag, n))


def test_two_concurrent_runs_leave_one_whole_snapshot(store_url):
    """Two processes write the same snapshot over and over while a reader looks: every read sees
    all of one writer's snapshot, never a mix, never a half."""
    with open_store(store_url):
        pass  # migrated once, so both writers start from a ready store
    context = multiprocessing.get_context("spawn")
    writers = [context.Process(target=_write_many, args=(store_url, tag, n, 4)) for tag, n in (("A", 1500), ("B", 900))]
    for writer in writers:
        writer.start()
    seen: list[tuple[str, ...]] = []
    with open_store(store_url) as store:
        while any(w.is_alive() for w in writers):
            history = store.load_history(SET)
            tags = tuple(sorted({i.split("-")[0] for i in history.findings["identity"]}))
            if tags:
                n = len(history.findings)
                assert (tags, n) in ((("A",), 1500), (("B",), 900)), (tags, n)
                assert len(history.projects) == n and len(history.kpis) == 1
                seen.append(tags)
        assert seen  # the reader did look while they wrote
        for writer in writers:
            writer.join(120)
            assert writer.exitcode == 0
        final = store.load_history(SET)
        assert store.snapshot_dates(SET) == [as_of()]
        tags = {i.split("-")[0] for i in final.findings["identity"]}
        assert tags in ({"A"}, {"B"}) and len(final.findings) == {"A": 1500, "B": 900}[tags.pop()]
        with store.engine.connect() as conn:
            assert conn.execute(sa.select(sa.func.count()).select_from(schema.snapshots)).scalar() == 1
            assert conn.execute(sa.select(schema.snapshots.c.error_count)).scalar() == len(final.findings)


def _revision(engine: sa.Engine) -> str:
    with engine.connect() as conn:
        return conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()


def _fingerprint(url: str) -> object:
    """What a store holds, to show it was not touched: the file's bytes, or every table's rows."""
    target = resolve_target(url)
    if target.path is not None:
        return hashlib.sha256(target.path.read_bytes()).hexdigest()
    engine = sa.create_engine(target.url)
    try:
        with engine.connect() as conn:
            names = sorted(sa.inspect(conn).get_table_names())
            return {n: sorted(map(tuple, conn.execute(sa.text(f'SELECT * FROM "{n}"')).all()), key=repr) for n in names}
    finally:
        engine.dispose()


def test_a_store_from_a_newer_kaxl_is_refused_untouched(store_url):
    with open_store(store_url) as store:
        store.write_snapshot(SET, synthetic(as_of(), "old", 2))
        with store.engine.begin() as conn:
            conn.execute(sa.text("UPDATE alembic_version SET version_num = '0099'"))
    before = _fingerprint(store_url)
    with pytest.raises(HistoryStoreError) as raised:
        open_store(store_url)
    message = raised.value.bilingual()
    assert "更新版本的 kaxl" in message and "newer kaxl" in message and "0099" in message
    assert _fingerprint(store_url) == before


def test_migrating_a_first_version_store_keeps_its_data(store_url):
    target = resolve_target(store_url)
    engine = sa.create_engine(target.url)
    try:
        migrate(engine, target, to="0001")
        assert _revision(engine) == "0001"
        with engine.begin() as conn:  # rows as kaxl's first schema wrote them
            now = dt.datetime(2026, 11, 2, 9, tzinfo=dt.timezone.utc)
            conn.execute(sa.text("INSERT INTO ledger_sets (key, created_at) VALUES (:k, :t)"), {"k": SET, "t": now})
            conn.execute(sa.text("INSERT INTO snapshots (ledger_set_id, as_of, created_at, files, kaxl_version) "
                                 "VALUES (1, :d, :t, 'a.xlsx', '0.0.9')"), {"d": dt.date(2026, 11, 2), "t": now})
            for seq, severity in enumerate(("error", "error", "warning")):
                conn.execute(sa.text("INSERT INTO findings (snapshot_id, seq, identity, rule, severity, project_id) "
                                     "VALUES (1, :s, :i, 'PAY-003', :v, 'P1')"), {"s": seq, "i": f"id-{seq}", "v": severity})
            conn.execute(sa.text("INSERT INTO projects (snapshot_id, project_id, stage, estimated_amount, expected_close) "
                                 "VALUES (1, 'P1', 'bidding', 5.5, :c)"), {"c": dt.date(2026, 12, 1)})
            conn.execute(sa.text("INSERT INTO kpis (snapshot_id, scope, name, value, target, status) "
                                 "VALUES (1, '', 'win_rate', 0.5, 0.35, 'green')"))
            # a second week: id-1 fixed, id-3 new, P1 still bidding, P2 new
            conn.execute(sa.text("INSERT INTO snapshots (ledger_set_id, as_of, created_at, files, kaxl_version) "
                                 "VALUES (1, :d, :t, 'a.xlsx', '0.0.9')"), {"d": dt.date(2026, 11, 9), "t": now})
            for seq, (identity, severity) in enumerate((("id-0", "error"), ("id-2", "error"), ("id-3", "error"),
                                                        ("id-0", "warning"))):  # id-0 twice: one open problem
                conn.execute(sa.text("INSERT INTO findings (snapshot_id, seq, identity, rule, severity, project_id) "
                                     "VALUES (2, :s, :i, 'PAY-003', :v, 'P1')"), {"s": seq, "i": identity, "v": severity})
            for project in ("P1", "P2"):
                conn.execute(sa.text("INSERT INTO projects (snapshot_id, project_id, stage) VALUES (2, :p, 'bidding')"),
                             {"p": project})
        with sa.create_engine(target.url).connect() as conn:
            assert "error_count" not in {c["name"] for c in sa.inspect(conn).get_columns("snapshots")}
    finally:
        engine.dispose()
    with open_store(store_url) as store:
        assert _revision(store.engine) == known_revisions()[-1] == "0005"
        history = store.load_history(SET, until=dt.date(2026, 11, 2))
        assert history.findings["identity"].tolist() == ["id-0", "id-1", "id-2"]
        seen, since = store.snapshot_ages(SET, dt.date(2026, 11, 9))  # computed by the migration
        assert seen == [dt.date(2026, 11, 2), dt.date(2026, 11, 2), dt.date(2026, 11, 9), dt.date(2026, 11, 2)]
        assert since == {"P1": dt.date(2026, 11, 2), "P2": dt.date(2026, 11, 9)}
        assert history.projects.iloc[0]["expected_close"] == pd.Timestamp("2026-12-01")
        assert history.kpis.iloc[0]["value"] == 0.5
        with store.engine.connect() as conn:
            counts = conn.execute(sa.select(schema.snapshots.c.error_count, schema.snapshots.c.warning_count,
                                            schema.snapshots.c.info_count).order_by(schema.snapshots.c.as_of)).all()
            assert tuple(counts[0]) == (2, 1, 0)
            assert tuple(counts[1]) == (3, 1, 0)
            s = schema.snapshots
            distinct = conn.execute(sa.select(s.c.error_identities, s.c.warning_identities, s.c.info_identities)
                                    .order_by(s.c.as_of)).all()  # counted by the migration, each identity once
            assert [tuple(r) for r in distinct] == [(2, 1, 0), (3, 0, 0)]
            indexes = {i["name"] for i in sa.inspect(conn).get_indexes("findings")}
            assert "ix_findings_identity" in indexes
        trend = store.load_trend(SET, [dt.date(2026, 11, 2), dt.date(2026, 11, 9)])
        assert trend.severity_counts.to_numpy().tolist() == [[2, 1, 0], [3, 0, 0]]


@pytest.mark.parametrize("content", [b"this is not a database, just text\n" * 40, b"SQLite format 2\x00" + b"\x00" * 2000])
def test_a_corrupt_sqlite_file_is_refused_and_never_replaced(tmp_path, content):
    path = tmp_path / "kaxl-history.sqlite"
    path.write_bytes(content)
    with pytest.raises(HistoryStoreError) as raised:
        open_store(path)
    message = raised.value.bilingual()
    assert "已损坏" in message and "damaged" in message and str(path) in message
    assert path.read_bytes() == content
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]  # no journal, no replacement


def test_a_damaged_sqlite_store_is_refused_and_never_replaced(tmp_path):
    """A real store whose pages were overwritten (the header intact): the database's own error,
    shown as the same clear message, and the file left as it is."""
    path = tmp_path / "kaxl-history.sqlite"
    with open_store(path) as store:
        store.write_snapshot(SET, synthetic(as_of(), "x", 50))
    data = bytearray(path.read_bytes())
    data[100:] = b"\xff" * (len(data) - 100)
    path.write_bytes(bytes(data))
    with pytest.raises(HistoryStoreError) as raised:
        open_store(path)
    assert "damaged" in raised.value.bilingual()
    assert path.read_bytes() == bytes(data)


def test_an_sqlite_file_of_another_program_is_not_touched(tmp_path):
    path = tmp_path / "crm.sqlite"
    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE customers (id INTEGER, name TEXT)"))
    engine.dispose()
    before = path.read_bytes()
    with pytest.raises(HistoryStoreError, match="not a kaxl history store"):
        open_store(path)
    assert path.read_bytes() == before


def test_no_password_in_a_url_outside_the_environment(tmp_path):
    with pytest.raises(HistoryStoreError, match="must not hold a password"):
        resolve_target("postgresql://kaxl:secret@db.example.com/kaxl")
    target = resolve_target("env:KAXL_TEST_URL", environ={"KAXL_TEST_URL": "postgresql://kaxl:secret@db/kaxl"})
    assert target.url.drivername == "postgresql+psycopg" and target.url.password == "secret"
    assert "secret" not in target.label
    with pytest.raises(HistoryStoreError, match="KAXL_NOT_SET"):
        resolve_target("env:KAXL_NOT_SET", environ={})
    relative = resolve_target("h.sqlite", base=tmp_path)
    assert isinstance(relative, Target) and relative.path == tmp_path / "h.sqlite"


def test_a_postgresql_url_from_the_environment(postgres_server, sample_result, monkeypatch):
    url = postgres_server()
    monkeypatch.setenv("KAXL_HISTORY_URL", url)
    with open_store("env:KAXL_HISTORY_URL") as store:
        record_snapshot(store, sample_result)
        assert store.ledger_sets() == [ledger_set_key(sample_result.ledger.files)] == ["kaxl-sample.xlsx"]


def _kept(tag_ids: list[str], day: dt.date, stages: dict[str, str]) -> History:
    """A snapshot holding findings ``tag_ids`` and projects at ``stages``."""
    snapshot = synthetic(day, "x", len(tag_ids))
    findings = snapshot.findings.assign(identity=tag_ids)
    projects = snapshot.projects.head(0)
    if stages:
        projects = pd.concat([synthetic(day, "x", 1).projects.assign(project_id=p, stage=s)
                              for p, s in stages.items()], ignore_index=True)
    return History(findings, projects, snapshot.kpis)


def test_first_seen_and_stage_since_follow_the_unbroken_run(store_url):
    """Carried from the snapshot before at write time, and carried again into the later snapshots
    when a date is backfilled between them: always what the views compute from every snapshot."""
    from kaxl.history.movement import open_findings
    from kaxl.history.trend import stage_since

    days = [dt.date(2026, 11, 2), dt.date(2026, 11, 9), dt.date(2026, 11, 16)]
    with open_store(store_url) as store:
        store.write_snapshot(SET, _kept(["a", "b"], days[0], {"P1": "proposal", "P2": "bidding"}))
        store.write_snapshot(SET, _kept(["a", "b"], days[2], {"P1": "proposal", "P2": "bidding"}))
        seen, since = store.snapshot_ages(SET, days[2])
        assert seen == [days[0], days[0]] and since == {"P1": days[0], "P2": days[0]}
        # the week between is backfilled: b was fixed then, P2 was still in proposal
        store.write_snapshot(SET, _kept(["a"], days[1], {"P1": "proposal", "P2": "proposal"}))
        seen, since = store.snapshot_ages(SET, days[2])
        assert seen == [days[0], days[2]] and since == {"P1": days[0], "P2": days[2]}
        history = store.load_history(SET)
        views = open_findings(history).set_index("identity")["first_seen"]
        assert [views["a"].date(), views["b"].date()] == seen
        stages = stage_since(history).set_index("project_id")["since"]
        assert {k: v.date() for k, v in stages.items()} == since
        # replacing the middle week again (b back) carries into the last week too
        store.write_snapshot(SET, _kept(["a", "b"], days[1], {"P1": "proposal", "P2": "bidding"}))
        assert store.snapshot_ages(SET, days[2]) == ([days[0], days[0]], {"P1": days[0], "P2": days[0]})


def test_schema_head_is_the_newest_migration():
    """The fast path of opening a store compares with schema.HEAD: it must be the last revision."""
    assert known_revisions()[-1] == schema.HEAD


def test_load_only_the_weeks_asked_and_their_messages(store_url):
    days = [dt.date(2026, 11, 2), dt.date(2026, 11, 9), dt.date(2026, 11, 16)]
    with open_store(store_url) as store:
        for day in days:
            store.write_snapshot(SET, synthetic(day, "w", 3))
        history = store.load_history(SET, dates=days[1:], messages_from=days[2])
        assert history.dates == [pd.Timestamp(d) for d in days[1:]]
        latest = history.findings["as_of"].eq(pd.Timestamp(days[2]))
        assert history.findings.loc[latest, "message_zh"].eq("逾期").all()
        assert history.findings.loc[~latest, "message_en"].isna().all() and (~latest).sum() == 3
        assert store.load_history(SET, dates=[]).dates == []
        assert store.load_history(SET, until=days[0]).dates == [pd.Timestamp(days[0])]
