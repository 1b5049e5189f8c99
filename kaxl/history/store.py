"""The history store (SPEC §8): snapshots in an SQLite file or a PostgreSQL database.

SQLAlchemy Core speaks both dialects and Alembic versions the schema (kaxl/history/migrations):
a store is migrated forward when it is opened, inside the transaction that first checks its
revision, so a store written by a newer kaxl is refused and left exactly as it was, and a
store is never half-migrated. A file that is not an SQLite database is refused, never replaced.

One snapshot per ledger set and as-of date: writing it again replaces it in one transaction.
Writers of one ledger set are serialised (SQLite: ``BEGIN IMMEDIATE``; PostgreSQL: a row lock
on the ledger set), so two runs at once leave one whole snapshot, never a mix of both.

Passwords: never in a file. A PostgreSQL URL given in kaxl.toml or on the command line must not
carry one (libpq's ``PGPASSWORD`` / ``PGPASSFILE``-free variables supply it); ``env:NAME`` reads
the whole URL, password included, from the environment variable NAME.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy import event, exc

import kaxl
from kaxl.contract.findings import SEVERITIES
from kaxl.errors import KaxlError
from kaxl.history import runs, schema
from kaxl.history.frames import FINDING_COLUMNS, KPI_COLUMNS, PORTFOLIO, PROJECT_COLUMNS, History

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
SQLITE_HEADER = b"SQLite format 3\x00"
DEFAULT_STORE_NAME = "kaxl-history.sqlite"
_PG_MIGRATION_LOCK = 0x6B61786C  # "kaxl": one migrating process at a time per database
_RETRIES = 5
TREND_PROJECT_COLUMNS = ["as_of", "project_id", "stage", "expected_close"]
"""What the trend tab reads of a project in the weeks before the last two: its stage (time in
stage) and expected close (times pushed); the waterfall and the stage matrix compare the last
two weeks, read whole."""
DIGEST_FINDING_COLUMNS = ["as_of", "identity", "owner", "account_manager"]
"""What the digest reads of a finding in the weeks before the last two: since when it is open
(its unbroken run, by identity) and whose it is (a director's team view keeps its members')."""
DIGEST_PROJECT_COLUMNS = ["as_of", "project_id", "expected_close", "account_manager"]
"""What the digest reads of a project before the last two weeks: its push count, by team."""


class HistoryStoreError(KaxlError):
    """The history store cannot be used as it is (exit code 2): corrupt, newer, unreachable."""


@dataclass(frozen=True)
class Target:
    """Where a store lives: a SQLAlchemy URL, and how messages name it (no password)."""

    url: sa.URL
    label: str
    path: Path | None = None  # the SQLite file, when it is one


def resolve_target(value: str | os.PathLike[str], *, base: Path | None = None,
                   environ: Mapping[str, str] | None = None) -> Target:
    """``--history`` / ``history =`` as a store: a file path, a URL, or ``env:NAME`` (a URL in
    the environment). Relative paths are taken from ``base`` (the config's folder)."""
    environ = os.environ if environ is None else environ
    text = os.fspath(value).strip()
    from_env = False
    if text.startswith("env:"):
        name = text[4:].strip()
        if not environ.get(name):
            raise HistoryStoreError(f"环境变量 {name} 未设置：它应当给出历史库的地址（如 postgresql://user@host/db）",
                                    f"the environment variable {name} is not set: it should give the history "
                                    "store's URL (e.g. postgresql://user@host/db)")
        text, from_env = environ[name].strip(), True
    if "://" not in text:
        path = Path(text).expanduser()
        if not path.is_absolute():
            path = (base or Path.cwd()) / path
        return Target(sa.URL.create("sqlite", database=str(path)), str(path), path)
    try:
        url = sa.make_url(text)
    except exc.ArgumentError as error:
        raise HistoryStoreError(f"历史库地址无法识别：{_mask(text)}", f"the history store URL is not valid: "
                                f"{_mask(text)}") from error
    if url.password is not None and not from_env:
        raise HistoryStoreError(
            "历史库地址中不能写密码：请改用环境变量 PGPASSWORD，或用 env:变量名 从环境变量读取整个地址",
            "the history store URL must not hold a password: set PGPASSWORD, or use env:NAME to read the whole "
            "URL from an environment variable")
    backend = url.get_backend_name()
    if backend in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
    elif backend == "sqlite":
        path = Path(url.database or "")
        return Target(url, str(path), path if url.database else None)
    else:
        raise HistoryStoreError(f"历史库只支持 SQLite 文件或 PostgreSQL，不支持 {backend}",
                                f"the history store is an SQLite file or PostgreSQL, not {backend}")
    return Target(url, url.render_as_string(hide_password=True))


def _mask(text: str) -> str:
    try:
        return sa.make_url(text).render_as_string(hide_password=True)
    except exc.ArgumentError:
        return "…"


def ledger_set_key(paths: Sequence[str | os.PathLike[str]]) -> str:
    """The ledger set a run belongs to: its files' names without a date, sorted (folders left
    out, so a copy moved elsewhere is the same ledger, and the dated copies 台账_2026-11-09.xlsx
    are the history of 台账.xlsx)."""
    from kaxl.history.dated import undated_name

    return " + ".join(sorted({undated_name(Path(os.fspath(p)).name) for p in paths}))


class HistoryStore:
    """An open store at the newest schema. Use :func:`open_store`; close it (or ``with``)."""

    def __init__(self, engine: sa.Engine, target: Target) -> None:
        self.engine = engine
        self.target = target

    def __enter__(self) -> HistoryStore:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        self.engine.dispose()

    # ---------------------------------------------------------------------------------- writing

    def write_snapshot(self, ledger_set: str, snapshot: History, *, files: Sequence[str] = (),
                       replace: bool = True, now: dt.datetime | None = None) -> bool:
        """Store one snapshot (the frames of :func:`kaxl.history.identity.snapshot_frames`).

        An existing snapshot of the same ledger set and as-of date is replaced, in the same
        transaction; with ``replace=False`` it is kept and False returned.
        """
        return self.write_snapshot_ages(ledger_set, snapshot, files=files, replace=replace, now=now) is not None

    def write_snapshot_ages(self, ledger_set: str, snapshot: History, *, files: Sequence[str] = (),
                            replace: bool = True, now: dt.datetime | None = None
                            ) -> tuple[list[dt.date | None], dict[str, dt.date]] | None:
        """:meth:`write_snapshot`, returning what :meth:`snapshot_ages` would read back — the
        findings' first_seen (in the check's order) and the projects' stage_since, as written —
        or None when the snapshot was kept (``replace=False``). A run needs them right after
        writing; reading them back was one more pass over the snapshot's rows."""
        dates = snapshot.dates
        if len(dates) != 1:
            raise ValueError(f"a snapshot has one as-of date, not {len(dates)}")
        as_of = dates[0].date()
        now = now or dt.datetime.now(dt.timezone.utc)
        counts = snapshot.findings["severity"].value_counts()
        # what the trend tab counts: each identity once, with its first finding's severity
        distinct = snapshot.findings.drop_duplicates("identity")["severity"].value_counts()
        head = {"as_of": as_of, "created_at": now, "files": "\n".join(Path(f).name for f in files),
                "kaxl_version": kaxl.__version__,
                **{f"{s}_count": int(counts.get(s, 0)) for s in SEVERITIES},
                **{f"{s}_identities": int(distinct.get(s, 0)) for s in SEVERITIES}}
        rows = {schema.findings: _rows(snapshot.findings, FINDING_COLUMNS, seq=True),
                schema.projects: _rows(snapshot.projects, PROJECT_COLUMNS),
                schema.kpis: _rows(snapshot.kpis, KPI_COLUMNS, seq=True)}
        return self._retrying(lambda conn: self._write(conn, ledger_set, head, rows, replace, now))

    def _write(self, conn: sa.Connection, ledger_set: str, head: dict[str, Any],
               rows: dict[sa.Table, dict[str, list[Any]]], replace: bool, now: dt.datetime
               ) -> tuple[list[dt.date | None], dict[str, dt.date]] | None:
        set_id = self._lock_ledger_set(conn, ledger_set, now)
        s = schema.snapshots
        existing = conn.execute(sa.select(s.c.id).where(s.c.ledger_set_id == set_id, s.c.as_of == head["as_of"])
                                ).scalar()
        if existing is not None:
            if not replace:
                return None
            for table in schema.CHILDREN:
                conn.execute(sa.delete(table).where(table.c.snapshot_id == existing))
            conn.execute(sa.delete(s).where(s.c.id == existing))
        as_of = head["as_of"]
        before = conn.execute(sa.select(s.c.id).where(s.c.ledger_set_id == set_id, s.c.as_of < as_of)
                              .order_by(s.c.as_of.desc()).limit(1)).scalar()
        found, staged = _carried(conn, before)
        f, p = rows[schema.findings], rows[schema.projects]
        f["first_seen"] = runs.first_seen(found, f.get("identity", []), as_of)
        p["stage_since"] = runs.stage_since(staged, p.get("project_id", []), p.get("stage", []), as_of)
        snapshot_id = conn.execute(sa.insert(s).values(ledger_set_id=set_id, **head)).inserted_primary_key[0]
        for table, table_rows in rows.items():
            if table_rows and len(next(iter(table_rows.values()))):
                _insert_many(conn, table, snapshot_id, table_rows)
        self._rechain(conn, set_id, snapshot_id, as_of)
        since = {project: day for project, day in zip(p.get("project_id", []), p["stage_since"]) if day is not None}
        return list(f["first_seen"]), since

    def _rechain(self, conn: sa.Connection, set_id: int, snapshot_id: int, as_of: dt.date) -> None:
        """Carry first_seen / stage_since into the snapshots after a written one (a backfilled or
        replaced date between others), until a snapshot's values stay as they were."""
        s = schema.snapshots
        later = conn.execute(sa.select(s.c.id, s.c.as_of).where(s.c.ledger_set_id == set_id, s.c.as_of > as_of)
                             .order_by(s.c.as_of)).all()
        previous = snapshot_id
        for current, day in later:
            if not _chain_step(conn, previous, current, runs.as_date(day)):
                break
            previous = current

    def _lock_ledger_set(self, conn: sa.Connection, key: str, now: dt.datetime) -> int:
        """The ledger set's id, created when new, locked until the transaction ends."""
        table = schema.ledger_sets
        dialect = conn.dialect.name
        if dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        conn.execute(insert(table).values(key=key, created_at=now).on_conflict_do_nothing(index_elements=["key"]))
        query = sa.select(table.c.id).where(table.c.key == key)
        if dialect == "postgresql":
            query = query.with_for_update()
        return conn.execute(query).scalar_one()

    def _retrying(self, work: Any) -> Any:
        """Run ``work(conn)`` in one transaction; a lock timeout or a lost race is retried."""
        for attempt in range(_RETRIES):
            try:
                with self.engine.begin() as conn:
                    return work(conn)
            except (exc.OperationalError, exc.IntegrityError) as error:
                if attempt == _RETRIES - 1 or not _transient(error):
                    raise self._error(error) from error
            except exc.DBAPIError as error:
                raise self._error(error) from error
        raise AssertionError("unreachable")  # pragma: no cover

    def _error(self, error: exc.DBAPIError) -> HistoryStoreError:
        return store_error(self.target, error)

    # ---------------------------------------------------------------------------------- reading

    def snapshot_dates(self, ledger_set: str) -> list[dt.date]:
        """The as-of dates stored for a ledger set, oldest first."""
        s, ls = schema.snapshots, schema.ledger_sets
        query = sa.select(s.c.as_of).join(ls, ls.c.id == s.c.ledger_set_id).where(ls.c.key == ledger_set) \
            .order_by(s.c.as_of)
        return self._reading(lambda conn: [_date(v) for v in conn.execute(query).scalars()])

    def ledger_sets(self) -> list[str]:
        return self._reading(lambda conn: list(conn.execute(
            sa.select(schema.ledger_sets.c.key).order_by(schema.ledger_sets.c.key)).scalars()))

    def load_history(self, ledger_set: str, until: dt.date | None = None, *,
                     dates: Sequence[dt.date] | None = None, messages_from: dt.date | None = None) -> History:
        """Every snapshot of a ledger set (as of ``until`` or earlier, when given; only those of
        ``dates``, when given), oldest first, as the frames of the views.

        ``messages_from``: the findings' messages only from this as-of on (blank before): the
        views quote the last two snapshots' findings and count the older ones, and the messages
        are most of a snapshot's bytes.
        """
        tables = ((schema.findings, FINDING_COLUMNS), (schema.projects, PROJECT_COLUMNS), (schema.kpis, KPI_COLUMNS))

        def read(conn: sa.Connection) -> History:
            return History(*(_frame(conn, table, columns, ledger_set, until, dates, messages_from)
                             for table, columns in tables))

        return self._reading(read)

    def load_trend(self, ledger_set: str, dates: Sequence[dt.date]) -> History:
        """What the summary's trend tab shows of the snapshots of ``dates`` (oldest first):

        - the portfolio's KPIs (not each manager's: the tab charts the portfolio);
        - the open findings per severity as the store counted them when it wrote each snapshot
          (``severity_counts``), and no findings rows;
        - the projects: whole for the last two dates (the waterfall and the stage matrix), and
          before them only :data:`TREND_PROJECT_COLUMNS` of the projects active on the last date
          — the only ones whose time in stage and push count the tab shows (each project's run
          is its own rows', so the views give exactly what they give on the whole history).

        Why: 12 weeks of a 20k-project ledger are 300k findings, 240k project and 130k KPI rows;
        reading them back took longer than writing the summary.
        """
        dates = list(dates)
        p, s, ls = schema.projects, schema.snapshots, schema.ledger_sets

        def read(conn: sa.Connection) -> History:
            latest = sa.select(s.c.id).join(ls, ls.c.id == s.c.ledger_set_id) \
                .where(ls.c.key == ledger_set, s.c.as_of == dates[-1]).scalar_subquery() if dates else None
            active = sa.select(p.c.project_id).where(p.c.snapshot_id == latest, p.c.status == "active")
            projects = _older_then_recent(conn, p, PROJECT_COLUMNS, ledger_set, dates, TREND_PROJECT_COLUMNS,
                                          where=[p.c.project_id.in_(active)])
            kpis = _frame(conn, schema.kpis, KPI_COLUMNS, ledger_set, dates=dates,
                          where=[schema.kpis.c.scope == PORTFOLIO])
            findings = _typed(_empty(FINDING_COLUMNS))
            return History(findings, projects, kpis, severity_counts=_severity_counts(conn, ledger_set, dates))

        return self._reading(read)

    def load_digest(self, ledger_set: str, dates: Sequence[dt.date]) -> History:
        """What the digest's 自上周以来 and pipeline sections read of the snapshots of ``dates``
        (oldest first): the last two dates whole (what they compare and quote, messages
        included), and before them only :data:`DIGEST_FINDING_COLUMNS` / :data:`DIGEST_PROJECT_COLUMNS`
        (the other columns blank) and no KPIs; the open findings per severity for every date.

        Why: the older weeks only say since when a finding is open (its identity, and whose it
        is for a director's team) and how often a deal was pushed; 12 weeks of a 20k-project
        ledger read whole were most of the digest's history cost.
        """
        dates = list(dates)
        f, p, k = schema.findings, schema.projects, schema.kpis

        def read(conn: sa.Connection) -> History:
            return History(
                _older_then_recent(conn, f, FINDING_COLUMNS, ledger_set, dates, DIGEST_FINDING_COLUMNS),
                _older_then_recent(conn, p, PROJECT_COLUMNS, ledger_set, dates, DIGEST_PROJECT_COLUMNS),
                _frame(conn, k, KPI_COLUMNS, ledger_set, dates=dates[-2:]),
                severity_counts=_severity_counts(conn, ledger_set, dates))

        return self._reading(read)

    def snapshot_ages(self, ledger_set: str, as_of: dt.date) -> tuple[list[dt.date | None], dict[str, dt.date]]:
        """One snapshot's findings' first_seen (in the check's order) and projects' stage_since:
        what ``--json`` needs, read without the rest of the history."""
        f, p, s, ls = schema.findings, schema.projects, schema.snapshots, schema.ledger_sets
        snapshot = sa.select(s.c.id).join(ls, ls.c.id == s.c.ledger_set_id) \
            .where(ls.c.key == ledger_set, s.c.as_of == as_of).scalar_subquery()

        def read(conn: sa.Connection) -> tuple[list[dt.date | None], dict[str, dt.date]]:
            found = _fetch(conn, sa.select(f.c.first_seen).where(f.c.snapshot_id == snapshot).order_by(f.c.seq))
            staged = _fetch(conn, sa.select(p.c.project_id, p.c.stage_since).where(p.c.snapshot_id == snapshot))
            return [runs.as_date(r[0]) for r in found], {k: runs.as_date(v) for k, v in staged if v is not None}

        return self._reading(read)

    def _reading(self, work: Any) -> Any:
        """Run ``work(conn)`` in one transaction that sees one state of the store (its findings,
        projects and KPIs from the same snapshot, even while another run replaces it)."""
        try:
            with self.engine.connect() as conn:
                if conn.dialect.name == "postgresql":
                    conn = conn.execution_options(isolation_level="REPEATABLE READ")
                with conn.begin():
                    return work(conn)
        except exc.DBAPIError as error:
            raise self._error(error) from error


def load_history(store: HistoryStore, ledger_set: str, until: dt.date | None = None) -> History:
    """The stored history of a ledger set (see :meth:`HistoryStore.load_history`)."""
    return store.load_history(ledger_set, until)


def record_snapshot(store: HistoryStore, result: Any, ledger_set: str | None = None, *, replace: bool = True,
                    now: dt.datetime | None = None) -> tuple[bool, History]:
    """Store the snapshot of a check and return (written, the ledger set's whole history)."""
    from kaxl.history.identity import snapshot_frames

    key = ledger_set or ledger_set_key(result.ledger.files)
    written = store.write_snapshot(key, snapshot_frames(result), files=result.ledger.files, replace=replace,
                                   now=now)
    return written, store.load_history(key)


def _frame(conn: sa.Connection, table: sa.Table, columns: list[str], ledger_set: str,
           until: dt.date | None = None, dates: Sequence[dt.date] | None = None,
           messages_from: dt.date | None = None, only: list[str] | None = None,
           where: Sequence[Any] = ()) -> pd.DataFrame:
    """One table's rows of a ledger set as a frame of ``columns`` (see :meth:`HistoryStore.load_history`);
    with ``only``, just those columns are read and the others are blank; ``where``: more conditions.

    Rows come from the driver's own cursor as plain tuples: building a SQLAlchemy Row per stored
    row, and pandas inspecting each, took seconds for a quarter of a 20k-project ledger.
    """
    s, ls = schema.snapshots, schema.ledger_sets

    def day(value: dt.date) -> Any:  # a date as an SQL literal (ISO digits from a date object: safe)
        return sa.literal_column(f"'{dt.date.isoformat(value)}'")

    wanted: list[Any] = [s.c.as_of.label("as_of")]
    read = [c for c in columns if only is None or c in only]
    for column in read[1:]:
        if column.startswith("message_") and messages_from is not None:
            wanted.append(sa.case((s.c.as_of >= day(messages_from), table.c[column]), else_=sa.null()).label(column))
        else:
            wanted.append(table.c[column])
    order = [s.c.as_of, *([table.c.seq] if "seq" in table.c else []), *table.primary_key.columns]
    query = sa.select(*wanted).join(s, s.c.id == table.c.snapshot_id).join(ls, ls.c.id == s.c.ledger_set_id) \
        .where(ls.c.key == ledger_set, *where).order_by(*order)
    if until is not None:
        query = query.where(s.c.as_of <= day(until))
    if dates is not None:
        query = query.where(s.c.as_of.in_([day(d) for d in dates]) if dates else sa.false())
    compiled = query.compile(dialect=conn.dialect)
    params = dict(compiled.params)
    bound: Any = tuple(params[name] for name in compiled.positiontup) if compiled.positional else params
    cursor = conn.connection.driver_connection.cursor()  # same connection, same transaction
    try:
        cursor.execute(str(compiled), bound)
        rows = cursor.fetchall()
    finally:
        cursor.close()
    frame = pd.DataFrame(rows, columns=read, dtype=object) if rows else _empty(read)
    if only is not None:
        frame = frame.reindex(columns=columns).astype(object)
        frame = frame.where(frame.notna(), None)
    return _typed(frame)


def _empty(columns: list[str]) -> pd.DataFrame:
    """No rows, ``columns`` of objects (what a read of nothing gives, for :func:`_typed`)."""
    return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})


