"""Event building and aggregation; the recorder's sender runs against a fake apiserver."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from baremetal_lb.kube.errors import ApiError
from baremetal_lb.kube.events import EventRecorder, event_key, involved_object, new_event

SVC = {"apiVersion": "v1", "kind": "Service",
       "metadata": {"namespace": "web", "name": "api", "uid": "u-1", "resourceVersion": "7"}}
POOL = {"apiVersion": "metallb.io/v1beta1", "kind": "IPAddressPool",
        "metadata": {"namespace": "metallb-system", "name": "p", "uid": "u-2"}}
NODE = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "node1", "uid": "u-3"}}


def test_involved_object_and_new_event() -> None:
    ref = involved_object(SVC)
    assert ref == {"apiVersion": "v1", "kind": "Service", "namespace": "web", "name": "api",
                   "uid": "u-1", "resourceVersion": "7"}
    event = new_event(ref, "Warning", "AllocationFailed", "no pool", 1700000000.5,
                      "baremetal-lb-controller", "host1")
    assert event["metadata"] == {"namespace": "web", "name": f"api.{1700000000500000000:x}"}
    assert event["involvedObject"] == ref
    assert (event["type"], event["reason"], event["message"], event["count"]) == \
        ("Warning", "AllocationFailed", "no pool", 1)
    assert event["firstTimestamp"] == event["lastTimestamp"] == "2023-11-14T22:13:20Z"
    assert event["source"] == {"component": "baremetal-lb-controller", "host": "host1"}
    assert (event["reportingComponent"], event["reportingInstance"]) == \
        ("baremetal-lb-controller", "host1")


def test_cluster_scoped_objects_get_events_in_default() -> None:
    event = new_event(involved_object(NODE), "Normal", "R", "m", 0, "c", "h")
    assert event["metadata"]["namespace"] == "default"
    assert "namespace" not in event["involvedObject"]


def test_involved_object_needs_kind_and_name() -> None:
    with pytest.raises(ValueError, match="kind and metadata.name"):
        involved_object({"metadata": {"name": "x"}})


@pytest.mark.parametrize("other, same", [
    (dict(SVC, metadata=dict(SVC["metadata"], resourceVersion="8")), True),
    (dict(SVC, metadata=dict(SVC["metadata"], uid="u-9")), False),
    (dict(SVC, metadata=dict(SVC["metadata"], name="web")), False),
    (POOL, False),
])
def test_event_key_ignores_only_the_resource_version(other: dict[str, Any], same: bool) -> None:
    key = event_key(involved_object(SVC), "Normal", "IPAllocated", "1.2.3.4")
    assert (event_key(involved_object(other), "Normal", "IPAllocated", "1.2.3.4") == key) \
        is same
    assert event_key(involved_object(SVC), "Normal", "IPAllocated", "1.2.3.5") != key
    assert event_key(involved_object(SVC), "Warning", "IPAllocated", "1.2.3.4") != key


class FakeEventsApi:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str, Any]] = []
        self.events: dict[str, dict[str, Any]] = {}
        self.gate: threading.Event | None = None
        self.entered = threading.Event()

    def request(self, method: str, path: str, *, params: Any = None, body: Any = None,
                content_type: str = "", timeout: float | None = None,
                retry: bool = True) -> dict[str, Any]:
        self.entered.set()
        if self.gate is not None:
            self.gate.wait(5)
        self.calls.append((method, path, body))
        if method == "POST":
            self.events[f"{path}/{body['metadata']['name']}"] = body
            return body
        if path not in self.events:
            raise ApiError(404, "NotFound", "gone")
        self.events[path].update(body)
        return self.events[path]


def test_repeats_are_aggregated_and_others_are_not() -> None:
    api = FakeEventsApi()
    times = iter([100.0, 101.0, 102.0, 103.0])
    recorder = EventRecorder(api, "ctl", "h", clock=lambda: next(times))  # type: ignore[arg-type]
    recorder.record(SVC, "Normal", "IPAllocated", "1.2.3.4")
    recorder.record(dict(SVC, metadata=dict(SVC["metadata"], resourceVersion="9")),
                    "Normal", "IPAllocated", "1.2.3.4")
    recorder.record(SVC, "Normal", "IPAllocated", "1.2.3.5")
    recorder.record(SVC, "Normal", "IPAllocated", "1.2.3.4")
    recorder.stop()
    assert [c[0] for c in api.calls] == ["POST", "PATCH", "POST", "PATCH"]
    assert api.calls[1][2] == {"count": 2, "lastTimestamp": "1970-01-01T00:01:41Z"}
    assert api.calls[3][2]["count"] == 3
    first = api.calls[0][1] + "/" + api.calls[0][2]["metadata"]["name"]
    assert api.calls[1][1] == api.calls[3][1] == first
    assert recorder.dropped == recorder.failed == 0


def test_patch_of_a_vanished_event_falls_back_to_create() -> None:
    api = FakeEventsApi()
    recorder = EventRecorder(api, "ctl", "h")  # type: ignore[arg-type]
    recorder.record(SVC, "Warning", "R", "m")
    deadline = time.monotonic() + 5
    while not api.calls and time.monotonic() < deadline:
        time.sleep(0.01)
    api.events.clear()                  # the 1 h TTL removed it
    recorder.record(SVC, "Warning", "R", "m")
    recorder.stop()
    assert [c[0] for c in api.calls] == ["POST", "PATCH", "POST"]
    assert api.calls[2][2]["count"] == 1


def test_full_queue_drops_and_counts_without_blocking() -> None:
    api = FakeEventsApi()
    api.gate = threading.Event()
    recorder = EventRecorder(api, "ctl", "h", queue_size=2)  # type: ignore[arg-type]
    recorder.record(SVC, "Normal", "R", "0")
    assert api.entered.wait(5)          # the sender holds event 0 and is stuck in the request
    for n in range(1, 5):
        recorder.record(SVC, "Normal", "R", str(n))
    assert recorder.dropped == 2
    api.gate.set()
    recorder.stop()
    assert [c[2]["message"] for c in api.calls] == ["0", "1", "2"]


def test_bad_calls_are_counted_not_raised() -> None:
    recorder = EventRecorder(FakeEventsApi(), "ctl", "h")  # type: ignore[arg-type]
    recorder.record(SVC, "Info", "R", "m")
    recorder.record({"metadata": {}}, "Normal", "R", "m")
    assert recorder.failed == 2
    recorder.stop()
