"""ThreadHealth: what /healthz says of a worker thread (died, failing, stalled), with a fake
clock and real threads."""

from __future__ import annotations

import threading

from baremetal_lb.health import ThreadHealth, problems


class Clock:
    def __init__(self) -> None:
        self.now = 64.0

    def __call__(self) -> float:
        return self.now


def finished_thread() -> threading.Thread:
    thread = threading.Thread(target=lambda: None)
    thread.start()
    thread.join()
    return thread


def test_a_thread_that_ended_is_named() -> None:
    health = ThreadHealth("heartbeats on eth0")
    health.watch(finished_thread())
    assert health.problem() == "heartbeats on eth0: thread died"
    assert problems([health, None]) == ["heartbeats on eth0: thread died"]


def test_an_orderly_stop_is_no_problem() -> None:
    health = ThreadHealth("x")
    health.watch(finished_thread())
    health.stopped()
    assert health.problem() is None


def test_failing_counts_only_after_the_grace_and_ends_with_a_good_pass() -> None:
    clock = Clock()
    health = ThreadHealth("layer2 responder on eth0", grace=10, clock=clock)
    health.watch(threading.current_thread())
    health.failed(OSError(9, "Bad file descriptor"))
    clock.now += 9.9
    assert health.problem() is None and health.failing_for() < 10
    health.failed(OSError(9, "Bad file descriptor"))      # the run of failures goes on
    clock.now += 0.1
    assert health.problem() == ("layer2 responder on eth0: failing for 10s "
                                "(OSError: [Errno 9] Bad file descriptor)")
    health.ok()
    assert health.problem() is None and health.failing_for() == 0


def test_a_loop_without_progress_is_reported_when_asked_to() -> None:
    clock = Clock()
    health = ThreadHealth("reconcile loop", stall=120, clock=clock)
    assert health.problem() is None, "not started yet"
    health.watch(threading.current_thread())
    clock.now += 119
    health.ok()
    clock.now += 119
    assert health.problem() is None
    clock.now += 1
    assert health.problem() == "reconcile loop: no progress for 120s"
