"""When the digest goes out: the weekly slot, idempotency across restarts, catch-up of a missed
week, a failing server survived, the lock between two senders. Clock injected; nothing sleeps."""

from __future__ import annotations

import datetime as dt
import json
import logging
import subprocess
import sys

import pytest

from kaxl.api import check_files
from kaxl.digest import last_slot, poll_once, run_forever, send_digests
from kaxl.digest.config import ScheduleConfig
from kaxl.digest.state import DigestState, StateLock
from tests.test_digest_support import (
    EMAILS,
    EXPECTED,
    SHANGHAI,
    Recorder,
    at,
    config_for,
    start_server,
    write_hand_ledger,
)


class Refusing(Recorder):
    """Refuses some recipients at RCPT TO (a mailbox that does not exist, for now)."""

    def __init__(self, refuse: set[str]) -> None:
        super().__init__()
        self.refuse = refuse

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if address in self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"


@pytest.fixture(scope="module")
def ledger(tmp_path_factory):
    return write_hand_ledger(tmp_path_factory.mktemp("sched") / "ledger.xlsx")


@pytest.fixture
def server():
    handler = Recorder()
    controller = start_server(handler)
    yield handler, controller.port
    controller.stop()


def test_last_slot_is_the_most_recent_monday_0900_shanghai():
    schedule = ScheduleConfig()
    assert last_slot(at("2026-11-18T10:00")(), schedule) == dt.datetime(2026, 11, 16, 9, 0, tzinfo=SHANGHAI)
    assert last_slot(at("2026-11-16T09:00")(), schedule) == dt.datetime(2026, 11, 16, 9, 0, tzinfo=SHANGHAI)
    assert last_slot(at("2026-11-16T08:59")(), schedule) == dt.datetime(2026, 11, 9, 9, 0, tzinfo=SHANGHAI)
    # a UTC clock: Monday 01:00 UTC is 09:00 in Shanghai
    utc = dt.datetime(2026, 11, 16, 1, 0, tzinfo=dt.timezone.utc)
    assert last_slot(utc, schedule) == dt.datetime(2026, 11, 16, 9, 0, tzinfo=SHANGHAI)
    friday = ScheduleConfig(weekday="Friday", time="17:30")
    assert last_slot(at("2026-11-18T10:00")(), friday) == dt.datetime(2026, 11, 13, 17, 30, tzinfo=SHANGHAI)


def test_same_week_is_never_sent_twice_across_a_restart(tmp_path, ledger, server):
    handler, port = server
    config = config_for(tmp_path, ledger, port)
    clock = at("2026-11-18T10:00")
    report = poll_once(config, now=clock)
    assert report is not None and sorted(report.sent) == sorted(EXPECTED)
    state = json.loads(config.state_file.read_text(encoding="utf-8"))
    assert state["weeks"]["2026-W47"]["completed"] and set(state["weeks"]["2026-W47"]["sent"]) == EXPECTED
    # "restart": a fresh process reads the same state file, later the same week
    for later in ("2026-11-18T10:01", "2026-11-20T09:00", "2026-11-22T23:59"):
        clock.set(later)
        assert poll_once(config, now=clock) is None
    assert len(handler.envelopes) == 5
    # next Monday 08:59: still nothing; 09:00: the new week goes out
    clock.set("2026-11-23T08:59")
    assert poll_once(config, now=clock) is None
    clock.set("2026-11-23T09:00")
    report = poll_once(config, now=clock)
    assert report is not None and report.week == "2026-W48" and report.sent
    assert DigestState(config.state_file).is_complete("2026-W48")


def test_a_week_missed_while_down_is_sent_at_start_once(tmp_path, ledger, server):
    handler, port = server
    config = config_for(tmp_path, ledger, port)
    state = DigestState(config.state_file)
    state.mark_sent("2026-W46", EMAILS["张伟"], at("2026-11-09T09:00")())
    state.mark_complete("2026-W46", at("2026-11-09T09:01")(), recipients=1)
    # down from Sunday to Wednesday: Monday 09:00 of W47 passed unseen
    clock = at("2026-11-18T14:30")
    report = poll_once(config, now=clock)
    assert report.week == "2026-W47" and sorted(handler.recipients) == sorted(EXPECTED)
    import email
    from email import policy

    subjects = [email.message_from_bytes(env.content, policy=policy.default)["Subject"] for env in handler.envelopes]
    assert all(s.startswith("【KA周报】2026-W47 ") for s in subjects)
    clock.set("2026-11-18T14:31")
    assert poll_once(config, now=clock) is None
    assert len(handler.envelopes) == 5


