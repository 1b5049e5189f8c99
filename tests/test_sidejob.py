"""kaxl.sidejob: a pure function computed by a forked child, with the same answer as in-process."""

from __future__ import annotations

import datetime as dt
import os
import sys
import threading
from pathlib import Path

import pytest

from kaxl import sidejob
from kaxl.ooxml.annotator import Annotator
from kaxl.ooxml.package import Package
from kaxl.reports.annotate_package import annotate_package
from tests.annotate_fixtures import rich_workbook
from tests.test_annotate import MARKS, TABS

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="kaxl forks only on Linux")


@linux_only
def test_the_child_computes_the_value() -> None:
    parent = os.getpid()
    job = sidejob.start(lambda: (os.getpid(), "表格 tab" * 3), fork=True)
    pid, text = job.result()
    assert job.forked and pid == job.child_pid and pid != parent
    assert text == "表格 tab" * 3


@linux_only
def test_a_result_larger_than_the_pipe_buffer_arrives_whole() -> None:
    payload = os.urandom(5 << 20)
    assert sidejob.start(lambda: payload, fork=True).result() == payload


@linux_only
def test_an_error_in_the_child_is_raised_here_as_usual() -> None:
    def fail() -> None:
        raise ValueError("坏数据 bad data")

    with pytest.raises(ValueError, match="bad data"):
        sidejob.start(fail, fork=True).result()


@linux_only
def test_a_child_that_dies_or_cannot_send_its_answer_is_replaced_by_this_process() -> None:
    parent = os.getpid()

    def crash() -> int:
        if os.getpid() != parent:
            os._exit(3)  # as if the child were killed
        return 42

    assert sidejob.start(crash, fork=True).result() == 42
    unpicklable = sidejob.start(lambda: threading.Lock(), fork=True).result()
    assert hasattr(unpicklable, "acquire")


@linux_only
def test_cancel_stops_a_running_child() -> None:
    never_written, keep_open = os.pipe()
    try:
        job = sidejob.start(lambda: os.read(never_written, 1), fork=True)  # blocks until killed
        pid = job.child_pid
        job.cancel()
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)  # gone and reaped, not a zombie
    finally:
        os.close(never_written)
        os.close(keep_open)


def test_no_fork_computes_on_demand_in_this_process() -> None:
    calls: list[int] = []
    job = sidejob.start(lambda: calls.append(os.getpid()) or len(calls), fork=False)
    assert not job.forked and calls == []
    assert job.result() == 1 and calls == [os.getpid()]


def test_when_forking_is_allowed() -> None:
    assert not sidejob.fork_allowed({"KAXL_FORK": "0"})
    if sys.platform.startswith("linux"):
        assert sidejob.fork_allowed({"KAXL_FORK": "1"})
        assert sidejob.fork_allowed({}) == (len(os.sched_getaffinity(0)) >= 2)
        release = threading.Event()
        other = threading.Thread(target=release.wait)
        other.start()
        try:
            assert not sidejob.fork_allowed({"KAXL_FORK": "1"}), "forking beside another thread is unsafe"
        finally:
            release.set()
            other.join()
    else:
        assert not sidejob.fork_allowed({"KAXL_FORK": "1"})


def test_fork_planned_is_fork_allowed_without_the_thread_check() -> None:
    """Asked during the read (the reader's threads still run): whether the check will fork."""
    release = threading.Event()
    other = threading.Thread(target=release.wait)
    other.start()
    try:
        assert not sidejob.fork_planned({"KAXL_FORK": "0"})
        assert sidejob.fork_planned({"KAXL_FORK": "1"}) == sys.platform.startswith("linux")
        assert not sidejob.fork_allowed({"KAXL_FORK": "1"})
    finally:
        release.set()
        other.join()


_WHO_LOADS = """
import sys, datetime as dt
import kaxl.cli
kaxl.cli.parse_as_of("2026-11-16")
before_read = "pandas" in sys.modules
from kaxl.api import check_files
result = check_files([sys.argv[1]], dt.date(2026, 11, 16))
print(before_read, "pandera" in sys.modules, sum(f.rule.startswith("SCH-") for f in result.findings))
"""


