"""Run a pure function in a forked child while this process goes on: the second core, no re-import.

Why a forked child and not a thread or a spawned worker: the work kaxl can split (rendering
the annotated copy's new tabs while its cells are marked, say) is pure-Python string building,
so a thread would only take turns with the main one under the GIL; a spawned worker would
import pandas again and unpickle a 20,000-project check result before starting — seconds. A
forked child already has both, shares them copy-on-write and sends back only its answer.

Where forking is not safe or not worth it — Windows, macOS (system frameworks are not
fork-safe), another Python thread running, a single CPU, or ``KAXL_FORK=0`` — the function
runs in-process when its result is asked for. So does a child that fails in any way (an
exception, a crash, a result that does not pickle): the function is run again in-process, where
the error, if it is one, is raised as usual. The answer is the same either way; only the time
differs. ``fn`` must therefore be pure: no effect that the parent would need to see.
"""

from __future__ import annotations

import os
import pickle
import sys
import threading
import warnings
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")
_CHUNK = 1 << 20


def fork_allowed(environ: dict[str, str] | None = None) -> bool:
    """Whether :func:`start` may fork here and now.

    ``KAXL_FORK=0`` never forks; ``KAXL_FORK=1`` forks whenever it is safe, even on one CPU
    (the tests use it to take the forked path everywhere); unset, it forks when safe and useful.
    """
    wanted = (environ if environ is not None else os.environ).get("KAXL_FORK", "")
    if wanted == "0" or not sys.platform.startswith("linux") or not hasattr(os, "fork"):
        return False
    if threading.active_count() != 1:  # a lock held by another thread would stay held in the child
        return False
    return wanted == "1" or len(os.sched_getaffinity(0)) >= 2


class SideJob(Generic[T]):
    """The pending result of ``fn``: :meth:`result` waits for it (or computes it here).

    Used as a context manager, a child still running when the block ends — the block failed
    before asking for the result — is stopped instead of left to finish unread.
    """

    def __init__(self, fn: Callable[[], T], fork: bool) -> None:
        self._fn = fn
        self._pid: int | None = None
        self._read_fd: int | None = None
        self.forked = False  # whether a child is (or was) computing the result
        self.child_pid: int | None = None
        if fork:
            self._fork()

    def _fork(self) -> None:
        read_fd, write_fd = os.pipe()
        with warnings.catch_warnings():  # 3.12+ warns about C threads (BLAS) idle in the pool
            warnings.simplefilter("ignore", DeprecationWarning)
            pid = os.fork()
        if pid == 0:  # the child: compute, send, leave without running the parent's exit code
            code = 1
            try:
                os.close(read_fd)
                # the value stays referenced until os._exit: freeing it first (a large result is
                # many objects) would only delay the answer
                value = self._fn()
                payload = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
                view = memoryview(payload)
                while view:
                    view = view[os.write(write_fd, view[:_CHUNK]):]
                code = 0
            except BaseException:  # noqa: BLE001 - any failure: the parent computes it itself
                pass
            finally:
                os._exit(code)
        os.close(write_fd)
        self._pid, self._read_fd, self.forked, self.child_pid = pid, read_fd, True, pid

    def __enter__(self) -> SideJob[T]:
        return self

    def __exit__(self, *exc: object) -> None:
        self.cancel()

    def result(self) -> T:
        """The function's value: the child's when it delivered, else computed in this process."""
        if self._pid is None:
            return self._fn()
        chunks: list[bytes] = []
        try:
            assert self._read_fd is not None
            while chunk := os.read(self._read_fd, _CHUNK):
                chunks.append(chunk)
        finally:
            status = self._reap()
        if status == 0:
            try:
                return pickle.loads(b"".join(chunks))
            except Exception:  # noqa: BLE001 - a torn payload: compute it here instead
                pass
        return self._fn()

    def cancel(self) -> None:
        """Stop the child if it is still running (the caller failed and will not ask); no-op after :meth:`result`."""
        if self._pid is not None:
            try:
                os.kill(self._pid, 9)
            except ProcessLookupError:
                pass
            self._reap()

    def _reap(self) -> int:
        if self._read_fd is not None:
            os.close(self._read_fd)
            self._read_fd = None
        pid, self._pid = self._pid, None
        if pid is None:
            return -1
        _, status = os.waitpid(pid, 0)
        return os.waitstatus_to_exitcode(status)


def start(fn: Callable[[], T], *, fork: bool | None = None) -> SideJob[T]:
    """Begin ``fn`` beside this process when allowed (``fork=None``: see :func:`fork_allowed`)."""
    return SideJob(fn, fork_allowed() if fork is None else fork)