def _older_then_recent(conn: sa.Connection, table: sa.Table, columns: list[str], ledger_set: str,
                       dates: Sequence[dt.date], older_columns: list[str], where: Sequence[Any] = ()) -> pd.DataFrame:
    """A table's rows of ``dates``: the last two whole, the ones before only ``older_columns`` of
    the rows ``where`` accepts; in the order of one read of them all (as-of, then the table's)."""
    recent, older = list(dates[-2:]), list(dates[:-2])
    frame = _frame(conn, table, columns, ledger_set, dates=recent)
    if older:
        before = _frame(conn, table, columns, ledger_set, dates=older, only=older_columns, where=where)
        if not before.empty:
            frame = pd.concat([before, frame], ignore_index=True) if not frame.empty else before
    return frame


def _severity_counts(conn: sa.Connection, ledger_set: str, dates: Sequence[dt.date]) -> pd.DataFrame:
    """Open findings per snapshot of ``dates`` by severity, as counted when each was written."""
    s, ls = schema.snapshots, schema.ledger_sets
    query = sa.select(s.c.as_of, *(s.c[f"{severity}_identities"] for severity in SEVERITIES)) \
        .join(ls, ls.c.id == s.c.ledger_set_id).where(ls.c.key == ledger_set, s.c.as_of.in_(list(dates))) \
        .order_by(s.c.as_of)
    rows = conn.execute(query).all()
    index = pd.DatetimeIndex([pd.Timestamp(runs.as_date(r[0])) for r in rows], name="as_of").astype("datetime64[ns]")
    return pd.DataFrame([list(r[1:]) for r in rows], index=index, columns=pd.Index(list(SEVERITIES), name="severity"),
                        dtype="int64")


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    """The frames contract's dtypes: dates datetime64[ns], numbers float64, the rest objects."""
    for column in ("as_of", "expected_close"):
        if column in frame.columns:
            frame[column] = pd.to_datetime(frame[column]).astype("datetime64[ns]")
    for column in ("estimated_amount", "qualification_score", "process_pct", "value", "target"):
        if column in frame.columns:
            frame[column] = pd.to_numeric(frame[column]).astype("float64")
    return frame


