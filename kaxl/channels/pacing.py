"""Per-robot pacing: stay under each vendor's messages-per-window limits before sending.

WeCom and DingTalk allow 20 messages a minute per robot (DingTalk then throttles the robot for
ten minutes), Feishu 100 a minute and 5 a second. The pacer keeps the send times of the last
window and sleeps just long enough; the clock and the sleep are injected, so tests never wait.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Sequence


class Pacer:
    """``limits`` = ((count, seconds), …): at most ``count`` sends in any ``seconds`` window."""

    def __init__(self, limits: Sequence[tuple[int, float]], *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.limits = tuple(limits)
        self.clock = clock
        self.sleep = sleep
        longest = max((seconds for _, seconds in self.limits), default=0.0)
        self.longest = longest
        self.sent: deque[float] = deque()

    def delay(self, now: float) -> float:
        """Seconds to wait at ``now`` before the next send is within every limit."""
        wait = 0.0
        for count, seconds in self.limits:
            inside = [t for t in self.sent if t > now - seconds]
            if len(inside) >= count:
                wait = max(wait, inside[-count] + seconds - now)
        return max(0.0, wait)

    def wait(self) -> float:
        """Sleep until a send is allowed; returns how long it slept."""
        waited = self.delay(self.clock())
        if waited > 0:
            self.sleep(waited)
        return waited

    def record(self) -> None:
        """A message was posted now (successful or not: the vendor counted it)."""
        now = self.clock()
        self.sent.append(now)
        while self.sent and self.sent[0] <= now - self.longest:
            self.sent.popleft()


class Pacers:
    """One pacer per robot (webhook URL): two channels sharing a robot share its limit."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.clock, self.sleep = clock, sleep
        self._by_robot: dict[str, Pacer] = {}

    def of(self, robot: str, limits: Sequence[tuple[int, float]]) -> Pacer:
        if robot not in self._by_robot:
            self._by_robot[robot] = Pacer(limits, clock=self.clock, sleep=self.sleep)
        return self._by_robot[robot]
