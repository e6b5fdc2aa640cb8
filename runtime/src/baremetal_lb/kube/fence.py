"""Fenced writes: a leader's write is attempted only while it may still land before another
replica can lead, and all its attempts together take less than the lease's margin.

A leader checks its lease before a write; but a write retried for seconds after that check
(connect retries, a slow apiserver, a process paused by the kernel or SIGSTOP) can land after
a standby took the lease over and started writing itself: a lost update, or two Services
given one IP. So every attempt is gated, right before it is sent:

- `window()` (LeaderElector.write_window) says how long a write started now may take and
  still land before a standby may take over: 0 once we no longer lead. The attempt gets at
  most that long (its request timeout), so a slow attempt is abandoned in time.
- `budget` bounds the whole write, retries included. The caller keeps it below
  lease_duration - renew_deadline, so even the last attempt the leader may start (just before
  its renew_deadline) is over before a standby may take over.

What no client can fence is a pause between the check and the send (microseconds without I/O
in between); the conditional writes (a resourceVersion in every status patch) make such a
late write fail with 409 whenever the new leader has written that object since.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TypeVar

from .errors import ApiError

T = TypeVar("T")
Clock = Callable[[], float]
# Statuses worth another attempt: unreachable, throttled, or the apiserver's own trouble.
RETRIABLE = frozenset({0, 429, 500, 502, 503, 504})


class Fenced(Exception):
    """The write was not (or no longer) attempted: we do not lead, or its time is spent.
    `last` is the error of the last attempt, if one was made."""

    def __init__(self, what: str, why: str, last: ApiError | None = None) -> None:
        detail = f" (last attempt: {last})" if last is not None else ""
        super().__init__(f"{what}: not written, {why}{detail}")
        self.why = why
        self.last = last


class WriteFence:
    """Runs writes as fenced attempts (see the module docstring). Thread-safe; `drain` waits
    for the attempts in flight, so a leader that steps down on purpose (SIGTERM) can hand the
    lease over only once nothing of its own can still land."""

    def __init__(self, window: Callable[[], float], budget: float, *,
                 min_attempt: float = 0.05, first_delay: float = 0.05,
                 clock: Clock = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        if budget <= min_attempt:
            raise ValueError(f"write budget {budget}s must exceed the shortest attempt "
                             f"{min_attempt}s")
        self.budget = budget
        self._window = window
        self._min_attempt = min_attempt
        self._first_delay = first_delay
        self._clock = clock
        self._sleep = sleep
        self._inflight = 0
        self._idle = threading.Condition()

    def run(self, what: str, attempt: Callable[[float], T]) -> T:
        """`attempt(timeout)` sends one request that must give up after `timeout` seconds and
        must not retry by itself (KubeClient.request(retry=False)). Retried on transport
        errors, 429 and 5xx while time remains; any other ApiError is raised at once. Raises
        Fenced when no attempt may be made any more."""
        deadline = self._clock() + self.budget
        delay = self._first_delay
        last: ApiError | None = None
        while True:
            with self._idle:
                window = self._window()
                left = min(deadline - self._clock(), window)
                if left < self._min_attempt:
                    if window <= 0:
                        why = "no longer leading"
                    elif window < self._min_attempt:
                        why = "the lease may pass to a standby before it could land"
                    else:
                        why = f"its {self.budget:.2f}s are spent"
                    raise Fenced(what, why, last)
                self._inflight += 1
            try:
                return attempt(left)
            except ApiError as exc:
                if exc.status not in RETRIABLE:
                    raise
                last = exc
            finally:
                with self._idle:
                    self._inflight -= 1
                    self._idle.notify_all()
            self._sleep(max(0.0, min(delay, deadline - self._clock())))
            delay *= 2

    def drain(self, timeout: float) -> bool:
        """Waits until no attempt is in flight (at most `timeout`); True if none is."""
        end = self._clock() + timeout
        with self._idle:
            while self._inflight:
                left = end - self._clock()
                if left <= 0:
                    return False
                self._idle.wait(left)
            return True
