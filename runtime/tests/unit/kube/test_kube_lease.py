"""Leader election timing: the pure rules, then LeaderElector.step() against an in-memory
Lease API (a fake of the apiserver boundary that enforces resourceVersion) and a fake clock."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from baremetal_lb.kube import lease as rules
from baremetal_lb.kube.errors import ApiError, TransportError
from baremetal_lb.kube.leader import LeaderElector
from baremetal_lb.kube.lease import LeaseRecord, Observed

CASES = yaml.safe_load((Path(__file__).parent / "cases" / "lease.yaml").read_text())


@pytest.mark.parametrize("case", CASES["decide"], ids=lambda c: c["name"])
def test_decide(case: dict[str, Any]) -> None:
    record = LeaseRecord(case["holder"], case["duration"], None, None, 0)
    assert rules.decide(Observed(record, case["seen"]), "me", case["now"]) == case["decision"]


@pytest.mark.parametrize("case", CASES["next"], ids=lambda c: c["name"])
def test_next_record(case: dict[str, Any]) -> None:
    current = LeaseRecord(**case["current"]) if case["current"] else None
    assert rules.next_record(current, case["identity"], "NOW", 15) == \
        LeaseRecord(**case["expect"])


def test_observe_keeps_the_first_sighting_of_an_unchanged_record() -> None:
    record = LeaseRecord("b", 15, "T0", "T1", 0)
    first = rules.observe(None, record, 10.0)
    assert rules.observe(first, record, 20.0).at == 10.0
    renewed = LeaseRecord("b", 15, "T0", "T2", 0)
    assert rules.observe(first, renewed, 20.0).at == 20.0


def test_timing_is_checked() -> None:
    rules.check_timing(15, 10, 2)
    for bad in ((10, 10, 2), (15, 2, 2), (15, 10, 0)):
        with pytest.raises(ValueError, match="lease_duration > renew_deadline"):
            rules.check_timing(*bad)


class FakeLeaseApi:
    """Leases in memory with the apiserver's optimistic concurrency."""

    def __init__(self) -> None:
        self.leases: dict[str, dict[str, Any]] = {}
        self.rv = 0
        self.down = False
        self.writes: list[tuple[str, str]] = []

    def request(self, method: str, path: str, *, params: Any = None, body: Any = None,
                content_type: str = "", timeout: float | None = None,
                retry: bool = True) -> dict[str, Any]:
        if self.down:
            raise TransportError("connection refused", f"{method} {path}")
        if method == "POST":
            path = f"{path}/{body['metadata']['name']}"
            if path in self.leases:
                raise ApiError(409, "AlreadyExists", "exists")
        elif path not in self.leases:
            raise ApiError(404, "NotFound", "not found")
        if method == "GET":
            return self.leases[path]
        if method == "PUT" and body["metadata"]["resourceVersion"] != \
                self.leases[path]["metadata"]["resourceVersion"]:
            raise ApiError(409, "Conflict", "the object has been modified")
        self.rv += 1
        stored = dict(body, metadata=dict(body["metadata"], resourceVersion=str(self.rv)))
        self.leases[path] = stored
        self.writes.append((method, body["spec"]["holderIdentity"]))
        return stored

    def holder(self) -> str:
        (lease,) = self.leases.values()
        return str(lease["spec"]["holderIdentity"])

    def spec(self) -> dict[str, Any]:
        (lease,) = self.leases.values()
        return dict(lease["spec"])


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Candidate:
    def __init__(self, api: FakeLeaseApi, clock: Clock, identity: str) -> None:
        self.calls: list[str] = []
        self.elector = LeaderElector(
            api, "ns", "lb", identity, lease_duration=15, renew_deadline=10, retry_period=2,
            on_started_leading=lambda: self.calls.append("started"),
            on_stopped_leading=lambda: self.calls.append("stopped"), clock=clock)


@pytest.fixture
def world() -> tuple[FakeLeaseApi, Clock, Candidate, Candidate]:
    api, clock = FakeLeaseApi(), Clock()
    return api, clock, Candidate(api, clock, "a"), Candidate(api, clock, "b")


def test_first_candidate_creates_the_lease_and_the_other_waits(world: Any) -> None:
    api, clock, a, b = world
    assert a.elector.step() and a.elector.is_leader()
    assert not b.elector.step() and not b.elector.is_leader()
    assert api.holder() == "a" and api.spec()["leaseTransitions"] == 0
    assert a.calls == ["started"] and b.calls == []


def test_a_renewing_leader_is_never_displaced(world: Any) -> None:
    api, clock, a, b = world
    for _ in range(50):
        assert a.elector.step()
        assert not b.elector.step()
        clock.now += 2
    assert api.holder() == "a" and a.calls == ["started"]


def test_takeover_after_lease_duration_since_last_observed_change(world: Any) -> None:
    api, clock, a, b = world
    a.elector.step()
    clock.now += 1
    b.elector.step()              # b first sees a's record now (t = 1001)
    # a is gone without releasing; its renewTime (a wall-clock string) is irrelevant.
    api.leases[next(iter(api.leases))]["spec"]["renewTime"] = "2999-01-01T00:00:00.000000Z"
    clock.now += 0.5
    b.elector.step()              # the record changed: the 15 s start again from 1001.5
    clock.now = 1001.5 + 14.9
    assert not b.elector.step()
    clock.now = 1001.5 + 15
    assert b.elector.step() and api.holder() == "b"
    assert api.spec()["leaseTransitions"] == 1
    assert b.calls == ["started"]


