"""baremetal_lb.kube against the lab's real kube-apiserver: requests and errors, server-side
apply, informers (including resuming after a cut connection and re-listing after a real 410),
Lease leader election and Events.

Connection faults are real: a TCP relay on 127.0.0.1 (a SAN of the apiserver certificate) sits
between a client and the apiserver and can cut every connection. A real 410 needs history the
apiserver no longer has: most resources are served from the apiserver's watch cache, which
keeps everything since its start in a small lab, so `resourceVersion=1` is NOT reliably too
old. Events are not watch-cached (kube-apiserver's default), so a watch on Events is served by
etcd, and compacting etcd (what the apiserver itself does every 5 minutes) makes any older
resourceVersion answer 410 at once. The tests compact to the current revision through the lab
etcd's HTTP gateway.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import urllib3

from baremetal_lb.kube import (
    MERGE_PATCH,
    ApiError,
    EventRecorder,
    Informer,
    KubeClient,
    LeaderElector,
    resource_path,
    server_side_apply,
)


def eventually(probe: Callable[[], Any], timeout: float = 20, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = probe()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.05)


class Relay:
    """A TCP relay 127.0.0.1:port -> the apiserver whose connections can be cut at will."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.open = threading.Event()
        self.open.set()
        self.sockets: list[socket.socket] = []
        self.lock = threading.Lock()
        self.closing = False
        threading.Thread(target=self._accept, daemon=True).start()

    def cut(self) -> None:
        """Drops every connection and refuses new ones until restore()."""
        self.open.clear()
        with self.lock:
            sockets, self.sockets = self.sockets, []
        for sock in sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()

    def restore(self) -> None:
        self.open.set()

    def close(self) -> None:
        self.closing = True
        self.cut()
        self.listener.close()

    def _accept(self) -> None:
        while not self.closing:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if not self.open.is_set():
                client.close()
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self.lock:
                self.sockets += [client, upstream]
            for src, dst in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(src, dst), daemon=True).start()

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (src, dst):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


@pytest.fixture(scope="module")
def kube(lab: Any) -> Iterator[KubeClient]:
    client = KubeClient.from_kubeconfig(lab.info("kube")["kubeconfig"])
    yield client
    client.close()


@pytest.fixture(scope="module")
def namespace(kube: KubeClient) -> Iterator[str]:
    name = f"kubeio-{uuid.uuid4().hex[:6]}"
    kube.request("POST", "/api/v1/namespaces", body={"metadata": {"name": name}})
    yield name
    kube.request("DELETE", f"/api/v1/namespaces/{name}")


@pytest.fixture
def relay(kube: KubeClient) -> Iterator[tuple[Relay, KubeClient]]:
    """A second client whose every connection goes through a cuttable relay."""
    host, port = kube.settings.server.removeprefix("https://").rsplit(":", 1)
    proxy = Relay((host, int(port)))
    client = KubeClient(dataclasses.replace(kube.settings,
                                            server=f"https://127.0.0.1:{proxy.port}"))
    yield proxy, client
    client.close()
    proxy.close()


def compact_etcd(lab: Any, kube: KubeClient) -> None:
    revision = kube.request("GET", "/api/v1/events", params={"limit": "1"})["metadata"][
        "resourceVersion"]
    answer = urllib3.request("POST", f"{lab.info('kube')['etcd']}/v3/kv/compaction",
                             body=json.dumps({"revision": revision}), timeout=10)
    assert answer.status == 200, answer.data


class Seen:
    """An informer callback that keeps what it got, in order."""

    def __init__(self) -> None:
        self.events: list[tuple[str, str, Any, Any]] = []
        self.lock = threading.Lock()

    def __call__(self, type_: str, key: str, old: Any, new: Any) -> None:
        with self.lock:
            self.events.append((type_, key, old, new))

    def of(self, key: str) -> list[str]:
        with self.lock:
            return [t for t, k, _, _ in self.events if k == key]


