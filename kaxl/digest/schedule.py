"""When the weekly digest is due, and the long-running scheduler around it.

The rule is one function: the digest is due when the most recent scheduled moment (default
Monday 09:00 Asia/Shanghai) has passed and the state file does not have that week as complete.
That one rule gives all the behaviours people expect: ``--if-due`` from cron/Task Scheduler
can be called every hour (or at every logon) and sends once a week; a scheduler that was down
over the Monday sends at its next start, once; two schedulers never both send (state lock).
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Mapping
from zoneinfo import ZoneInfo

from kaxl.digest.config import DigestConfig, ScheduleConfig
from kaxl.digest.outbox import Clock, SendReport, send_digests, system_now
from kaxl.digest.recipients import iso_week
from kaxl.digest.state import DigestState
from kaxl.errors import KaxlError

log = logging.getLogger("kaxl.digest")


def last_slot(now: dt.datetime, schedule: ScheduleConfig) -> dt.datetime:
    """The most recent scheduled moment at or before ``now``, in the schedule's time zone."""
    tz = ZoneInfo(schedule.timezone)
    local = (now if now.tzinfo else now.replace(tzinfo=tz)).astimezone(tz)
    back = (local.weekday() - schedule.weekday_index) % 7
    slot = dt.datetime.combine(local.date() - dt.timedelta(days=back), schedule.clock_time, tzinfo=tz)
    if slot > local:
        slot -= dt.timedelta(days=7)
    return slot


def due_week(now: dt.datetime, config: DigestConfig, state: DigestState | None = None) -> str | None:
    """The ISO week whose digest is due now ("2026-W47"), or None when it has been sent."""
    week = iso_week(last_slot(now, config.schedule).date())
    state = state or DigestState(config.state_file)
    return None if state.is_complete(week) else week


def run_if_due(config: DigestConfig, *, now: Clock = system_now, environ: Mapping[str, str] | None = None,
               check: Callable | None = None) -> SendReport | None:
    """Send the due week's digest (read the ledgers, check, send); None when nothing is due."""
    current = now()
    week = due_week(current, config)
    if week is None:
        log.debug("digest for %s already sent", iso_week(last_slot(current, config.schedule).date()))
        return None
    if not config.ledgers:
        from kaxl.digest.config import ConfigError

        raise ConfigError("没有指定台账：请在 kaxl.toml 的 ledgers 中列出，或在命令行给出",
                          "no ledger given: list them under 'ledgers' in kaxl.toml or on the command line")
    if check is None:
        from kaxl.api import check_files as check
    as_of = current.astimezone(ZoneInfo(config.schedule.timezone)).date()
    log.info("digest for %s is due: checking %d ledger(s) as of %s", week, len(config.ledgers), as_of)
    result = check(list(config.ledgers), as_of)
    report = send_digests(result, config, now=now, week=week, environ=environ)
    if report.locked:
        log.info("digest for %s: another process holds the lock, skipping this poll", week)
    elif report.failures:
        log.warning("digest for %s: %d sent, %d refused (%s); will retry", week, len(report.sent),
                    len(report.failures), ", ".join(report.failures))
    else:
        log.info("digest for %s complete: %d sent now, %d earlier", week, len(report.sent), len(report.already))
    return report


def poll_once(config: DigestConfig, *, now: Clock = system_now, environ: Mapping[str, str] | None = None,
              check: Callable | None = None) -> SendReport | None:
    """One scheduler tick that never raises: a failed send is logged and retried next tick."""
    try:
        return run_if_due(config, now=now, environ=environ, check=check)
    except KaxlError as exc:
        log.error("digest not sent, will retry at the next poll: %s", exc)
    except Exception as exc:  # noqa: BLE001 - the scheduler must outlive any one bad week
        log.exception("digest failed unexpectedly, will retry at the next poll: %s", exc)
    return None


def run_forever(config: DigestConfig, *, now: Clock = system_now, sleep: Callable[[float], None] = time.sleep,
                environ: Mapping[str, str] | None = None, max_ticks: int | None = None,
                check: Callable | None = None) -> None:
    """Poll every ``schedule.poll_seconds`` with the ``schedule`` library, forever.

    The first poll happens at start, which is what catches up a week missed while down.
    ``max_ticks`` and ``sleep`` exist for tests and embedding; the CLI passes neither.
    """
    import schedule

    scheduler = schedule.Scheduler()
    scheduler.every(max(1, int(config.schedule.poll_seconds))).seconds.do(poll_once, config, now=now, environ=environ,
                                                                          check=check)
    log.info("kaxl scheduler started: digest every %s %s %s, polling every %ss, state %s",
             config.schedule.weekday, config.schedule.time, config.schedule.timezone,
             config.schedule.poll_seconds, config.state_file)
    poll_once(config, now=now, environ=environ, check=check)
    ticks = 0
    while max_ticks is None or ticks < max_ticks:
        scheduler.run_pending()
        sleep(min(1.0, float(config.schedule.poll_seconds)))
        ticks += 1