def test_leader_that_cannot_renew_steps_down_once_after_renew_deadline(world: Any) -> None:
    api, clock, a, _ = world
    a.elector.step()
    renewed_at = clock.now
    api.down = True
    clock.now = renewed_at + 9.9
    assert a.elector.is_leader()
    assert a.elector.step() and a.calls == ["started"]
    clock.now = renewed_at + 10
    assert not a.elector.is_leader(), "is_leader turns False at the deadline by itself"
    assert not a.elector.step()
    assert not a.elector.step()
    assert a.calls == ["started", "stopped"]
    api.down = False
    assert a.elector.step() and a.calls == ["started", "stopped", "started"]


def test_release_lets_the_standby_take_over_at_its_next_step(world: Any) -> None:
    api, clock, a, b = world
    a.elector.step()
    b.elector.step()
    a.elector.stop(release=True)
    assert a.calls == ["started", "stopped"] and api.holder() == ""
    clock.now += 2
    assert b.elector.step() and api.holder() == "b"
    assert api.spec()["leaseTransitions"] == 1


def test_stop_without_release_leaves_the_lease_to_expire(world: Any) -> None:
    api, clock, a, b = world
    a.elector.step()
    b.elector.step()
    a.elector.stop(release=False)
    assert api.holder() == "a" and a.calls == ["started", "stopped"]
    clock.now += 14
    assert not b.elector.step()
    clock.now += 1
    assert b.elector.step()


def test_losing_a_write_race_is_not_leading(world: Any) -> None:
    api, clock, a, b = world
    api.request("POST", "/apis/coordination.k8s.io/v1/namespaces/ns/leases", body={
        "metadata": {"name": "lb", "namespace": "ns"},
        "spec": {"holderIdentity": "", "leaseDurationSeconds": 1, "leaseTransitions": 0}})
    path = next(iter(api.leases))
    stale = dict(api.leases[path])
    # b writes first; a then updates from the same resourceVersion it read.
    assert b.elector.step()
    original_get = api.request

    def get_stale(method: str, p: str, **kw: Any) -> dict[str, Any]:
        return stale if method == "GET" else original_get(method, p, **kw)

    api.request = get_stale  # type: ignore[method-assign]
    assert not a.elector.step() and api.holder() == "b"
    assert a.calls == []


def test_write_window_runs_from_the_last_renewal_to_the_lease_duration(world: Any) -> None:
    api, clock, a, b = world
    assert a.elector.write_window() == 0.0, "no window before leading"
    a.elector.step()
    renewed_at = clock.now
    b.elector.step()
    assert b.elector.write_window() == 0.0, "a standby may never write"
    api.down = True
    clock.now = renewed_at + 3
    assert a.elector.write_window() == pytest.approx(12)     # lease 15 s from the renewal
    clock.now = renewed_at + 9.9                             # just before renew_deadline
    assert a.elector.write_window() == pytest.approx(5.1)
    clock.now = renewed_at + 10
    assert a.elector.write_window() == 0.0, "past renew_deadline nothing may start"


def test_a_renewal_read_during_a_slow_get_counts_from_when_it_was_read(world: Any) -> None:
    """The standby's GET is sent at t, the leader's renewal begins at t + 0.5 and lands, and
    the GET answers at t + 1 with it. The leader may write until (its renewal's start + 15 s),
    so the standby must not take over before then: it counts from when it read the record."""
    api, clock, a, b = world
    a.elector.step()
    b.elector.step()
    sent_at = clock.now + 5
    clock.now = sent_at
    original = api.request

    def slow_get(method: str, path: str, **kw: Any) -> dict[str, Any]:
        if method == "GET":
            clock.now += 0.5
            a.elector.step()                                 # the renewal lands meanwhile
            clock.now += 0.5
        return original(method, path, **kw)

    api.request = slow_get  # type: ignore[method-assign]
    assert not b.elector.step()
    api.request = original  # type: ignore[method-assign]
    leader_renewed_at = sent_at + 0.5                        # ... and a renews no more
    clock.now = leader_renewed_at + 15 - 0.1
    assert not b.elector.step(), "took the lease while the holder could still write"
    clock.now = sent_at + 1 + 15
    assert b.elector.step() and api.holder() == "b"


def test_whole_seconds_written_in_the_lease_must_exceed_the_renew_deadline() -> None:
    # 4.4 s is written as leaseDurationSeconds 4: standbys would take over at 4 s.
    with pytest.raises(ValueError, match="lease_duration > renew_deadline"):
        rules.check_timing(4.4, 4.2, 1)
    rules.check_timing(6, 4, 1)


def test_the_election_loop_survives_a_malformed_lease() -> None:
    api, clock = FakeLeaseApi(), time.monotonic
    calls: list[str] = []
    elector = LeaderElector(api, "ns", "lb", "a", lease_duration=3, renew_deadline=2,
                            retry_period=0.05, on_started_leading=lambda: calls.append("started"),
                            on_stopped_leading=lambda: calls.append("stopped"), clock=clock)
    api.request("POST", "/apis/coordination.k8s.io/v1/namespaces/ns/leases", body={
        "metadata": {"name": "lb", "namespace": "ns"},
        "spec": {"holderIdentity": "b", "leaseDurationSeconds": "six"}})   # not an integer
    elector.start()
    try:
        deadline = time.monotonic() + 5
        while elector.health.failing_for() == 0 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert elector.health.failing_for() > 0
        time.sleep(0.2)
        assert elector._thread is not None and elector._thread.is_alive(), \
            "one bad lease ended leader election for good"
        path = next(iter(api.leases))
        api.leases[path]["spec"]["leaseDurationSeconds"] = 1
        api.leases[path]["spec"]["holderIdentity"] = ""                    # released
        while not elector.is_leader() and time.monotonic() < deadline:
            time.sleep(0.02)
        assert elector.is_leader() and elector.health.problem() is None
    finally:
        elector.stop(release=False)