def _rows(frame: pd.DataFrame, columns: list[str], *, seq: bool = False) -> dict[str, list[Any]]:
    """A frame's columns as plain Python values for the database (NaN/NaT → NULL, dates as dates)."""
    data = frame[[c for c in columns if c != "as_of"]]
    out: dict[str, list[Any]] = {"seq": list(range(len(data)))} if seq else {}
    for column in data.columns:
        series = data[column]
        if series.dtype.kind == "M":
            series = series.dt.date
        values = series.astype(object)
        out[column] = values.where(values.notna(), None).tolist()
    return out


def _fetch(conn: sa.Connection, query: sa.Select) -> list[tuple[Any, ...]]:
    """The rows of ``query`` as the driver's plain tuples (no SQLAlchemy Row per row)."""
    compiled = query.compile(dialect=conn.dialect)
    params = compiled.params
    bound: Any = tuple(params[name] for name in compiled.positiontup) if compiled.positional else params
    cursor = conn.connection.driver_connection.cursor()  # same connection, same transaction
    try:
        cursor.execute(str(compiled), bound)
        return cursor.fetchall()
    finally:
        cursor.close()


def _carried(conn: sa.Connection, snapshot_id: int | None) -> tuple[dict[str, dt.date], dict[str, tuple[Any, Any]]]:
    """A snapshot's identity → first_seen and project → (stage, stage_since) (empty for None)."""
    if snapshot_id is None:
        return {}, {}
    f, p = schema.findings, schema.projects
    found = {identity: runs.as_date(seen) for identity, seen in
             _fetch(conn, sa.select(f.c.identity, f.c.first_seen).where(f.c.snapshot_id == snapshot_id))}
    staged = {project: (stage, runs.as_date(since)) for project, stage, since in
              _fetch(conn, sa.select(p.c.project_id, p.c.stage, p.c.stage_since).where(p.c.snapshot_id == snapshot_id))}
    return found, staged


