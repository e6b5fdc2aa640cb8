"""WriteFence: every attempt of a leader's write is gated by the lease, cut off when a standby
could take over, and all attempts together stay within the budget. A fake clock stands in for
time; the attempts are scripted (the request boundary)."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest

from baremetal_lb.kube.errors import ApiError, TransportError
from baremetal_lb.kube.fence import Fenced, WriteFence


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0
        self.now += seconds


class Lease:
    """A leader's view of its lease: writes may land until `until` (the fence's window)."""

    def __init__(self, clock: Clock, until: float) -> None:
        self.clock, self.until = clock, until

    def window(self) -> float:
        return max(0.0, self.until - self.clock())


def fence(clock: Clock, lease: Lease, budget: float = 1.5) -> WriteFence:
    return WriteFence(lease.window, budget, clock=clock, sleep=clock.sleep)


def failing(clock: Clock, timeouts: list[float], *, takes: float | None = None,
            then: Callable[[], None] | None = None) -> Callable[[float], str]:
    """An attempt that fails as an unreachable apiserver does, after `takes` seconds (default:
    its whole timeout), and runs `then` (e.g. the process being paused) before failing."""
    def attempt(timeout: float) -> str:
        timeouts.append(timeout)
        clock.now += timeout if takes is None else takes
        if then is not None:
            then()
        raise TransportError("connect timed out", "PATCH /x")
    return attempt


def test_a_write_is_not_retried_once_the_leader_was_paused_past_its_lease() -> None:
    clock = Clock()
    lease = Lease(clock, until=clock.now + 5)

    def paused() -> None:           # SIGSTOP during the attempt, SIGCONT 10 s later
        clock.now += 10

    timeouts: list[float] = []
    with pytest.raises(Fenced, match="no longer leading") as caught:
        fence(clock, lease).run("Service a/b status", failing(clock, timeouts, takes=0.1,
                                                               then=paused))
    assert len(timeouts) == 1, "no attempt may start after the lease ran out"
    assert caught.value.last is not None and caught.value.last.status == 0


def test_all_attempts_together_stay_within_the_budget() -> None:
    clock = Clock()
    started = clock.now
    timeouts: list[float] = []
    with pytest.raises(Fenced, match="spent"):
        fence(clock, Lease(clock, until=started + 60), budget=1.5).run(
            "w", failing(clock, timeouts))
    assert clock.now - started <= 1.5
    assert len(timeouts) >= 1
    assert sum(timeouts) <= 1.5


def test_an_attempt_never_outlives_the_lease_window() -> None:
    clock = Clock()
    lease = Lease(clock, until=clock.now + 0.4)    # close to where a standby may take over
    cut_off: list[float] = []

    def attempt(timeout: float) -> str:
        cut_off.append(clock.now + timeout)        # when this request gives up at the latest
        clock.now += 0.01
        raise TransportError("connection refused", "PATCH /x")

    with pytest.raises(Fenced):
        fence(clock, lease).run("w", attempt)
    assert len(cut_off) > 1 and max(cut_off) <= lease.until


def test_no_attempt_when_not_leading() -> None:
    clock = Clock()
    timeouts: list[float] = []
    with pytest.raises(Fenced, match="no longer leading") as caught:
        fence(clock, Lease(clock, until=clock.now)).run("w", failing(clock, timeouts))
    assert timeouts == [] and caught.value.last is None


def test_success_after_a_transient_failure() -> None:
    clock = Clock()
    calls: list[float] = []

    def attempt(timeout: float) -> str:
        calls.append(timeout)
        if len(calls) == 1:
            raise ApiError(503, "ServiceUnavailable", "etcd leader change")
        return "ok"

    assert fence(clock, Lease(clock, until=clock.now + 6)).run("w", attempt) == "ok"
    assert len(calls) == 2


@pytest.mark.parametrize("status", [400, 403, 404, 409, 422])
def test_other_errors_are_not_retried(status: int) -> None:
    clock = Clock()
    calls: list[float] = []

    def attempt(timeout: float) -> str:
        calls.append(timeout)
        raise ApiError(status, "X", "no")

    with pytest.raises(ApiError) as caught:
        fence(clock, Lease(clock, until=clock.now + 6)).run("w", attempt)
    assert caught.value.status == status and len(calls) == 1


def test_the_budget_must_leave_room_for_an_attempt() -> None:
    with pytest.raises(ValueError, match="budget"):
        WriteFence(lambda: 1.0, 0.01)


def test_drain_waits_for_the_attempts_in_flight() -> None:
    sending, release = threading.Event(), threading.Event()
    write = WriteFence(lambda: 10.0, 1.0)

    def attempt(timeout: float) -> str:
        sending.set()
        release.wait(5)
        return "ok"

    worker = threading.Thread(target=write.run, args=("w", attempt))
    worker.start()
    assert sending.wait(5)
    assert not write.drain(0.05), "an attempt is in flight"
    release.set()
    assert write.drain(5)
    worker.join(5)
