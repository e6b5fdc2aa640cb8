"""What /healthz reports: the worker threads that died or keep failing.

A component is made of threads (heartbeats, the ARP/NDP responder, status writers, the BFD
gate, leader election...). One that dies, or that loops on the same exception, leaves the
process half-working in silence: announcing IPs nobody answers for, or no longer renewing a
lease. Each such thread owns a ThreadHealth; /healthz fails with the names of those with a
problem, so the kubelet's liveness probe restarts the process.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable

MESSAGE_LIMIT = 200


class ThreadHealth:
    """The health of one worker thread (thread-safe).

    The thread calls `ok()` after each pass that worked and `failed(exc)` when a pass raised
    (and then carries on). `problem()` is None while healthy, else why not:
    - the thread was started (`watch`) and has ended without `stopped()` being called;
    - it has been failing, without a pass that worked, for `grace` seconds or more;
    - with `stall`: no pass has worked for `stall` seconds (for loops that must come round
      regularly, e.g. a reconcile loop that may block in I/O).
    """

    def __init__(self, name: str, *, grace: float = 10.0, stall: float | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.name = name
        self._grace, self._stall, self._clock = grace, stall, clock
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._failing_since: float | None = None
        self._last_ok: float | None = None
        self._error = ""
        self._stopped = False

    def watch(self, thread: threading.Thread) -> None:
        with self._lock:
            self._thread, self._stopped = thread, False
            self._last_ok = self._clock()

    def ok(self) -> None:
        with self._lock:
            self._failing_since = None
            self._last_ok = self._clock()

    def failed(self, exc: BaseException) -> None:
        with self._lock:
            if self._failing_since is None:
                self._failing_since = self._clock()
            self._error = f"{type(exc).__name__}: {exc}"[:MESSAGE_LIMIT]

    def stopped(self) -> None:
        """An orderly end: not a problem."""
        with self._lock:
            self._stopped = True

    def failing_for(self) -> float:
        """Seconds since the current run of failures began (0 when the last pass worked)."""
        with self._lock:
            since = self._failing_since
        return 0.0 if since is None else self._clock() - since

    def problem(self) -> str | None:
        with self._lock:
            if self._stopped:
                return None
            now = self._clock()
            if self._thread is not None and not self._thread.is_alive():
                return f"{self.name}: thread died"
            if self._failing_since is not None and now - self._failing_since >= self._grace:
                return (f"{self.name}: failing for {now - self._failing_since:.0f}s "
                        f"({self._error})")
            if self._stall is not None and self._last_ok is not None \
                    and now - self._last_ok >= self._stall:
                return f"{self.name}: no progress for {now - self._last_ok:.0f}s"
            return None


def problems(healths: Iterable[ThreadHealth | None]) -> list[str]:
    return [p for h in healths if h is not None and (p := h.problem()) is not None]