def _chain_step(conn: sa.Connection, previous: int, current: int, as_of: dt.date) -> bool:
    """Recompute ``current``'s first_seen / stage_since from ``previous``; True when any changed."""
    f, p = schema.findings, schema.projects
    found, staged = _carried(conn, previous)
    rows = _fetch(conn, sa.select(f.c.seq, f.c.identity, f.c.first_seen).where(f.c.snapshot_id == current))
    new = runs.first_seen(found, [r[1] for r in rows], as_of)
    finding_updates = [{"b_seen": seen, "b_key": r[0]} for r, seen in zip(rows, new) if runs.as_date(r[2]) != seen]
    rows = _fetch(conn, sa.select(p.c.project_id, p.c.stage, p.c.stage_since).where(p.c.snapshot_id == current))
    new = runs.stage_since(staged, [r[0] for r in rows], [r[1] for r in rows], as_of)
    project_updates = [{"b_seen": since, "b_key": r[0]} for r, since in zip(rows, new) if runs.as_date(r[2]) != since]
    for table, column, key, updates in ((f, f.c.first_seen, f.c.seq, finding_updates),
                                        (p, p.c.stage_since, p.c.project_id, project_updates)):
        if updates:
            statement = sa.update(table).where(table.c.snapshot_id == current, key == sa.bindparam("b_key")) \
                .values({column.name: sa.bindparam("b_seen")})
            _execute_many(conn, statement, updates, dates=("b_seen",))
    return bool(finding_updates or project_updates)


