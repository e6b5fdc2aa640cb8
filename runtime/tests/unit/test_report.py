"""ConfigReporter: the ConfigurationState of a component, written only when it changes, and
one Warning Event per newly left-out object."""

from __future__ import annotations

import threading
import time
from typing import Any

from baremetal_lb.config import ObjectRef, Problem
from baremetal_lb.report import ConfigReporter, state_status

POOL = ObjectRef("IPAddressPool", "p", "lb", "metallb.io/v1beta1", "u-1")
PEER = ObjectRef("BGPPeer", "r", "lb", "metallb.io/v1beta2", "u-2")


class FakeApi:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str, dict[str, Any]]] = []
        self.fail = False
        self.changed = threading.Condition()

    def resource_for(self, api_version: str, kind: str) -> tuple[str, bool]:
        return "configurationstates", True

    def request(self, method: str, path: str, *, params: Any = None, body: Any = None,
                content_type: str = "", timeout: float | None = None,
                retry: bool = True) -> dict[str, Any]:
        from baremetal_lb.kube import ApiError
        if self.fail:
            raise ApiError(0, "Unreachable", "down")
        with self.changed:
            self.calls.append((method, path, body))
            self.changed.notify_all()
        return dict(body)

    def wait_for(self, count: int, timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        with self.changed:
            while len(self.calls) < count and time.monotonic() < deadline:
                self.changed.wait(0.05)
        time.sleep(0.05)   # nothing more should come


class FakeRecorder:
    def __init__(self) -> None:
        self.events: list[tuple[dict[str, Any], str, str, str]] = []

    def record(self, obj: dict[str, Any], type_: str, reason: str, message: str) -> None:
        self.events.append((obj, type_, reason, message))


def test_state_status_has_one_condition_per_kind() -> None:
    status = state_status([POOL.problem("IPAddressPool lb/p: bad"),
                           PEER.problem("BGPPeer lb/r: worse")], ["IPAddressPool", "Community"])
    assert status["result"] == "Invalid"
    assert status["errorSummary"] == "IPAddressPool lb/p: bad; BGPPeer lb/r: worse"
    assert [(c["type"], c["status"], c["reason"]) for c in status["conditions"]] == [
        ("IPAddressPoolValid", "False", "ObjectsIgnored"), ("CommunityValid", "True", "Valid"),
        ("BGPPeerValid", "False", "ObjectsIgnored")]
    assert state_status([], ["IPAddressPool"])["result"] == "Valid"


def test_writes_only_changes_and_records_each_problem_once() -> None:
    api, recorder = FakeApi(), FakeRecorder()
    reporter = ConfigReporter(api, recorder, "lb", "speaker", "mgr",  # type: ignore[arg-type]
                              node="node1", kinds=["IPAddressPool", "BGPPeer"],
                              event_kinds=["BGPPeer"])
    bad_pool, bad_peer = POOL.problem("pool bad"), PEER.problem("peer bad")
    reporter.report([bad_pool, bad_peer])
    api.wait_for(2)
    create, status = api.calls
    assert create[1] == "/apis/metallb.io/v1beta1/namespaces/lb/configurationstates/speaker-node1"
    assert create[2]["metadata"]["labels"] == {"metallb.io/component-type": "speaker",
                                               "metallb.io/node-name": "node1"}
    assert status[1].endswith("/speaker-node1/status")
    assert status[2]["status"]["result"] == "Invalid"
    assert all(c["lastTransitionTime"] for c in status[2]["status"]["conditions"])
    # The pool's event is the controller's to record; the peer's is ours, once.
    assert [(e[0]["kind"], e[2], e[3]) for e in recorder.events] == [
        ("BGPPeer", "InvalidConfiguration", "peer bad")]
    reporter.report([bad_pool, bad_peer])
    api.wait_for(3, timeout=0.3)
    assert len(api.calls) == 2 and len(recorder.events) == 1
    reporter.report([])
    api.wait_for(3)
    reporter.stop()
    assert len(api.calls) == 3 and api.calls[2][2]["status"]["result"] == "Valid"


def test_a_failed_write_is_retried_until_it_lands(monkeypatch: Any) -> None:
    import baremetal_lb.report as report
    monkeypatch.setattr(report, "RETRY_SECONDS", 0.05)
    api = FakeApi()
    api.fail = True
    reporter = ConfigReporter(api, FakeRecorder(), "lb", "controller", "mgr")  # type: ignore[arg-type]
    reporter.report([])
    time.sleep(0.2)
    api.fail = False
    api.wait_for(2)
    reporter.stop()
    assert [c[1].rsplit("/", 1)[-1] for c in api.calls] == ["controller", "status"]


def test_problem_is_hashable_and_compared_by_value() -> None:
    assert Problem(POOL, "m") == POOL.problem("m")
    assert len({POOL.problem("m"), POOL.problem("m")}) == 1