@pytest.mark.parametrize("fork", ["1", "0"])
def test_pandas_waits_for_the_read_and_pandera_for_the_child_that_validates(fork: str) -> None:
    """``--as-of`` is parsed without pandas (imported beside the read, not before it); when the
    check forks, its child validates the schemas and the parent never loads pandera — the same
    schema findings either way."""
    import subprocess

    sample = Path(__file__).resolve().parents[1] / "sample_ledgers" / "kaxl-sample.xlsx"
    out = subprocess.run([sys.executable, "-c", _WHO_LOADS, str(sample)], capture_output=True, text=True, check=True,
                         env={**os.environ, "KAXL_FORK": fork}).stdout.split()
    forked = fork == "1" and sys.platform.startswith("linux")
    assert out[:2] == ["False", str(not forked)]
    assert int(out[2]) > 0  # the sample's deliberate schema mistakes are found in both cases


@linux_only
def test_annotate_renders_its_tabs_in_a_child_with_the_same_bytes(tmp_path, monkeypatch) -> None:
    ledger = rich_workbook(tmp_path / "台账.xlsm")
    outputs = {}
    for fork in ("1", "0"):
        monkeypatch.setenv("KAXL_FORK", fork)
        out = tmp_path / f"annotated-{fork}.xlsm"
        annotate_package(ledger, out, MARKS, TABS)
        outputs[fork] = out.read_bytes()
        with Package(ledger) as package:  # which path the run took
            annotator = Annotator(package)
            annotator.run([], [])
            assert annotator.tabs_rendered_beside == (fork == "1")
    assert outputs["1"] == outputs["0"]


@linux_only
@pytest.mark.parametrize("beside", ["some", "all"])
def test_the_check_gives_the_same_result_with_its_rules_split_across_processes(monkeypatch, beside) -> None:
    """Findings, upcoming alerts, scores and KPIs are equal whether the child ran some rule
    modules, all of them (so the CAL-001 it learnt must reach the parent) or none."""
    from kaxl import engine
    from kaxl.api import check_files
    from kaxl.reports.jsonout import dumps, to_document

    sample = Path(__file__).resolve().parents[1] / "sample_ledgers" / "kaxl-sample.xlsx"
    if beside == "all":
        monkeypatch.setattr(engine, "BESIDE_MODULES", engine.SOP_MODULES)
    documents = {}
    for fork in ("1", "0"):
        monkeypatch.setenv("KAXL_FORK", fork)
        assert sidejob.fork_allowed() == (fork == "1")  # the split really happens in the first run
        result = check_files([sample], dt.date(2040, 3, 1))  # years no calendar knows: CAL-001
        documents[fork] = dumps(to_document(result))
        assert "CAL-001" in {f.rule for f in result.findings}
    assert documents["1"] == documents["0"]


@linux_only
def test_a_block_that_fails_before_asking_stops_its_child() -> None:
    never_written, keep_open = os.pipe()
    try:
        job = sidejob.start(lambda: os.read(never_written, 1), fork=True)
        pid = job.child_pid
        with pytest.raises(KeyError), job:
            raise KeyError("the caller failed")
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    finally:
        os.close(never_written)
        os.close(keep_open)