def _execute_many(conn: sa.Connection, statement: Any, rows: list[dict[str, Any]], *, dates: Sequence[str] = ()) -> None:
    """``statement`` once per row through the driver's executemany (dates as ISO text for SQLite)."""
    compiled = statement.compile(dialect=conn.dialect)
    sqlite = conn.dialect.name == "sqlite"
    values = []
    for row in rows:
        full = {**compiled.params, **row}
        if sqlite:
            for name in dates:
                if full.get(name) is not None:
                    full[name] = full[name].isoformat()
        values.append(tuple(full[n] for n in compiled.positiontup) if compiled.positional else full)
    conn.exec_driver_sql(str(compiled), values)


def _insert_many(conn: sa.Connection, table: sa.Table, snapshot_id: int, rows: dict[str, list[Any]]) -> None:
    """One executemany of the driver for a snapshot's rows, built column-wise (SQLAlchemy's
    per-row processing cost more than half the check's time at 20k). Values are already plain —
    text, numbers, None, dates — and SQLite gets dates as ISO text, exactly as SQLAlchemy's Date
    type stores them, so SQLAlchemy reads them back as dates."""
    names = ["snapshot_id", *rows]
    compiled = sa.insert(table).values({name: sa.bindparam(name) for name in names}).compile(dialect=conn.dialect)
    count = len(next(iter(rows.values())))
    columns = {"snapshot_id": [snapshot_id] * count, **rows}
    if conn.dialect.name == "sqlite":
        for name in names:
            if isinstance(table.c[name].type, sa.Date):
                columns[name] = [None if v is None else v.isoformat() for v in columns[name]]
    if compiled.positional:
        params: list[Any] = list(zip(*(columns[name] for name in compiled.positiontup)))
    else:
        params = [dict(zip(names, values)) for values in zip(*(columns[name] for name in names))]
    conn.exec_driver_sql(str(compiled), params)


