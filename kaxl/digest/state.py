"""What has been sent, per ISO week and per recipient: the state file and its lock.

Why: the digest is triggered by cron / Task Scheduler / a long-running scheduler, possibly two
at once, possibly after a crash half-way through. The state file (JSON, replaced atomically)
records each recipient right after their message is accepted, so a retry sends only the rest
and a week is never sent twice; the lock file (created with O_EXCL) makes sure only one process
sends at a time. A lock left behind by a crashed process is broken when its process is gone
(same host) or when it is older than ``stale_after``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import os
import secrets
import socket
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from kaxl.atomic import atomic_write_text

log = logging.getLogger("kaxl.digest")
STATE_VERSION = 1
DEFAULT_STALE_AFTER = dt.timedelta(hours=2)


class DigestState:
    """The state file: ``{"version": 1, "weeks": {"2026-W47": {"sent": {email: when}, "completed": when}}}``."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.data: dict[str, Any] = self._load()

    def _load(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {"version": STATE_VERSION, "weeks": {}}
        except (OSError, ValueError) as exc:
            # A damaged state file must not stop the digest for good; keep it for inspection.
            backup = self.path.with_name(self.path.name + ".damaged")
            with contextlib.suppress(OSError):
                os.replace(self.path, backup)
            log.error("state file %s unreadable (%s); moved to %s and starting afresh", self.path, exc, backup)
            return {"version": STATE_VERSION, "weeks": {}}
        data.setdefault("weeks", {})
        return data

    def reload(self) -> None:
        """Re-read the file (call after taking the lock: another process may have written it)."""
        self.data = self._load()

    def week(self, week: str) -> dict[str, Any]:
        return self.data["weeks"].setdefault(week, {"sent": {}})

    def sent(self, week: str) -> set[str]:
        return set(self.data["weeks"].get(week, {}).get("sent", {}))

    def is_complete(self, week: str) -> bool:
        return bool(self.data["weeks"].get(week, {}).get("completed"))

    def mark_sent(self, week: str, email: str, at: dt.datetime) -> None:
        self.week(week).setdefault("sent", {})[email.lower()] = at.isoformat()
        self.save()

    def mark_complete(self, week: str, at: dt.datetime, *, recipients: int) -> None:
        entry = self.week(week)
        entry["completed"] = at.isoformat()
        entry["recipients"] = recipients
        self.save()

    @property
    def last_completed(self) -> str | None:
        done = [week for week, entry in self.data["weeks"].items() if entry.get("completed")]
        return max(done) if done else None

    def save(self) -> None:
        atomic_write_text(self.path, json.dumps(self.data, ensure_ascii=False, indent=1, sort_keys=True))


class StateLock:
    """An exclusive lock file next to the state file (``<state>.lock``), non-blocking."""

    def __init__(self, state_path: str | os.PathLike[str], *, stale_after: dt.timedelta = DEFAULT_STALE_AFTER) -> None:
        state_path = Path(state_path)
        self.path = state_path.with_name(state_path.name + ".lock")
        self.stale_after = stale_after
        self.token = secrets.token_hex(8)
        self.held = False

    def acquire(self, now: dt.datetime) -> bool:
        """True when this process now holds the lock; False when a live holder has it."""
        if self._create(now):
            return True
        holder = self._read()
        if not self._is_stale(holder, now):
            log.info("another kaxl process is sending (lock %s: %s)", self.path, holder)
            return False
        log.warning("breaking stale lock %s: %s", self.path, holder)
        if not self._break(holder):
            return False
        return self._create(now)

    def release(self) -> None:
        if not self.held:
            return
        holder = self._read()
        if holder and holder.get("token") == self.token:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.path)
        self.held = False

    @contextlib.contextmanager
    def hold(self, now: dt.datetime) -> Iterator[bool]:
        """``with lock.hold(now) as got:`` — got is False when someone else is sending."""
        got = self.acquire(now)
        try:
            yield got
        finally:
            if got:
                self.release()

    def _create(self, now: dt.datetime) -> bool:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            return False
        info = {"pid": os.getpid(), "host": socket.gethostname(), "token": self.token, "created": now.isoformat()}
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(info, handle)
        self.held = True
        return True

    def _read(self) -> dict[str, Any] | None:
        try:
            return json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError):
            return {}  # half-written or garbage: judged by the file's age below

    def _is_stale(self, holder: dict[str, Any] | None, now: dt.datetime) -> bool:
        if holder is None:  # vanished between our attempts: free
            return True
        created = _parse_time(holder.get("created"))
        if created is None:
            try:
                created = dt.datetime.fromtimestamp(self.path.stat().st_mtime, tz=dt.timezone.utc)
            except FileNotFoundError:
                return True
        if _aware(now) - _aware(created) > self.stale_after:
            return True
        return holder.get("host") == socket.gethostname() and not _pid_alive(holder.get("pid"))

    def _break(self, holder: dict[str, Any] | None) -> bool:
        """Move the stale lock aside, making sure it is the one we judged (not a fresh one)."""
        aside = self.path.with_name(f"{self.path.name}.stale-{self.token}")
        try:
            os.replace(self.path, aside)
        except FileNotFoundError:
            return True
        try:
            moved = json.loads(aside.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            moved = {}
        if holder and moved.get("token") != holder.get("token"):
            # Another process broke it first and took a fresh lock: give that lock back.
            with contextlib.suppress(OSError):
                if not self.path.exists():
                    os.replace(aside, self.path)
            return False
        with contextlib.suppress(OSError):
            os.unlink(aside)
        return True


def _pid_alive(pid: Any) -> bool:
    if not isinstance(pid, int) or pid <= 0:
        return False
    if sys.platform == "win32":
        return True  # os.kill would terminate it on Windows: rely on the age limit there
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _parse_time(value: Any) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)
