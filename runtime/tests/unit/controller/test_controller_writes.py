"""The controller's writes are fenced: leadership is checked before each attempt, a write with
all its attempts ends within its budget (below the lease's margin), and status patches are
conditional. The apiserver is faked at the request boundary (FakeApi), and once for real at
the socket: an apiserver that accepts no connection."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest

from baremetal_lb.controller import Controller, ControllerOptions
from baremetal_lb.controller.decide import Decision
from baremetal_lb.kube import ApiError, ClusterSettings, KubeClient, TransportError
from baremetal_lb.metrics import ControllerMetrics

NS = "lb"


def pool(name: str, rv: str, addresses: str = "192.0.2.0/30") -> dict[str, Any]:
    return {"apiVersion": "metallb.io/v1beta1", "kind": "IPAddressPool",
            "metadata": {"name": name, "namespace": NS, "uid": f"u-{name}",
                         "resourceVersion": rv, "creationTimestamp": "2026-01-01T00:00:00Z"},
            "spec": {"addresses": [addresses]}}


def service(name: str, rv: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": name, "namespace": "apps", "uid": f"u-{name}",
                         "resourceVersion": rv, "creationTimestamp": "2026-01-01T00:00:00Z"},
            "spec": {"type": "LoadBalancer", "ports": [{"port": 80, "protocol": "TCP"}],
                     "ipFamilies": ["IPv4"], "ipFamilyPolicy": "SingleStack"},
            "status": {"loadBalancer": {}}}


class Elector:
    """The leader elector as the controller sees it: a window that the test closes."""

    def __init__(self, window: float = 6.0) -> None:
        self.window = window
        self.asked = 0

    def write_window(self) -> float:
        self.asked += 1
        return self.window

    def is_leader(self) -> bool:
        return self.window > 0

    def stop(self, release: bool = True) -> None:
        pass


class FakeApi:
    """Lists for the informers; records every write with how it was sent."""

    def __init__(self, pools: list[dict[str, Any]], services: list[dict[str, Any]]) -> None:
        self.lists = {"ipaddresspools": pools, "services": services, "namespaces": []}
        self.writes: list[dict[str, Any]] = []
        self.fail_status: list[ApiError] = []
        self.on_write: Any = None

    def resource_for(self, api_version: str, kind: str) -> tuple[str, bool]:
        return "configurationstates", True

    def request(self, method: str, path: str, *, params: Any = None, body: Any = None,
                content_type: str = "", timeout: float | None = None,
                retry: bool = True) -> dict[str, Any]:
        if method == "GET":
            plural = path.rstrip("/").rsplit("/", 1)[-1]
            return {"kind": "List", "apiVersion": "v1", "metadata": {"resourceVersion": "1"},
                    "items": [dict(i) for i in self.lists[plural]]}
        write = {"method": method, "path": path, "params": dict(params or {}), "body": body,
                 "timeout": timeout, "retry": retry}
        self.writes.append(write)
        if self.on_write is not None:
            self.on_write(write)
        if path.endswith("/status") and "/services/" in path and self.fail_status:
            raise self.fail_status.pop(0)
        return dict(body) if isinstance(body, dict) else {}

    def status_writes(self, plural: str) -> list[dict[str, Any]]:
        return [w for w in self.writes if f"/{plural}/" in w["path"]
                and w["path"].endswith("/status")]


@pytest.fixture
def world() -> Iterator[tuple[FakeApi, Controller, Elector]]:
    api = FakeApi([pool("web", rv="7")], [service("a", rv="11")])
    controller = Controller(api, ControllerOptions(namespace=NS, leader_elect=False,  # type: ignore[arg-type]
                                                   write_timeout=1.5),
                            ControllerMetrics())
    elector = Elector()
    controller.elector = elector  # type: ignore[assignment]
    controller._rebuild()
    controller.queue.clear()        # the tests reconcile by hand
    yield api, controller, elector
    controller.reporter.stop()
    controller.recorder.stop()


def test_pool_status_patch_is_conditional_on_the_pool_version(world: Any) -> None:
    api, controller, _ = world
    controller._reconcile("apps/a")
    controller._write_pool_status()
    (write,) = api.status_writes("ipaddresspools")
    assert write["body"]["metadata"] == {"resourceVersion": "7"}
    assert write["body"]["status"]["assignedIPv4"] == 1


def test_service_status_patch_is_one_fenced_attempt_by_a_named_manager(world: Any) -> None:
    api, controller, _ = world
    controller._reconcile("apps/a")
    (write,) = api.status_writes("services")
    assert write["body"]["metadata"] == {"resourceVersion": "11"}
    assert write["params"] == {"fieldManager": "baremetal-lb-controller"}
    assert write["retry"] is False, "the client must not retry behind the fence's back"
    assert 0 < write["timeout"] <= 1.5


def test_leadership_is_checked_before_every_attempt(world: Any) -> None:
    api, controller, elector = world
    api.fail_status = [TransportError("connection reset", "PATCH")]

    def deposed(write: dict[str, Any]) -> None:   # the lease runs out during the attempt
        elector.window = 0.0

    api.on_write = deposed
    controller._reconcile("apps/a")
    assert len(api.status_writes("services")) == 1, "retried after losing the lease"
    assert controller.queue.get(timeout=0.2) is None, "a deposed leader queued a retry"


def test_a_transient_failure_is_retried_within_the_same_write(world: Any) -> None:
    api, controller, _ = world
    api.fail_status = [ApiError(503, "ServiceUnavailable", "etcd")]
    controller._reconcile("apps/a")
    assert len(api.status_writes("services")) == 2


def test_the_write_budget_must_fit_in_the_lease_margin() -> None:
    with pytest.raises(ValueError, match="lease duration - renew deadline"):
        ControllerOptions(lease_duration=6, renew_deadline=4, write_timeout=2.0).check()
    ControllerOptions(lease_duration=6, renew_deadline=4, write_timeout=1.5).check()


@pytest.fixture
def silent_apiserver() -> Iterator[str]:
    """A listening socket whose accept queue is full: connections time out, as to a paused or
    unreachable apiserver (the case where urllib3 retried connects for seconds)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(0)
    port = server.getsockname()[1]
    fillers = []
    for _ in range(4):
        filler = socket.socket()
        filler.setblocking(False)
        try:
            filler.connect(("127.0.0.1", port))
        except BlockingIOError:
            pass
        fillers.append(filler)
    time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    for filler in fillers:
        filler.close()
    server.close()