def test_scheduler_survives_a_failing_server_and_retries(tmp_path, ledger, caplog):
    closed = config_for(tmp_path, ledger, port=9)  # nothing listens there
    clock = at("2026-11-18T10:00")
    with caplog.at_level(logging.ERROR, logger="kaxl.digest"):
        assert poll_once(closed, now=clock) is None  # logged, not raised
    assert "retry" in caplog.text and "127.0.0.1:9" in caplog.text
    assert not DigestState(closed.state_file).is_complete("2026-W47")

    failing = Recorder(fail=True)  # answers 451 to every message
    controller = start_server(failing)
    try:
        report = poll_once(config_for(tmp_path, ledger, controller.port), now=clock)
    finally:
        controller.stop()
    assert report is not None and set(report.failures) == EXPECTED and not report.sent
    assert not DigestState(closed.state_file).is_complete("2026-W47")

    good = Recorder()
    controller = start_server(good)
    try:
        clock.set("2026-11-18T10:01")  # the next poll
        report = poll_once(config_for(tmp_path, ledger, controller.port), now=clock)
    finally:
        controller.stop()
    assert report.ok and sorted(good.recipients) == sorted(EXPECTED)


def test_a_refused_recipient_is_retried_alone(tmp_path, ledger):
    refusing = Refusing({EMAILS["刘总"]})
    controller = start_server(refusing)
    clock = at("2026-11-18T10:00")
    try:
        config = config_for(tmp_path, ledger, controller.port)
        first = poll_once(config, now=clock)
        assert set(first.failures) == {EMAILS["刘总"]} and len(first.sent) == 4
        refusing.refuse.clear()  # the mailbox is fixed
        clock.set("2026-11-18T10:01")
        second = poll_once(config, now=clock)
    finally:
        controller.stop()
    assert second.sent == [EMAILS["刘总"]] and second.ok
    assert sorted(refusing.recipients) == sorted(EXPECTED)  # each exactly once


def test_lock_held_by_a_live_sender_blocks_a_second_one(tmp_path, ledger, server):
    handler, port = server
    config = config_for(tmp_path, ledger, port)
    result = check_files(ledger, at("2026-11-18T10:00")().date())
    other = StateLock(config.state_file)
    assert other.acquire(at("2026-11-18T09:59")())
    report = send_digests(result, config, now=at("2026-11-18T10:00"))
    assert report.locked and handler.envelopes == []
    other.release()
    assert not other.path.exists()
    assert send_digests(result, config, now=at("2026-11-18T10:00")).ok and len(handler.envelopes) == 5


def test_stale_locks_are_broken(tmp_path, ledger, server):
    handler, port = server
    config = config_for(tmp_path, ledger, port)
    result = check_files(ledger, at("2026-11-18T10:00")().date())
    lock_path = config.state_file.with_name(config.state_file.name + ".lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    import socket

    lock_path.write_text(json.dumps({"pid": dead.pid, "host": socket.gethostname(), "token": "crashed",
                                     "created": at("2026-11-18T09:59")().isoformat()}), encoding="utf-8")
    assert send_digests(result, config, now=at("2026-11-18T10:00")).ok  # its process is gone
    assert not lock_path.exists() and len(handler.envelopes) == 5
    # another host's lock, 3 hours old: older than stale_after
    lock_path.write_text(json.dumps({"pid": 1, "host": "elsewhere", "token": "old",
                                     "created": at("2026-11-18T07:00")().isoformat()}), encoding="utf-8")
    lock = StateLock(config.state_file)
    assert lock.acquire(at("2026-11-18T10:00")())
    assert json.loads(lock_path.read_text(encoding="utf-8"))["token"] == lock.token
    lock.release()
    # the same lock, but only 10 minutes old and on another host: respected
    lock_path.write_text(json.dumps({"pid": 1, "host": "elsewhere", "token": "busy",
                                     "created": at("2026-11-18T09:50")().isoformat()}), encoding="utf-8")
    assert not StateLock(config.state_file).acquire(at("2026-11-18T10:00")())


def test_damaged_state_file_is_set_aside_not_fatal(tmp_path):
    path = tmp_path / "state.json"
    path.write_text("{not json", encoding="utf-8")
    state = DigestState(path)
    assert state.sent("2026-W47") == set()
    assert (tmp_path / "state.json.damaged").exists()


def test_run_forever_polls_at_start(tmp_path, ledger, server):
    handler, port = server
    config = config_for(tmp_path, ledger, port)
    naps: list[float] = []
    run_forever(config, now=at("2026-11-18T10:00"), sleep=naps.append, max_ticks=3)
    assert sorted(handler.recipients) == sorted(EXPECTED) and naps == [1.0, 1.0, 1.0]