def _date(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) and not isinstance(value, dt.datetime) else pd.Timestamp(value).date()


def _transient(error: exc.DBAPIError) -> bool:
    text = str(error.orig).lower()
    return isinstance(error, exc.IntegrityError) or "locked" in text or "deadlock" in text \
        or "could not serialize" in text


def store_error(target: Target, error: BaseException) -> HistoryStoreError:
    """A bilingual message for a store the database refused."""
    reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
    if target.path is not None and ("not a database" in reason or "malformed" in reason):
        return corrupt_error(target)
    return HistoryStoreError(f"无法使用历史库 {target.label}：{reason}。请检查地址、权限和数据库服务。",
                             f"Cannot use the history store {target.label}: {reason}. Check the address, "
                             "the permissions and the database server.")


def corrupt_error(target: Target) -> HistoryStoreError:
    return HistoryStoreError(
        f"历史库文件 {target.label} 已损坏或不是 SQLite 数据库，kaxl 不会改动或替换它。"
        "请从备份恢复，或用 --history 指定另一个文件。",
        f"The history store {target.label} is damaged or not an SQLite database; kaxl will not change or "
        "replace it. Restore it from a backup, or give another file with --history.")


# ------------------------------------------------------------------------------------ opening


def open_store(value: str | os.PathLike[str] | Target, *, base: Path | None = None,
               environ: Mapping[str, str] | None = None) -> HistoryStore:
    """Open (creating an SQLite file if none) and migrate a store to the newest schema."""
    target = value if isinstance(value, Target) else resolve_target(value, base=base, environ=environ)
    if target.path is not None:
        _check_sqlite_file(target)
        engine = sa.create_engine(target.url, connect_args={"timeout": 60})
        _serialise_sqlite_writers(engine)
    else:
        engine = sa.create_engine(target.url, pool_pre_ping=False)
    store = HistoryStore(engine, target)
    try:
        migrate(engine, target)
    except BaseException:
        engine.dispose()
        raise
    return store


