"""Capped exponential backoff with jitter, for retrying a flaky apiserver."""

from __future__ import annotations

import random
from collections.abc import Callable


class Backoff:
    """next() gives the delay before the next try: initial, doubled each time up to cap, each
    spread by +-jitter so that many clients do not retry in step."""

    def __init__(self, initial: float = 0.5, cap: float = 30.0, factor: float = 2.0,
                 jitter: float = 0.2, rand: Callable[[], float] = random.random) -> None:
        if not 0 < initial <= cap:
            raise ValueError(f"backoff initial {initial} must be > 0 and <= cap {cap}")
        self.initial, self.cap, self.factor, self.jitter = initial, cap, factor, jitter
        self._rand = rand
        self._next = initial

    def next(self) -> float:
        base = self._next
        self._next = min(self.cap, self._next * self.factor)
        return base * (1 + self.jitter * (2 * self._rand() - 1))

    def reset(self) -> None:
        self._next = self.initial
