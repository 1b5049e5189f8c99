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
import struct
import sys
import threading
import warnings
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")
_CHUNK = 1 << 20
_LENGTH = struct.Struct("<Q")  # the payload's length, sent before it


def _widen(fd: int) -> None:
    """Let the pipe hold 1 MB at once (Linux; best effort): at the default 64 KB, a 30 MB answer
    (the annotated copy's new tabs) crossed in ~500 turns between the two processes."""
    try:
        import fcntl

        fcntl.fcntl(fd, getattr(fcntl, "F_SETPIPE_SZ", 1031), _CHUNK)
    except (ImportError, OSError):
        pass


def _receive(fd: int) -> bytearray | None:
    """The child's payload, read straight into one buffer of its announced length (no chunks
    joined afterwards); None when the child stopped before sending all of it."""
    head = b""
    while len(head) < _LENGTH.size:
        more = os.read(fd, _LENGTH.size - len(head))
        if not more:
            return None
        head += more
    (size,) = _LENGTH.unpack(head)
    payload = bytearray(size)
    view, got = memoryview(payload), 0
    while got < size:
        count = os.readv(fd, [view[got:]])
        if count == 0:
            return None
        got += count
    return payload


def fork_allowed(environ: dict[str, str] | None = None) -> bool:
    """Whether :func:`start` may fork here and now.

    ``KAXL_FORK=0`` never forks; ``KAXL_FORK=1`` forks whenever it is safe, even on one CPU
    (the tests use it to take the forked path everywhere); unset, it forks when safe and useful.
    """
    if threading.active_count() != 1:  # a lock held by another thread would stay held in the child
        return False
    return fork_planned(environ)


def fork_planned(environ: dict[str, str] | None = None) -> bool:
    """Whether :func:`start` will fork once this process has no other thread (:func:`fork_allowed`
    without its thread check): asked while the reader's threads still run, to leave to a child
    what only a child will use."""
    wanted = (environ if environ is not None else os.environ).get("KAXL_FORK", "")
    if wanted == "0" or not sys.platform.startswith("linux") or not hasattr(os, "fork"):
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
        _widen(write_fd)
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
                os.write(write_fd, _LENGTH.pack(len(payload)))  # 8 bytes: written whole
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
        try:
            assert self._read_fd is not None
            payload = _receive(self._read_fd)
        finally:
            status = self._reap()
        if status == 0 and payload is not None:
            try:
                return pickle.loads(payload)
            except Exception:  # noqa: BLE001 - a damaged payload: compute it here instead
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


class Pieces:
    """Work in ``count`` numbered pieces, shared by this process and its side job: this process
    takes them from the front (:meth:`take_front`), the side job from the back
    (:meth:`take_back`), each piece exactly once — so whichever is done with its own work first
    draws more of them, and the two end together on any ledger and any machine.

    ``shared`` (the side job will be a forked child): made before the fork, the two counters
    live in an unnamed temporary file both processes use, guarded by a POSIX record lock
    (``lockf``) — held by one process at a time, released by the system if the holder dies.
    Otherwise (no fork) they are plain numbers. A side job that died after taking pieces never
    delivers them: the caller draws every piece it did not receive (see :meth:`missing`).
    """

    _STATE = struct.Struct("<qq")  # next piece from the front, one past the last from the back

    def __init__(self, count: int, *, shared: bool) -> None:
        self.count = count
        self._state = [0, count]
        self._file = None
        if shared:
            import tempfile

            self._file = tempfile.TemporaryFile()  # noqa: SIM115 - closed by __exit__, used across the fork
            os.pwrite(self._file.fileno(), self._STATE.pack(0, count), 0)

    def __enter__(self) -> Pieces:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._file is not None:
            self._file.close()

    def take_front(self) -> int | None:
        return self._take(front=True)

    def take_back(self) -> int | None:
        return self._take(front=False)

    def _take(self, front: bool) -> int | None:
        if self._file is None:
            return self._next(self._state, front)
        import fcntl  # POSIX only, as is forking

        fd = self._file.fileno()
        fcntl.lockf(fd, fcntl.LOCK_EX)
        try:
            state = list(self._STATE.unpack(os.pread(fd, self._STATE.size, 0)))
            taken = self._next(state, front)
            if taken is not None:
                os.pwrite(fd, self._STATE.pack(*state), 0)
            return taken
        finally:
            fcntl.lockf(fd, fcntl.LOCK_UN)

    @staticmethod
    def _next(state: list[int], front: bool) -> int | None:
        first, end = state
        if first >= end:
            return None
        if front:
            state[0] = first + 1
            return first
        state[1] = end - 1
        return end - 1

    def missing(self, *drawn: dict[int, object]) -> list[int]:
        """The pieces none of ``drawn`` (piece → what was drawn) holds."""
        return [k for k in range(self.count) if not any(k in d for d in drawn)]


def start(fn: Callable[[], T], *, fork: bool | None = None) -> SideJob[T]:
    """Begin ``fn`` beside this process when allowed (``fork=None``: see :func:`fork_allowed`)."""
    return SideJob(fn, fork_allowed() if fork is None else fork)