def test_a_write_to_a_silent_apiserver_ends_within_its_budget(silent_apiserver: str) -> None:
    client = KubeClient(ClusterSettings(server=silent_apiserver))
    budget = 0.3
    controller = Controller(client, ControllerOptions(namespace=NS, leader_elect=False,
                                                      write_timeout=budget),
                            ControllerMetrics())
    elector = Elector(window=6.0)
    controller.elector = elector  # type: ignore[assignment]
    controller._active.set()
    decision = Decision("apps/a", write=("192.0.2.1",), resource_version="11")
    started = time.monotonic()
    assert not controller._write_status("apps/a", service("a", "11"), decision)
    elapsed = time.monotonic() - started
    # Before the fence, urllib3 retried the connect 3 times with backoff: about 2.4 s here,
    # past any margin the lease leaves (2 s with the defaults).
    assert elapsed < budget + 0.25, f"a write took {elapsed:.2f}s, its budget is {budget}s"
    client.close()


def test_a_failed_rebuild_is_tried_again_while_leading() -> None:
    api = FakeApi([pool("web", rv="7")], [service("a", rv="11")])
    controller = Controller(api, ControllerOptions(namespace=NS, leader_elect=False),  # type: ignore[arg-type]
                            ControllerMetrics())
    original = api.request
    outage = [TransportError("connection refused", "GET")]

    def flaky(method: str, path: str, **kw: Any) -> dict[str, Any]:
        if method == "GET" and outage:
            raise outage.pop()
        return original(method, path, **kw)

    api.request = flaky  # type: ignore[method-assign]
    controller._want_rebuild = True
    with pytest.raises(ApiError):
        controller._rebuild()
    assert controller._want_rebuild and not controller.is_active(), \
        "a re-list that failed at a leadership change must be tried again, not dropped"
    controller._rebuild()
    assert controller.is_active()
    controller.reporter.stop()
    controller.recorder.stop()


def test_healthz_names_a_dead_worker() -> None:
    api = FakeApi([], [])
    controller = Controller(api, ControllerOptions(namespace=NS, leader_elect=False),  # type: ignore[arg-type]
                            ControllerMetrics())
    assert controller.healthy() == (True, "ok")
    controller._spawn(lambda: None, "reconcile-3")
    controller._threads[0].join(5)
    assert controller.healthy() == (False, "reconcile-3: thread died")


def test_a_service_the_apiserver_keeps_refusing_is_retried_ever_more_slowly(world: Any) -> None:
    api, controller, _ = world
    delays = []
    original = controller.queue.add_after

    def record(key: str, delay: float) -> None:
        delays.append(delay)
        original(key, delay)

    controller.queue.add_after = record  # type: ignore[method-assign]
    for _ in range(4):
        api.fail_status = [ApiError(422, "Invalid", "status.loadBalancer.ingress[0].ip")]
        controller._reconcile("apps/a")
    assert delays == [1.0, 2.0, 4.0, 8.0]
    controller._reconcile("apps/a")          # lands
    api.fail_status = [ApiError(422, "Invalid", "again")]
    controller._decider.write_failed("apps/a")
    controller._reconcile("apps/a")
    assert delays[-1] == 1.0, "a success starts the backoff over"
