"""Create LoadBalancer Services in a concurrent burst and time when each one gets its IP.

One watch on the namespace's Services timestamps the first event that carries
status.loadBalancer.ingress for each Service and counts every MODIFIED event (after creation,
only controllers write these Services: each MODIFIED is a write by the controller under test).
"""

from __future__ import annotations

import statistics
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from _kube import ApiError, Kube


def service_name(i: int) -> str:
    return f"svc-{i:05d}"


def service(name: str, lb_class: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": name, "labels": {"app.kubernetes.io/part-of": "bench"}},
        "spec": {
            "type": "LoadBalancer",
            "loadBalancerClass": lb_class,
            # 5,000 Services would exhaust the 2,768 NodePorts; no selector, so no
            # EndpointSlices either: the apiserver's work is the controllers' work.
            "allocateLoadBalancerNodePorts": False,
            "ports": [{"name": "http", "port": 80, "protocol": "TCP", "targetPort": 8080}],
        },
    }


def ingress_ips(svc: dict[str, Any]) -> tuple[str, ...]:
    ingress = (svc.get("status") or {}).get("loadBalancer", {}).get("ingress") or []
    return tuple(i["ip"] for i in ingress if i.get("ip"))


class ObjectWatch:
    """Background watch of one namespaced collection (Services, or IPAddressPools)."""

    def __init__(self, kube: Kube, namespace: str, collection: str = "api/v1/services") -> None:
        self.kube = kube
        prefix, plural = collection.rsplit("/", 1)
        self.path = f"/{prefix}/namespaces/{namespace}/{plural}"
        self.lock = threading.Lock()
        self.ip_at: dict[str, float] = {}
        self.ips: dict[str, tuple[str, ...]] = {}
        self.modified: list[tuple[float, str]] = []
        self.stop_event = threading.Event()
        self.error: BaseException | None = None
        self.disruptions = 0  # watch streams broken by errors (not by their timeout)
        self.last_error: Exception | None = None
        self.rv = kube.request("GET", self.path, params={"limit": "1"})["metadata"][
            "resourceVersion"]
        self.thread = threading.Thread(target=self._run, name=f"watch-{plural}", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        failures = 0
        while not self.stop_event.is_set():
            try:
                # Short server-side timeouts so that stop() is seen within seconds; each new
                # watch resumes from the last resourceVersion, so no event is lost.
                for ev in self.kube.watch(self.path, self.rv, timeout_seconds=3,
                                          stop=self.stop_event):
                    self._handle(ev, time.monotonic())
                failures = 0
            except Exception as exc:  # an apiserver restart: resume, but flag the run
                if self.stop_event.is_set():
                    return
                self.disruptions += 1
                self.last_error = exc
                failures += 1
                if failures > 30 or (isinstance(exc, ApiError) and exc.status == 410):
                    self.error = exc  # surfaced by wait_for_ips
                    return
                time.sleep(1.0)

    def _handle(self, ev: dict[str, Any], now: float) -> None:
        obj = ev["object"]
        if ev["type"] == "ERROR":
            raise ApiError(int(obj.get("code", 0)), "WATCH", self.path, str(obj.get("message")))
        self.rv = obj["metadata"]["resourceVersion"]
        if ev["type"] == "BOOKMARK":  # keeps rv fresh in a quiet namespace: no 410 on resume
            return
        name = obj["metadata"]["name"]
        ips = ingress_ips(obj)
        with self.lock:
            if ev["type"] == "MODIFIED":
                self.modified.append((now, name))
            if ev["type"] == "DELETED":
                self.ips.pop(name, None)
                return
            self.ips[name] = ips
            if ips and name not in self.ip_at:
                self.ip_at[name] = now

    def writes_between(self, start: float, end: float) -> int:
        with self.lock:
            return sum(1 for t, _ in self.modified if start <= t < end)

    def wait_for_ips(self, names: list[str], timeout: float, alive: Any) -> None:
        deadline = time.monotonic() + timeout
        while True:
            if self.error is not None:
                raise RuntimeError(f"Service watch failed: {self.error}")
            with self.lock:
                missing = sum(1 for n in names if n not in self.ip_at)
            if not missing:
                return
            if not alive():
                raise RuntimeError("the controller exited while Services still waited for IPs")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{missing} of {len(names)} Services still without an IP "
                                   f"after {timeout:.0f}s")
            time.sleep(0.05)

    def stop(self) -> None:
        self.stop_event.set()
        self.thread.join(10)


@dataclass
class BurstResult:
    count: int
    create_rate: float        # Services/s the harness created (its own ceiling)
    seconds: float            # first create sent -> last IP seen
    throughput: float         # Services/s over that span
    p50: float
    p99: float
    writes_per_service: float  # MODIFIED events per Service from first create to last IP


def create_burst(kube: Kube, namespace: str, lb_class: str, indexes: range, workers: int,
                 watch: ObjectWatch, timeout: float, alive: Any) -> BurstResult:
    path = f"/api/v1/namespaces/{namespace}/services"
    sent: dict[str, float] = {}

    def create(i: int) -> None:
        name = service_name(i)
        body = service(name, lb_class)
        for attempt in range(5):
            sent[name] = time.monotonic()
            try:
                kube.request("POST", path, body)
                return
            except ApiError as exc:  # 429/5xx under load: retry, the clock restarts
                if exc.status not in (429, 500, 503, 504) or attempt == 4:
                    raise

    names = [service_name(i) for i in indexes]
    start = time.monotonic()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for fut in [pool.submit(create, i) for i in indexes]:
            fut.result()
    created = time.monotonic()
    watch.wait_for_ips(names, timeout, alive)
    with watch.lock:
        lat = sorted(watch.ip_at[n] - sent[n] for n in names)
        last = max(watch.ip_at[n] for n in names)
    span = last - start
    return BurstResult(
        count=len(names), create_rate=len(names) / (created - start), seconds=span, throughput=len(names) / span,
        p50=statistics.median(lat), p99=lat[min(len(lat) - 1, int(len(lat) * 0.99))],
        writes_per_service=watch.writes_between(start, last + 1e-6) / len(names),
    )


def duplicates(kube: Kube, namespace: str) -> tuple[int, int]:
    """(IPs held by more than one Service, Services without an IP) from a fresh LIST."""
    items = kube.request("GET", f"/api/v1/namespaces/{namespace}/services")["items"]
    holders: Counter[str] = Counter()
    without = 0
    for svc in items:
        ips = ingress_ips(svc)
        without += not ips
        holders.update(ips)
    return sum(1 for n in holders.values() if n > 1), without


def apiserver_status_writes(kube: Kube) -> int:
    """Cluster-wide count of writes to services/status since the apiserver started."""
    total = 0
    for line in kube.text("/metrics").splitlines():
        if (line.startswith("apiserver_request_total{") and 'resource="services"' in line
                and 'subresource="status"' in line
                and any(f'verb="{v}"' in line for v in ("PUT", "PATCH", "APPLY", "UPDATE"))):
            total += int(float(line.rsplit(" ", 1)[1]))
    return total