def configmap(namespace: str, name: str, value: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": name, "namespace": namespace}, "data": {"v": value}}


# -- requests -------------------------------------------------------------------------------

def test_requests_errors_and_observer(kube: KubeClient, namespace: str) -> None:
    observed: list[tuple[str, str, int]] = []
    client = KubeClient(kube.settings)
    client.observer = lambda verb, resource, status, seconds: observed.append(
        (verb, resource, status))
    path = resource_path("v1", "configmaps", namespace)
    created = client.request("POST", path, body=configmap(namespace, "req", "1"))
    assert created["metadata"]["uid"]
    with pytest.raises(ApiError) as conflict:
        client.request("POST", path, body=configmap(namespace, "req", "1"))
    assert (conflict.value.status, conflict.value.reason) == (409, "AlreadyExists")
    patched = client.request("PATCH", f"{path}/req", body={"data": {"v": "2"}},
                             content_type=MERGE_PATCH)
    assert patched["data"] == {"v": "2"}
    client.request("DELETE", f"{path}/req")
    with pytest.raises(ApiError) as missing:
        client.request("GET", f"{path}/req")
    assert (missing.value.status, missing.value.reason) == (404, "NotFound")
    assert 'configmaps "req" not found' in missing.value.message
    assert observed == [("create", "configmaps", 201), ("create", "configmaps", 409),
                        ("patch", "configmaps", 200), ("delete", "configmaps", 200),
                        ("get", "configmaps", 404)]
    client.close()


def test_concurrent_writers_share_the_pool(kube: KubeClient, namespace: str) -> None:
    path = resource_path("v1", "configmaps", namespace)
    errors: list[BaseException] = []

    def write(n: int) -> None:
        try:
            kube.request("POST", path, body=configmap(namespace, f"par{n}", str(n)))
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(24)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    names = {i["metadata"]["name"] for i in kube.request("GET", path)["items"]}
    assert {f"par{n}" for n in range(24)} <= names


def test_server_side_apply(kube: KubeClient, namespace: str) -> None:
    manifest = configmap(namespace, "applied", "1")
    first = server_side_apply(kube, manifest, "kubeio-a")
    again = server_side_apply(kube, manifest, "kubeio-a")
    assert first["metadata"]["resourceVersion"] == again["metadata"]["resourceVersion"], \
        "applying the same manifest changes nothing"
    with pytest.raises(ApiError) as conflict:
        server_side_apply(kube, configmap(namespace, "applied", "2"), "kubeio-b")
    assert conflict.value.status == 409 and "kubeio-a" in conflict.value.message
    forced = server_side_apply(kube, configmap(namespace, "applied", "2"), "kubeio-b",
                               force=True)
    assert forced["data"] == {"v": "2"}
    with pytest.raises(ApiError, match="no kind 'Widget'"):
        server_side_apply(kube, {"apiVersion": "v1", "kind": "Widget",
                                 "metadata": {"name": "w", "namespace": namespace}}, "x")


def test_watch_reports_410_for_compacted_history(lab: Any, kube: KubeClient,
                                                 namespace: str) -> None:
    compact_etcd(lab, kube)
    with pytest.raises(ApiError) as gone:
        for _ in kube.watch(resource_path("v1", "events", namespace), resource_version="2",
                            timeout_seconds=5):
            pass
    assert gone.value.status == 410


# -- informers ------------------------------------------------------------------------------

def test_informer_sees_add_modify_delete(kube: KubeClient, namespace: str) -> None:
    path = resource_path("v1", "configmaps", namespace)
    kube.request("POST", path, body=configmap(namespace, "before", "0"))
    seen = Seen()
    informer: Informer[dict[str, Any]] = Informer(
        kube, path, name="cms", on_event=seen, params={"labelSelector": "!skip"},
        transform=lambda obj: {"metadata": obj["metadata"], "data": obj.get("data", {})})
    informer.start()
    try:
        assert informer.wait_synced(10)
        assert seen.of(f"{namespace}/before") == ["ADDED"]
        kube.request("POST", path, body=configmap(namespace, "cm", "1"))
        kube.request("PATCH", f"{path}/cm", body={"data": {"v": "2"}}, content_type=MERGE_PATCH)
        kube.request("DELETE", f"{path}/cm")
        key = f"{namespace}/cm"
        eventually(lambda: seen.of(key) == ["ADDED", "MODIFIED", "DELETED"], what="3 events")
        _, _, old, new = [e for e in seen.events if e[1] == key][1]
        assert (old["data"], new["data"]) == ({"v": "1"}, {"v": "2"})
        assert "managedFields" not in new["metadata"]
        assert informer.get(key) is None and informer.get(f"{namespace}/before") is not None
        count = len(seen.events)
        informer.relist()               # synchronous; nothing changed, so nothing to emit
        assert len(seen.events) == count
    finally:
        stopping = time.monotonic()
        informer.stop()
        assert time.monotonic() - stopping < 2, "stop() cuts the open watch short"


def _event_body(namespace: str, name: str, message: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Event",
            "metadata": {"name": name, "namespace": namespace},
            "involvedObject": {"kind": "ConfigMap", "namespace": namespace, "name": "x"},
            "reason": "Test", "message": message, "type": "Normal"}


def test_informer_resumes_after_cut_connections(kube: KubeClient, namespace: str,
                                                relay: tuple[Relay, KubeClient]) -> None:
    proxy, client = relay
    path = resource_path("v1", "configmaps", namespace)
    seen = Seen()
    informer: Informer[dict[str, Any]] = Informer(client, path, name="resume", on_event=seen)
    informer.start()
    try:
        assert informer.wait_synced(10)
        proxy.cut()
        kube.request("POST", path, body=configmap(namespace, "during-cut", "1"))
        time.sleep(1.5)                  # several failed re-watches, with backoff
        proxy.restore()
        eventually(lambda: seen.of(f"{namespace}/during-cut") == ["ADDED"], what="resume")
        kube.request("DELETE", f"{path}/during-cut")
        eventually(lambda: seen.of(f"{namespace}/during-cut") == ["ADDED", "DELETED"],
                   what="events after the resume")
    finally:
        informer.stop()


def test_informer_relists_after_410_without_loss_or_duplicates(
        lab: Any, kube: KubeClient, namespace: str, relay: tuple[Relay, KubeClient],
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="baremetal_lb.kube.informer")
    proxy, client = relay
    path = resource_path("v1", "events", namespace)
    for name in ("keep", "change", "drop"):
        kube.request("POST", path, body=_event_body(namespace, name, "first"))
    seen = Seen()
    informer: Informer[dict[str, Any]] = Informer(client, path, name="events410",
                                                  on_event=seen)
    informer.start()
    try:
        assert informer.wait_synced(10)
        key = f"{namespace}/%s".__mod__
        assert all(seen.of(key(n)) == ["ADDED"] for n in ("keep", "change", "drop"))
        proxy.cut()
        kube.request("PATCH", f"{path}/change", body={"message": "second"},
                     content_type=MERGE_PATCH)
        kube.request("DELETE", f"{path}/drop")
        kube.request("POST", path, body=_event_body(namespace, "new", "first"))
        compact_etcd(lab, kube)          # the informer's resourceVersion is now too old
        proxy.restore()
        eventually(lambda: seen.of(key("new")) == ["ADDED"], what="the re-list")
        time.sleep(1)                    # would any duplicate still arrive?
        assert any("events410" in r.getMessage() and "re-listing" in r.getMessage()
                   for r in caplog.records), "the informer got no 410: the test proves nothing"
        assert seen.of(key("keep")) == ["ADDED"]
        assert seen.of(key("change")) == ["ADDED", "MODIFIED"]
        assert seen.of(key("drop")) == ["ADDED", "DELETED"]
        assert seen.of(key("new")) == ["ADDED"]
        assert informer.get(key("change"))["message"] == "second"
        kube.request("DELETE", f"{path}/keep")
        eventually(lambda: seen.of(key("keep")) == ["ADDED", "DELETED"],
                   what="watching again after the re-list")
    finally:
        informer.stop()


# -- leader election ------------------------------------------------------------------------

TIMING = {"lease_duration": 4.0, "renew_deadline": 3.0, "retry_period": 0.5}


class Candidate:
    def __init__(self, client: KubeClient, namespace: str, lease: str, identity: str) -> None:
        self.calls: list[tuple[str, float]] = []
        self.elector = LeaderElector(
            client, namespace, lease, identity, **TIMING,
            on_started_leading=lambda: self.calls.append(("started", time.monotonic())),
            on_stopped_leading=lambda: self.calls.append(("stopped", time.monotonic())))

    def started_at(self) -> float | None:
        return next((t for c, t in self.calls if c == "started"), None)


def _elect(kube: KubeClient, namespace: str,
           second_client: KubeClient | None = None) -> tuple[Candidate, Candidate, str]:
    lease = f"lb-{uuid.uuid4().hex[:6]}"
    a = Candidate(second_client or kube, namespace, lease, "a")
    b = Candidate(kube, namespace, lease, "b")
    a.elector.start()
    eventually(a.elector.is_leader, 10, "a leads")
    b.elector.start()
    return a, b, lease


def _holder(kube: KubeClient, namespace: str, lease: str) -> dict[str, Any]:
    spec: dict[str, Any] = kube.request(
        "GET", resource_path("coordination.k8s.io/v1", "leases", namespace, lease))["spec"]
    return spec


def test_exactly_one_leads_and_release_hands_over_at_once(kube: KubeClient,
                                                          namespace: str) -> None:
    a, b, lease = _elect(kube, namespace)
    try:
        for _ in range(20):
            assert a.elector.is_leader() and not b.elector.is_leader()
            time.sleep(0.1)
        assert _holder(kube, namespace, lease)["holderIdentity"] == "a"
        a.elector.stop(release=True)
        released = time.monotonic()
        eventually(b.elector.is_leader, 5, "b leads")
        # b polls every retry_period (+20 % jitter) and takes a released lease at once.
        assert b.started_at() - released < TIMING["retry_period"] * 1.2 + 0.5  # type: ignore[operator]
        assert [c for c, _ in a.calls] == ["started", "stopped"]
        spec = _holder(kube, namespace, lease)
        assert (spec["holderIdentity"], spec["leaseTransitions"]) == ("b", 1)
    finally:
        a.elector.stop()
        b.elector.stop()


def test_without_release_the_standby_waits_for_expiry(kube: KubeClient,
                                                      namespace: str) -> None:
    a, b, lease = _elect(kube, namespace)
    try:
        time.sleep(1)
        stopped = time.monotonic()
        a.elector.stop(release=False)
        # on_started_leading runs on the elector's callback thread, just after is_leader().
        eventually(lambda: b.elector.is_leader() and b.started_at() is not None, 15, "b leads")
        waited = b.started_at() - stopped  # type: ignore[operator]
        assert TIMING["lease_duration"] - TIMING["retry_period"] - 0.5 <= waited \
            <= TIMING["lease_duration"] + 3 * TIMING["retry_period"] + 1, waited
    finally:
        b.elector.stop()


def test_cut_off_leader_stops_leading_before_the_standby_starts(
        kube: KubeClient, namespace: str, relay: tuple[Relay, KubeClient]) -> None:
    proxy, client = relay
    a, b, lease = _elect(kube, namespace, second_client=client)
    try:
        time.sleep(1)
        proxy.cut()
        both, deadline = False, time.monotonic() + 12
        while not b.elector.is_leader() and time.monotonic() < deadline:
            both |= a.elector.is_leader() and b.elector.is_leader()
            time.sleep(0.02)
        assert b.elector.is_leader() and not both
        assert not a.elector.is_leader()
        eventually(lambda: [c for c, _ in a.calls] == ["started", "stopped"], 5,
                   "a's on_stopped_leading")
        eventually(lambda: b.started_at() is not None, 5, "b's on_started_leading")
        stopped_a = a.calls[1][1]
        assert stopped_a < b.started_at()  # type: ignore[operator]
        proxy.restore()
        time.sleep(2)
        assert not a.elector.is_leader() and b.elector.is_leader(), "a stays a standby"
    finally:
        a.elector.stop(release=False)
        b.elector.stop()


# -- events ---------------------------------------------------------------------------------

def test_events_are_created_and_aggregated(kube: KubeClient, namespace: str) -> None:
    path = resource_path("v1", "configmaps", namespace)
    target = kube.request("POST", path, body=configmap(namespace, "evt", "1"))
    target.update(apiVersion="v1", kind="ConfigMap")
    recorder = EventRecorder(kube, "baremetal-lb-test", host="lab-host")
    recorder.record(target, "Warning", "AllocationFailed", "no pool matches")
    recorder.record(target, "Warning", "AllocationFailed", "no pool matches")
    recorder.record(target, "Normal", "IPAllocated", "198.18.0.1")
    recorder.stop(timeout=5)
    assert (recorder.dropped, recorder.failed) == (0, 0)
    events = kube.request("GET", resource_path("v1", "events", namespace), params={
        "fieldSelector": "involvedObject.name=evt"})["items"]
    by_reason = {e["reason"]: e for e in events}
    assert sorted(by_reason) == ["AllocationFailed", "IPAllocated"] and len(events) == 2
    failed = by_reason["AllocationFailed"]
    assert (failed["count"], failed["type"], failed["message"]) == \
        (2, "Warning", "no pool matches")
    assert failed["involvedObject"]["uid"] == target["metadata"]["uid"]
    assert failed["source"] == {"component": "baremetal-lb-test", "host": "lab-host"}
    assert failed["reportingComponent"] == "baremetal-lb-test"
    assert by_reason["IPAllocated"]["count"] == 1