@linux_only
@pytest.mark.parametrize("piece_rows", [None, 5])
def test_annotate_computes_the_scores_and_alerts_beside_the_marking(tmp_path, monkeypatch, piece_rows) -> None:
    """`kaxl annotate` marks cells from the check's first half while a child computes the
    second (scores, alerts); the copy and the check result equal those of the one-piece path —
    also when the Findings tab is drawn in many pieces shared by the two processes."""
    import functools

    from kaxl.api import read_ledger
    from kaxl.engine import check_findings, run_check
    from kaxl.ooxml import annotator, newsheet
    from kaxl.reports.annotate import annotate_findings, annotate_ledger
    from kaxl.reports.jsonout import dumps, to_document

    sample = Path(__file__).resolve().parents[1] / "sample_ledgers" / "kaxl-sample.xlsx"
    as_of = dt.date(2026, 11, 16)
    ledger = read_ledger([sample])
    monkeypatch.setenv("KAXL_FORK", "0")
    whole = run_check(ledger, as_of)
    reference = annotate_ledger(whole, sample, tmp_path / "whole.xlsx").read_bytes()
    if piece_rows:
        assert len(whole.findings) > 4 * piece_rows
        monkeypatch.setattr(annotator, "row_pieces", functools.partial(newsheet.row_pieces, size=piece_rows))
    for fork in ("1", "0"):
        monkeypatch.setenv("KAXL_FORK", fork)
        assert sidejob.fork_allowed() == (fork == "1")
        out, result = annotate_findings(check_findings(ledger, as_of), sample, tmp_path / f"staged-{fork}.xlsx")
        assert out.read_bytes() == reference
        assert dumps(to_document(result)) == dumps(to_document(whole))
        assert len(result.alerts) and len(result.projects)  # the second half really came back
        # `kaxl annotate` needs only the findings' counts: the same copy, no computed tables sent back
        out, nothing = annotate_findings(check_findings(ledger, as_of), sample, tmp_path / f"lean-{fork}.xlsx",
                                         with_result=False)
        assert nothing is None and out.read_bytes() == reference


@linux_only
def test_the_summary_computes_scores_and_kpis_beside_its_first_tabs(tmp_path, monkeypatch) -> None:
    """`kaxl summary` writes the Alerts and Findings tabs while a child computes the scores and
    KPIs; the workbook and the check result equal those of a finished check."""
    from kaxl.api import read_ledger
    from kaxl.engine import check_findings, run_check
    from kaxl.reports.jsonout import dumps, to_document
    from kaxl.reports.summary import write_summary, write_summary_findings

    sample = Path(__file__).resolve().parents[1] / "sample_ledgers" / "kaxl-sample.xlsx"
    as_of, now = dt.date(2026, 11, 16), dt.datetime(2026, 11, 16, 9, 0, tzinfo=dt.timezone.utc)
    ledger = read_ledger([sample])
    monkeypatch.setenv("KAXL_FORK", "0")
    whole = run_check(ledger, as_of)
    reference = write_summary(whole, tmp_path / "whole.xlsx", sources=[str(sample)], generated_at=now).read_bytes()
    for fork in ("1", "0"):
        monkeypatch.setenv("KAXL_FORK", fork)
        assert sidejob.fork_allowed() == (fork == "1")
        out, result = write_summary_findings(check_findings(ledger, as_of), tmp_path / f"staged-{fork}.xlsx",
                                             sources=[str(sample)], generated_at=now)
        assert out.read_bytes() == reference
        assert dumps(to_document(result)) == dumps(to_document(whole))


@pytest.mark.parametrize("shared", [True, False] if sys.platform.startswith("linux") else [False])
def test_pieces_are_each_taken_once_from_both_ends(shared: bool) -> None:
    """This process takes pieces from the front while a forked child takes them from the back:
    every piece is drawn exactly once, by one or the other."""
    with sidejob.Pieces(400, shared=shared) as pieces:
        job = sidejob.start(lambda: [k for k in iter(pieces.take_back, None)], fork=shared)
        mine = [k for k in iter(pieces.take_front, None)]
        theirs = job.result()
        assert sorted(mine + theirs) == list(range(400))
        assert mine == sorted(mine) and theirs == sorted(theirs, reverse=True)
        if not shared:  # no child: this process took them all, the side job found none left
            assert theirs == [] and mine == list(range(400))
        assert pieces.missing(dict.fromkeys(mine), dict.fromkeys(theirs)) == []
        assert pieces.missing(dict.fromkeys(mine)) == sorted(theirs)  # a child that died after taking them


@linux_only
def test_a_payload_cut_short_is_not_taken_for_an_answer() -> None:
    read_fd, write_fd = os.pipe()
    os.write(write_fd, sidejob._LENGTH.pack(100) + b"x" * 10)  # announces 100 bytes, sends 10
    os.close(write_fd)
    try:
        assert sidejob._receive(read_fd) is None
    finally:
        os.close(read_fd)
    read_fd, write_fd = os.pipe()
    os.write(write_fd, sidejob._LENGTH.pack(3) + b"abc")
    os.close(write_fd)
    try:
        assert sidejob._receive(read_fd) == b"abc"
    finally:
        os.close(read_fd)
