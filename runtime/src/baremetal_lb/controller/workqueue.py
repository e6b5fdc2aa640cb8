"""A keyed work queue with client-go's guarantees, for the reconcile workers.

- A key is queued at most once however often it is added (a burst of watch events for one
  Service costs one reconcile).
- A key is never handed to two workers at once: adding a key while it is being processed marks
  it dirty, and it is queued again when that worker calls ``done``. This is what lets several
  workers write status concurrently without two of them deciding about the same Service.
- ``add_after`` delays a retry without blocking a worker; ``retry`` does so with a delay that
  doubles with each consecutive failure of that key (up to RETRY_CAP), until ``forget``: a
  Service the apiserver keeps refusing costs a request a minute, not one a second.
"""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from collections import deque

RETRY_CAP = 60.0


class WorkQueue:
    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._queue: deque[str] = deque()
        self._queued: set[str] = set()
        self._processing: set[str] = set()
        self._dirty: set[str] = set()
        self._delayed: list[tuple[float, int, str]] = []
        self._order = itertools.count()
        self._failures: dict[str, int] = {}
        self._closed = False

    def add(self, key: str) -> None:
        with self._cond:
            self._add_locked(key)

    def add_all(self, keys: list[str]) -> None:
        with self._cond:
            for key in keys:
                self._add_locked(key)

    def add_after(self, key: str, delay: float) -> None:
        with self._cond:
            heapq.heappush(self._delayed, (time.monotonic() + delay, next(self._order), key))
            self._cond.notify()

    def retry(self, key: str, base: float) -> float:
        """Queue the key again after base * 2^(failures so far), capped; returns the delay."""
        with self._cond:
            failures = self._failures.get(key, 0)
            self._failures[key] = failures + 1
        delay = min(RETRY_CAP, base * 2.0 ** min(failures, 30))
        self.add_after(key, delay)
        return delay

    def forget(self, key: str) -> None:
        """The key was handled: its next failure starts from the base delay again."""
        with self._cond:
            self._failures.pop(key, None)

    def get(self, timeout: float | None = None) -> str | None:
        """The next key, or None on timeout or once the queue is closed."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while True:
                self._promote_delayed_locked()
                if self._closed:
                    return None
                if self._queue:
                    key = self._queue.popleft()
                    self._queued.discard(key)
                    self._processing.add(key)
                    return key
                if deadline is not None and time.monotonic() >= deadline:
                    return None
                self._cond.wait(self._next_wait_locked(deadline))

    def done(self, key: str) -> None:
        with self._cond:
            self._processing.discard(key)
            if key in self._dirty:
                self._dirty.discard(key)
                self._add_locked(key)

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def clear(self) -> None:
        """Forget queued and delayed keys (leadership lost: the next leader rebuilds anyway)."""
        with self._cond:
            self._queue.clear()
            self._queued.clear()
            self._dirty.clear()
            self._delayed.clear()
            self._failures.clear()

    def __len__(self) -> int:
        with self._cond:
            return len(self._queue) + len(self._delayed)

    def idle(self) -> bool:
        with self._cond:
            return not (self._queue or self._processing or self._delayed or self._dirty)

    # -- internals --------------------------------------------------------------------------

    def _add_locked(self, key: str) -> None:
        if key in self._processing:
            self._dirty.add(key)
        elif key not in self._queued:
            self._queued.add(key)
            self._queue.append(key)
            self._cond.notify()

    def _promote_delayed_locked(self) -> None:
        now = time.monotonic()
        while self._delayed and self._delayed[0][0] <= now:
            _, _, key = heapq.heappop(self._delayed)
            self._add_locked(key)

    def _next_wait_locked(self, deadline: float | None) -> float | None:
        now = time.monotonic()
        waits = []
        if self._delayed:
            waits.append(self._delayed[0][0] - now)
        if deadline is not None:
            waits.append(deadline - now)
        return max(0.0, min(waits)) if waits else None
