"""Stage lines on stderr for the commands that can take a while.

A 20,000-project ledger takes seconds to read, check and write; a user at a terminal should see
that kaxl is working and on what, not a silent cursor. The lines go to stderr, so ``--json`` on
stdout stays clean, and only to a terminal unless ``KAXL_PROGRESS=1`` asks for them anyway
(``KAXL_PROGRESS=0`` silences them): scripts, cron and Task Scheduler logs get no noise.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from typing import TextIO

# stage key → (Chinese, English); the library calls a reporter with these keys.
STAGES: dict[str, tuple[str, str]] = {
    "read": ("读取台账", "reading the ledger"),
    "check": ("校验", "checking"),
    "json": ("生成 JSON", "writing JSON"),
    "summary": ("写入汇总工作簿", "writing the summary workbook"),
    "annotate": ("写入标注副本", "writing the annotated copy"),
    "digest": ("生成邮件", "composing the e-mails"),
    "history": ("记录历史快照", "recording the history snapshot"),
}


class StageLines:
    """Prints ``[  4.1 s] 校验 / checking`` when a stage starts, and a final ``done`` line."""

    def __init__(self, stream: TextIO, clock: Callable[[], float] = time.perf_counter) -> None:
        self._stream = stream
        self._clock = clock
        self._start = clock()

    def __call__(self, stage: str) -> None:
        zh, en = STAGES.get(stage, (stage, stage))
        self._line(f"{zh} / {en} …")

    def done(self) -> None:
        self._line("完成 / done")

    def _line(self, text: str) -> None:
        self._stream.write(f"[{self._clock() - self._start:6.1f} s] {text}\n")
        self._stream.flush()


def stage_lines(stream: TextIO | None = None, environ: dict[str, str] | None = None) -> StageLines | None:
    """A reporter when progress should show (a terminal, or KAXL_PROGRESS=1), else None."""
    stream = stream if stream is not None else sys.stderr
    wanted = (environ if environ is not None else os.environ).get("KAXL_PROGRESS", "")
    if wanted == "0":
        return None
    if wanted == "1" or (hasattr(stream, "isatty") and stream.isatty()):
        return StageLines(stream)
    return None