def _check_sqlite_file(target: Target) -> None:
    path = target.path
    assert path is not None
    if path.is_dir():
        raise HistoryStoreError(f"历史库 {path} 是一个文件夹，请给出文件路径", f"the history store {path} is a folder; "
                                "give a file path")
    if not path.parent.is_dir():
        raise HistoryStoreError(f"历史库所在的文件夹 {path.parent} 不存在", f"the history store's folder {path.parent} "
                                "does not exist")
    if path.exists() and path.stat().st_size:
        with path.open("rb") as handle:
            if handle.read(len(SQLITE_HEADER)) != SQLITE_HEADER:
                raise corrupt_error(target)


def _serialise_sqlite_writers(engine: sa.Engine) -> None:
    """SQLite transactions take the write lock when they begin (SQLAlchemy's documented recipe):
    two writers queue instead of failing half-way, and the snapshot they write is whole."""

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # kaxl issues BEGIN itself

    @event.listens_for(engine, "begin")
    def _begin(conn: sa.Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def _alembic_config(conn: sa.Connection | None = None):
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = conn
    return config


def known_revisions() -> list[str]:
    """Every schema version this kaxl knows, oldest first."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(_alembic_config())
    return [r.revision for r in reversed(list(script.walk_revisions()))]


def migrate(engine: sa.Engine, target: Target, to: str = "head") -> None:
    """Bring the store to ``to`` (the newest schema) in one transaction, after checking it."""
    if to == "head" and _at_head(engine, target):
        return
    from alembic import command
    from alembic.runtime.migration import MigrationContext

    try:
        with engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_MIGRATION_LOCK})
            current = MigrationContext.configure(conn).get_current_revision()
            known = known_revisions()
            if current is None:
                foreign = [t for t in sa.inspect(conn).get_table_names() if t != "alembic_version"]
                if foreign:
                    raise HistoryStoreError(
                        f"{target.label} 里已有别的表（{', '.join(sorted(foreign)[:5])}），不是 kaxl 历史库；kaxl 不会改动它。",
                        f"{target.label} already holds other tables ({', '.join(sorted(foreign)[:5])}): it is not a "
                        "kaxl history store, and kaxl will not change it.")
            elif current not in known:
                raise newer_error(target, current)
            wanted = known[-1] if to == "head" else to
            if current != wanted:
                command.upgrade(_alembic_config(conn), to)
    except exc.DBAPIError as error:
        raise store_error(target, error) from error


def _at_head(engine: sa.Engine, target: Target) -> bool:
    """True when the store is already at this kaxl's newest schema: one plain query, so the
    usual run never loads Alembic's migration scripts. Anything else takes the full path."""
    try:
        with engine.connect() as conn:
            if not sa.inspect(conn).has_table("alembic_version"):
                return False
            return conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalars().all() == [schema.HEAD]
    except exc.DBAPIError as error:
        raise store_error(target, error) from error


def newer_error(target: Target, revision: str) -> HistoryStoreError:
    return HistoryStoreError(
        f"历史库 {target.label} 由更新版本的 kaxl 写入（结构版本 {revision}，本版本只认识到 {known_revisions()[-1]}）。"
        f"kaxl {kaxl.__version__} 不会改动它：请升级 kaxl（pip install -U kaxl）后再运行。",
        f"The history store {target.label} was written by a newer kaxl (schema {revision}; this kaxl knows up to "
        f"{known_revisions()[-1]}). kaxl {kaxl.__version__} will not change it: upgrade kaxl (pip install -U kaxl) "
        "and run again.")
